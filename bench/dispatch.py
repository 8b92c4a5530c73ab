"""Dispatcher benchmark (not a test): `make bench`, or `python -m bench.dispatch`.

The real dispatcher and the official `twilio` client send to the fake Twilio, which
runs in its own process so that this process's CPU time is the dispatcher's alone.
For each provider latency (0, 50 and 200 ms), without a limit and with a limit of
10 segments per second, a burst of one-part texts falls due at once and
`dispatch_due` is called until all are sent. It reports:

- messages per second, from the first send to the last (and the limit, if any);
- CPU milliseconds per message in the dispatcher's process;
- lateness, from the due time to the fake receiving the text, p50 and p99 (for a
  burst this is queueing behind the limit; the scheduler's tick interval, 5 s by
  default, comes on top in production);
- requests the fake refused (it enforces the same segment limit).

It prints a table, then one JSON line with every figure, last.
"""
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

LATENCIES_MS = (0, 50, 200)
LIMIT = 10
CONCURRENCY = int(os.environ.get("SEND_CONCURRENCY", "8"))
UNLIMITED_MESSAGES = {0: 300, 50: 300, 200: 200}
LIMITED_MESSAGES = 50


def fake_call(base_url, path, payload=None):
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(base_url + path, data=data,
                                     method="POST" if data else "GET")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def run(base_url, latency_ms, limit, count, workdir):
    fake_call(base_url, "/_fake/config", {"latency": latency_ms / 1000,
                                          "segments_per_second": limit, "reset": True})
    path = str(Path(workdir) / f"bench-{latency_ms}-{limit or 'none'}.db")
    db, worker_id = make_database(path)
    contact_ids = [add_person(db, worker_id, phone=f"+4479112{n:05d}", name=f"P{n}")
                   for n in range(20)]
    due = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(seconds=1)
    with db.atomic():
        for n in range(count):
            add_message(db, worker_id, contact_ids[n % 20], body=f"Benchmark text {n}",
                        due=due)
    gateway = gateway_for(base_url, timeout=15, pool_size=CONCURRENCY)
    rate = limit or 1_000_000
    settings = DispatchSettings(zone="Europe/London",
                                window=send_window.parse_window("00:00-24:00"),
                                segments_per_second=rate, concurrency=CONCURRENCY,
                                batch_size=count, limiter=SegmentRateLimiter(rate))
    while datetime.now(timezone.utc) < due:
        time.sleep(0.005)
    cpu_start, wall_start = time.process_time(), time.monotonic()
    while True:
        dispatch_due(db, gateway, settings=settings)
        left = db.execute("SELECT count(*) FROM messages WHERE status IN "
                          "('scheduled', 'sending')").fetchone()[0]
        if not left or time.monotonic() - wall_start > 120:
            break
        time.sleep(0.05)
    cpu = time.process_time() - cpu_start
    sent = db.execute("SELECT count(*) FROM messages WHERE status = 'sent'").fetchone()[0]
    db.close()
    connect(path).close()
    state = fake_call(base_url, "/_fake/state")
    received = [message["received_at"] for message in state["created"]]
    lateness = [moment - due.timestamp() for moment in received]
    span = max(received) - min(received)
    return {
        "latency_ms": latency_ms, "limit_segments_per_second": limit, "messages": count,
        "sent": sent, "refused": len(state["refused"]),
        "messages_per_second": round((len(received) - 1) / span, 1) if span else None,
        "cpu_ms_per_message": round(cpu * 1000 / count, 2),
        "lateness_p50_s": round(percentile(lateness, 0.5), 3),
        "lateness_p99_s": round(percentile(lateness, 0.99), 3),
    }


def main():
    process, base_url = start_fake_twilio()
    results = []
    try:
        with tempfile.TemporaryDirectory() as workdir:
            for latency in LATENCIES_MS:
                results.append(run(base_url, latency, None, UNLIMITED_MESSAGES[latency],
                                   workdir))
                results.append(run(base_url, latency, LIMIT, LIMITED_MESSAGES, workdir))
    finally:
        stop_process(process, timeout=10)
        process.stdout.close()
    about = machine()
    print(f"Machine: {about['cpu']}, {about['cores']} cores, Python {about['python']}, "
          f"{about['system']}; {CONCURRENCY} concurrent sends; fake Twilio in its own "
          "process on 127.0.0.1")
    header = ("| latency | limit (seg/s) | messages | msg/s | CPU ms/msg | "
              "lateness p50 | lateness p99 | refused |")
    print(header)
    print("|" + "|".join("---" for _ in range(8)) + "|")
    for r in results:
        limit = r["limit_segments_per_second"] or "none"
        print(f"| {r['latency_ms']} ms | {limit} | {r['sent']}/{r['messages']} | "
              f"{r['messages_per_second']} | {r['cpu_ms_per_message']} | "
              f"{r['lateness_p50_s']:.2f} s | {r['lateness_p99_s']:.2f} s | {r['refused']} |")
    print(json.dumps({"benchmark": "dispatch", "machine": about, "concurrency": CONCURRENCY,
                      "results": results}))


if __name__ == "__main__":
    main()
