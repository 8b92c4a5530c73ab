"""Benchmark the audit features at scale (not a test): `make bench`, or
`.venv/bin/python -m bench.audit --messages 20000` for a quick run.

Builds a fresh database with N messages (default 1,000,000) and 5 x N audit events
(a valid hash chain), then measures, through the real app:
- the history page, p50 and p95: unfiltered first page, a deep page (keyset from
  the middle), a filtered page, and a full-text search; and the dashboard;
- `flask --app app audit export` (the CSV, to /dev/null): rows per second and peak RSS;
- `flask --app app audit verify`: seconds for the whole chain, the middle of three runs.
Prints a table, then the figures as one JSON line (a full-size run also saves it to
bench/results/audit.json).
"""
import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import click

from app import create_app
from bench.measure import machine
from storage import events, sms_templates, users
from storage.connection import connect, to_db_time
from tests.harness.database import fresh_database, insert_in_batches
from tests.harness.pages import log_in
from web.audit_filters import encode_page_token
from actions.accounts import hash_password

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PASSWORD = "bench password, not secret"
WORKERS = 25
CONTACTS = 5000
BATCH = 20_000
REQUESTS_PER_CASE = 40
STATUS_WEIGHTS = {"delivered": 70, "sent": 10, "undelivered": 4, "failed": 2,
                  "cancelled": 5, "expired": 4, "unknown": 1, "scheduled": 4}
PERSONAL_LINES = ["", "", "", "Thank you for telling me how you felt.",
                  "I'm sorry the meeting ran over.", "Hope the move went ok.",
                  "See you at the drop-in on Tuesday.", "Say hello to your sister.",
                  "No rush at all.", "I'll bring the forms we talked about."]
NAMES = ["Alex", "Kim", "Jo", "Sam", "Ray", "Ash", "Lee", "Mo", "Nic", "Dee", "Pat", "Robin"]
SEARCH_WORD = "sister"  # in about 1 in 10 bodies


def add_people(db):
    password_hash = hash_password(PASSWORD)
    admin = users.create(db, email="admin@bench.example", name="Bench Admin", role="admin",
                         password_hash=password_hash)
    workers = [users.create(db, email=f"worker{n}@bench.example", name=f"Worker {n:02d}",
                            role="worker", password_hash=password_hash)
               for n in range(WORKERS)]
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    contact_rows = [{"id": n + 1, "preferred_name": f"{random.choice(NAMES)} {n}",
                     "phone": f"+4479{n:08d}", "key_worker_id": random.choice(workers),
                     "ok_to_name_service": 0, "created_at": to_db_time(start),
                     "created_by": admin} for n in range(CONTACTS)]
    db.table("contacts").insert_all(contact_rows, batch_size=BATCH)
    db.table("consents").insert_all(
        [{"contact_id": row["id"], "state": "granted", "method": "in_person",
          "recorded_by": row["key_worker_id"], "recorded_at": to_db_time(start), "note": ""}
         for row in contact_rows], batch_size=BATCH)
    return admin, workers


def message_rows(count, workers, versions, now):
    span = timedelta(days=730).total_seconds()
    first = now - timedelta(days=730)
    statuses = list(STATUS_WEIGHTS)
    weights = list(STATUS_WEIGHTS.values())
    for index in range(count):
        when = first + timedelta(seconds=span * index / count + random.random() * 60)
        status = random.choices(statuses, weights)[0]
        version = random.choice(versions)
        name = random.choice(NAMES)
        body = (f"Hi {name}, it's Sam. {version['line']} "
                f"{random.choice(PERSONAL_LINES)} No need to reply.").replace("  ", " ")
        stamp = to_db_time(when)
        went = status not in ("scheduled", "cancelled", "expired")
        yield {"contact_id": random.randint(1, CONTACTS), "worker_id": random.choice(workers),
               "template_version_id": version["id"], "body": body, "encoding": "GSM-7",
               "characters": len(body), "parts": 1 + len(body) // 160, "warnings": "[]",
               "status": status, "scheduled_for": stamp, "created_at": stamp,
               "updated_at": stamp, "sent_at": stamp if went else None,
               "attempts": 1 if went else 0}


