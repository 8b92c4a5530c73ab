"""Dispatcher benchmark (not a test): `make bench`, or `python -m bench.dispatch`.

Measured as the service sees it: the real dispatcher, with the settings a
deployment gets by default (no batch size, sends in flight sized by the rate and the
provider's latency up to SEND_CONCURRENCY = 32), and the official `twilio` client,
send to the fake Twilio in its own process (so this process's CPU time is the
dispatcher's alone). The fake counts a *strict rolling second*: any one-second window
that would hold more than the limit's worth of accepted segments gets 429 / 20429.
It answers after 200 ms.

For each limit (10 and 100 segments per second) 1,000 one-part texts fall due at
once, and `dispatch_due` is called, as the scheduler's tick would, until all are
sent. It reports:

- texts per second, from the first create the fake accepted to the last, and that
  as a share of the limit;
- 429s the fake answered (each is retried later, so it costs lateness);
- CPU milliseconds per text in the dispatcher's process (`os.times`, user + system,
  every thread: the dispatching thread, with its event loop of sends through the
  `twilio` client and its SQLite work; not the fake, which is another process). The
  dispatcher does not poll while it waits (it sleeps until the limiter's next
  slot), so the figure is the work of sending; each wake-up after a pause costs
  more than the same work in a stream, which is why texts due together leave in
  small groups;
- lateness, from the due time to the fake accepting the text, p50 and p99 (for a
  burst this is queueing behind the limit; up to one scheduler interval, 5 s by
  default, comes on top in production);
- the longest pause between two accepted creates (a pause between batches shows here).

Last, the same 1,000 texts with no limit and no latency show what a text costs with
nothing to wait for ("CPU floor").

It prints a table, then one JSON line with every figure, last (a full run also saves
it to bench/results/dispatch.json). `--texts N` and
`--latency-ms N` change the run; `--limits 10,100` the limits.
"""
import argparse
import json
import os
import tempfile
import time
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bench.measure import machine, percentile
from scheduler.dispatcher import DispatchSettings, dispatch_due
from scheduler.rate_limit import SegmentRateLimiter
from sms import send_window
from storage.connection import connect
from tests.harness.database import add_message, add_person, make_database
from tests.harness.delivery import gateway_for
from tests.harness.processes import start_fake_twilio, stop_process

TEXTS = 1000
LATENCY_MS = 200
LIMITS = (10, 100)
NO_LIMIT = 100_000  # segments a second: never reached, so nothing waits
CONCURRENCY = 32  # SEND_CONCURRENCY's default: the cap on sends in flight
PATIENCE = 600  # seconds per row; never reached when all is well
RESULTS = Path(__file__).resolve().parent / "results"


def fake_call(base_url, path, payload=None):
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(base_url + path, data=data,
                                     method="POST" if data else "GET")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def make_backlog(path, texts, due):
    db, worker_id = make_database(path)
    contact_ids = [add_person(db, worker_id, phone=f"+4479112{n:05d}", name=f"P{n}")
                   for n in range(50)]
    with db.atomic():
        for n in range(texts):
            add_message(db, worker_id, contact_ids[n % 50], body=f"Benchmark text {n}",
                        due=due)
    return db


