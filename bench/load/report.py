"""A load run's figures (one dict, printed last as JSON) and the table before them."""
from bench.measure import percentile

PAGES = ("login", "compose", "preview", "review", "confirm", "message")


def page_times(times):
    """Requests, p50 and p95 (ms) for each page type."""
    def ms(values, fraction):
        return round(percentile(values, fraction) * 1000, 1) if values else None
    return {page: {"count": len(times[page]), "p50_ms": ms(times[page], 0.5),
                   "p95_ms": ms(times[page], 0.95)} for page in PAGES}


def figures(*, seconds, workers, web_workers, web_threads, fake_latency, elapsed, tally,
            twilio, fake_state, facts, problems):
    requests_made = sum(len(times) for times in tally.times.values())
    return {
        "benchmark": "load", "seconds": seconds, "workers": workers,
        "web": {"gunicorn_workers": web_workers, "threads": web_threads},
        "fake_latency_ms": round(fake_latency * 1000),
        "requests": requests_made + twilio.callbacks + twilio.inbound,
        "page_requests": requests_made,
        "requests_per_second": round(requests_made / elapsed, 1) if elapsed else None,
        "scheduled": len(tally.confirmed), "refused": tally.refused,
        "repeats": tally.repeats,
        "texts_at_fake": len(fake_state["created"]),
        "status_callbacks": twilio.callbacks, "inbound_webhooks": twilio.inbound,
        "stops": len(twilio.stopped),
        # Texts that reached the fake after the person's STOP was answered. Only a text
        # already past its last consent check can: see tests/test_stop_during_batch.py.
        "texts_after_stop": sum(1 for to, at in fake_state.get("arrivals", [])
                                if to in twilio.stopped and at > twilio.stopped[to]),
        "statuses": facts["statuses"],
        "audit_events": facts["events"], "integrity_check": facts["integrity"],
        "pages": page_times(tally.times),
        "problems": problems,
    }


def print_table(result, echo=print):
    about = result["machine"]
    echo(f"Machine: {about['cpu']}, {about['cores']} cores, {about['memory']}, "
         f"Python {about['python']}, {about['system']}")
    echo(f"{result['workers']} workers for {result['seconds']} s against gunicorn "
         f"({result['web']['gunicorn_workers']} workers x {result['web']['threads']} "
         f"thread{'' if result['web']['threads'] == 1 else 's'} each); "
         f"dispatcher and fake Twilio ({result['fake_latency_ms']} ms) in their own processes")
    echo("| page | requests | p50 | p95 |")
    echo("|---|---|---|---|")
    for page, timing in result["pages"].items():
        p50 = f"{timing['p50_ms']} ms" if timing["p50_ms"] is not None else "-"
        p95 = f"{timing['p95_ms']} ms" if timing["p95_ms"] is not None else "-"
        echo(f"| {page} | {timing['count']} | {p50} | {p95} |")
    echo(f"Page requests: {result['page_requests']} ({result['requests_per_second']}/s); "
         f"webhooks: {result['status_callbacks']} status callbacks, "
         f"{result['inbound_webhooks']} inbound ({result['stops']} STOP, "
         f"{result['texts_after_stop']} texts after one); "
         f"texts scheduled: {result['scheduled']} (and {result['repeats']} repeated confirms "
         f"kept as one), at the fake: {result['texts_at_fake']}; "
         f"statuses: {result['statuses']}")
    echo("Problems: " + ("none" if not result["problems"] else "; ".join(result["problems"])))