def insert_messages(db, count, workers, bar):
    versions = [{"id": v["id"], "line": re.sub(r"\{[{%].*?[%}]\}", "", v["body"])[:60]}
                for v in sms_templates.usable_versions(db)]
    now = datetime.now(timezone.utc)
    insert_in_batches(db, "messages", message_rows(count, workers, versions, now), BATCH,
                      bar.update)
    replies = [{"provider_sid": f"SMbench{n}", "contact_id": random.randint(1, CONTACTS),
                "body": random.choice(["ok thanks", "see you tues", "sorry about before",
                                       "can we meet thurs instead"]),
                "kind": "reply", "received_at": to_db_time(
                    now - timedelta(seconds=random.random() * 730 * 86400))}
               for n in range(count // 10)]
    db.table("inbound_messages").insert_all(replies, batch_size=BATCH)


def event_rows(count, messages, start_id, prev_hash, admin):
    """`count` chained events about the messages (scheduled, claimed, sent, delivered,
    and views), hashed exactly as events.record does."""
    actions = ("message.scheduled", "message.claimed", "message.sent", "message.delivered",
               "audit.message_viewed")
    base = datetime(2024, 1, 1, tzinfo=timezone.utc)
    for offset in range(count):
        event_id = start_id + offset
        action = actions[offset % len(actions)]
        event = {"id": event_id,
                 "at": to_db_time(base + timedelta(seconds=event_id * 10)),
                 "actor_type": "user" if action in actions[::4] else "system",
                 "actor_id": admin if action == "audit.message_viewed" else None,
                 "action": action, "subject_type": "message",
                 "subject_id": 1 + (offset // len(actions)) % messages,
                 "detail": json.dumps({"attempt": 1} if action == "message.claimed" else {},
                                      sort_keys=True)}
        event["prev_hash"] = prev_hash
        event["hash"] = prev_hash = events.event_hash(event, prev_hash)
        yield event


def insert_events(db, count, messages, admin, bar):
    last = db.execute("SELECT id, hash FROM events ORDER BY id DESC LIMIT 1").fetchone()
    start_id, prev_hash = last[0] + 1, last[1]
    insert_in_batches(db, "events", event_rows(count, messages, start_id, prev_hash, admin),
                      BATCH, bar.update)


def build(path, messages, event_count):
    random.seed(7)
    db = fresh_database(path)
    admin, workers = add_people(db)
    db.execute("PRAGMA synchronous = OFF")  # generation only; the app keeps NORMAL
    started = time.perf_counter()
    with click.progressbar(length=messages + event_count, label="Generating",
                           file=sys.stderr, show_pos=True) as bar:
        insert_messages(db, messages, workers, bar)
        insert_events(db, event_count, messages, admin, bar)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return admin, workers, time.perf_counter() - started


def logged_in_client(app):
    client = app.test_client()
    response = log_in(client, "admin@bench.example", PASSWORD)
    assert response.status_code == 302, "bench admin could not log in"
    return client


def timed_requests(client, url, count=REQUESTS_PER_CASE):
    client.get(url)  # warm the page cache
    times = []
    for _ in range(count):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    cuts = statistics.quantiles(times, n=20)
    return {"p50_ms": round(statistics.median(times), 1), "p95_ms": round(cuts[18], 1)}


def history_cases(db, workers):
    middle = db.execute("SELECT count(*) FROM messages").fetchone()[0] // 2
    key = db.execute("SELECT scheduled_for, id FROM messages"
                     " ORDER BY scheduled_for DESC, id DESC LIMIT 1 OFFSET ?",
                     [middle]).fetchone()
    return {
        "history first page": "/audit/history",
        "history deep page": f"/audit/history?after={encode_page_token(tuple(key))}",
        "history filtered": f"/audit/history?worker={workers[3]}&status=delivered"
                            "&template=door-stays-open",
        "history search": f"/audit/history?q={SEARCH_WORD}",
        "dashboard": "/audit/dashboard",
    }


def command_env(path):
    return {**os.environ, "MEND_ENV": "development", "SECRET_KEY": "bench",
            "DATABASE_PATH": str(path)}


def peak_rss_mib(pid):
    """The process's own high-water mark (VmHWM). Not ru_maxrss: on Linux a child
    inherits its parent's peak across fork and exec, which would report this
    benchmark's memory rather than the command's."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0.0


VERIFY_RUNS = 3


def run_measured(args, path):
    """Run a `flask --app app` command; returns (wall seconds, CPU seconds, peak RSS
    MiB, exit code). CPU is user + system of the command and of the worker processes
    it waited for (`audit verify` checks a large log on every core)."""
    started = time.perf_counter()
    peak = 0.0
    with open(os.devnull, "wb") as sink, open(RESULTS / "command.log", "wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", *args],
                                   cwd=ROOT, env=command_env(path), stdout=sink, stderr=log)
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            peak = max(peak, peak_rss_mib(process.pid))
            time.sleep(0.05)
    process.returncode = os.waitstatus_to_exitcode(status)
    return (time.perf_counter() - started, usage.ru_utime + usage.ru_stime, peak,
            process.returncode)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=None,
                        help="audit events to generate (default: 5 x messages)")
    parser.add_argument("--db", default=str(RESULTS / "audit-bench.db"))
    parser.add_argument("--reuse", action="store_true",
                        help="measure an existing --db without generating it again")
    options = parser.parse_args()
    event_count = options.events if options.events is not None else 5 * options.messages
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = options.db
    if options.reuse:
        db = connect(path)
        workers = [row[0] for row in db.execute(
            "SELECT id FROM users WHERE role = 'worker' ORDER BY id")]
        db.close()
        generate_seconds = None
    else:
        _, workers, generate_seconds = build(path, options.messages, event_count)

    app = create_app({"MEND_ENV": "development", "SECRET_KEY": "bench", "DATABASE_PATH": path,
                      "RUN_SCHEDULER_IN_PROCESS": False})
    logging_off()
    client = logged_in_client(app)
    db = connect(path)
    figures = {"messages": db.execute("SELECT count(*) FROM messages").fetchone()[0],
               "events": db.execute("SELECT count(*) FROM events").fetchone()[0],
               "database_mib": round(Path(path).stat().st_size / 2**20),
               "generate_seconds": round(generate_seconds, 1) if generate_seconds else None}
    for name, url in history_cases(db, workers).items():
        figures[name.replace(" ", "_")] = timed_requests(client, url)
    db.close()

    seconds, cpu, rss_mib, code = run_measured(["audit", "export"], path)
    assert code == 0, "audit export failed"
    figures["export"] = {"rows": figures["messages"], "seconds": round(seconds, 1),
                         "rows_per_second": round(figures["messages"] / seconds),
                         "cpu_seconds": round(cpu, 1),
                         "rows_per_cpu_second": round(figures["messages"] / cpu),
                         "peak_rss_mib": round(rss_mib, 1)}
    runs = []  # this machine's speed changes minute to minute: three runs, the middle one
    for _ in range(VERIFY_RUNS):
        seconds, cpu, rss_mib, code = run_measured(["audit", "verify"], path)
        assert code == 0, "audit verify found a problem"
        runs.append({"seconds": round(seconds, 1), "cpu_seconds": round(cpu, 1),
                     "peak_rss_mib": round(rss_mib, 1)})
    figures["verify"] = {**sorted(runs, key=lambda run: run["seconds"])[len(runs) // 2],
                         "runs": runs}
    figures["machine"] = machine()
    figures["load_average"] = os.getloadavg()
    print_table(figures)
    line = json.dumps({"benchmark": "audit", **figures}, sort_keys=True)
    if figures["messages"] >= 1_000_000:  # only the full-size run is the recorded result
        (RESULTS / "audit.json").write_text(line + "\n")
    print(line)


def logging_off():
    import logging
    logging.getLogger().setLevel(logging.WARNING)


def print_table(figures):
    rows = [("messages / events", f"{figures['messages']:,} / {figures['events']:,}"),
            ("database size", f"{figures['database_mib']:,} MiB")]
    if figures["generate_seconds"]:
        rows.append(("generation", f"{figures['generate_seconds']} s"))
    for name in ("history first page", "history deep page", "history filtered",
                 "history search", "dashboard"):
        timing = figures[name.replace(" ", "_")]
        rows.append((f"{name} p50 / p95", f"{timing['p50_ms']} ms / {timing['p95_ms']} ms"))
    export = figures["export"]
    rows.append(("CSV export", f"{export['rows_per_second']:,} rows/s "
                               f"({export['seconds']} s; CPU {export['cpu_seconds']} s, "
                               f"{export['rows_per_cpu_second']:,} rows per CPU second), "
                               f"peak RSS {export['peak_rss_mib']} MiB"))
    verify = figures["verify"]
    each = ", ".join(f"{run['seconds']} s" for run in verify["runs"])
    rows.append(("audit verify (middle of 3)",
                 f"{verify['seconds']} s ({figures['events']:,} events; CPU "
                 f"{verify['cpu_seconds']} s), peak RSS {verify['peak_rss_mib']} MiB; "
                 f"runs {each}"))
    width = max(len(name) for name, _ in rows)
    print(f"| {'measure'.ljust(width)} | result |")
    print(f"|{'-' * (width + 2)}|--------|")
    for name, value in rows:
        print(f"| {name.ljust(width)} | {value} |")


if __name__ == "__main__":
    main()