def run(base_url, latency_ms, limit, texts, workdir):
    fake_call(base_url, "/_fake/config", {"latency": latency_ms / 1000, "reset": True,
                                          "segments_per_second": limit,
                                          "limit_mode": "strict"})
    path = tempfile.mktemp(prefix=f"bench-{latency_ms}-{limit}-", suffix=".db",
                           dir=workdir)
    due = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(seconds=2)
    db = make_backlog(path, texts, due)
    gateway = gateway_for(base_url, timeout=15, pool_size=CONCURRENCY)
    settings = DispatchSettings(zone="Europe/London",
                                window=send_window.parse_window("00:00-24:00"),
                                segments_per_second=limit, concurrency=CONCURRENCY,
                                limiter=SegmentRateLimiter(limit))
    while datetime.now(timezone.utc) < due:
        time.sleep(0.005)
    cpu_start, wall_start = os.times(), time.monotonic()
    ticks = 0
    while True:
        dispatch_due(db, gateway, settings=settings)
        ticks += 1
        left = db.execute("SELECT count(*) FROM messages WHERE status IN "
                          "('scheduled', 'sending')").fetchone()[0]
        if not left or time.monotonic() - wall_start > PATIENCE:
            break
        time.sleep(0.05)  # a retry waits for its time; the scheduler would tick again
    cpu_end = os.times()
    user, system = cpu_end.user - cpu_start.user, cpu_end.system - cpu_start.system
    sent = db.execute("SELECT count(*) FROM messages WHERE status = 'sent'").fetchone()[0]
    db.close()
    connect(path).close()
    state = fake_call(base_url, "/_fake/state")
    received = sorted(message["received_at"] for message in state["created"])
    lateness = [moment - due.timestamp() for moment in received]
    span = received[-1] - received[0]
    rate = (len(received) - 1) / span if span else None
    return {
        "latency_ms": latency_ms, "limit_segments_per_second": limit, "texts": texts,
        "sent": sent, "ticks": ticks,
        "refused_429": sum(1 for _, status, _ in state["refused"] if status == 429),
        "texts_per_second": round(rate, 2) if rate else None,
        "share_of_limit": round(rate / limit, 3) if rate else None,
        "cpu_ms_per_text": round((user + system) * 1000 / texts, 2),
        "cpu_user_ms_per_text": round(user * 1000 / texts, 2),
        "cpu_system_ms_per_text": round(system * 1000 / texts, 2),
        "lateness_p50_s": round(percentile(lateness, 0.5), 2),
        "lateness_p99_s": round(percentile(lateness, 0.99), 2),
        "longest_pause_s": round(max(b - a for a, b in zip(received, received[1:])), 3),
        "max_in_flight": state["max_in_flight"],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=TEXTS)
    parser.add_argument("--latency-ms", type=int, default=LATENCY_MS)
    parser.add_argument("--limits", default=",".join(str(limit) for limit in LIMITS))
    options = parser.parse_args()
    limits = [int(limit) for limit in options.limits.split(",")]
    process, base_url = start_fake_twilio()
    results = []
    try:
        with tempfile.TemporaryDirectory() as workdir:
            for limit in limits:
                results.append(run(base_url, options.latency_ms, limit, options.texts,
                                   workdir))
            floor = run(base_url, 0, NO_LIMIT, options.texts, workdir)
    finally:
        stop_process(process, timeout=10)
        process.stdout.close()
    about = machine()
    print(f"Machine: {about['cpu']}, {about['cores']} cores, {about['memory']}, Python "
          f"{about['python']}, SQLite {about['sqlite']}, {about['system']}; fake Twilio "
          "in its own process on 127.0.0.1, strict rolling one-second window, "
          f"{options.latency_ms} ms latency; sends in flight capped at {CONCURRENCY}")
    print("| limit (seg/s) | texts | texts/s | of the limit | 429s | CPU ms/text | "
          "lateness p50 | lateness p99 | longest pause | most in flight |")
    print("|" + "|".join("---" for _ in range(10)) + "|")
    for r in results:
        print(f"| {r['limit_segments_per_second']} | {r['sent']}/{r['texts']} | "
              f"{r['texts_per_second']} | {100 * r['share_of_limit']:.1f} % | "
              f"{r['refused_429']} | {r['cpu_ms_per_text']} | {r['lateness_p50_s']:.1f} s | "
              f"{r['lateness_p99_s']:.1f} s | {r['longest_pause_s']:.2f} s | "
              f"{r['max_in_flight']} |")
    print(f"CPU floor (no limit, 0 ms latency, {floor['texts_per_second']} texts/s): "
          f"{floor['cpu_ms_per_text']} ms a text (user {floor['cpu_user_ms_per_text']}, "
          f"system {floor['cpu_system_ms_per_text']})")
    line = json.dumps({"benchmark": "dispatch", "machine": about, "load_average":
                       os.getloadavg(), "concurrency_cap": CONCURRENCY, "results": results,
                       "cpu_floor": floor})
    if options.texts == TEXTS and options.latency_ms == LATENCY_MS:
        RESULTS.mkdir(parents=True, exist_ok=True)  # the full run is the recorded result
        (RESULTS / "dispatch.json").write_text(line + "\n")
    print(line)


if __name__ == "__main__":
    main()
