"""Benchmark the repair journey's read pages at scale (not a test): `make bench`, or
`.venv/bin/python -m bench.repairs --repairs 10000` for a quick run.

Builds a fresh database with N repairs (default 100,000) over a year by 25 workers,
and 3 x N texts linked to them (default 300,000), with outcomes and reflections (one
repair in three; a fifth of those shared, each with one of 5 reviewers), then measures through the real app (the Flask test
client, logging off), p50 and p95 of:
- the outcome ledger page (`/repairs/ledger`): as usual (the chart is drawn once per set
  of figures) and as the first view after the figures change (chart drawn afresh); and
  the CSV export;
- the reviewer's reflective-practice page for a month (`/repairs/practice?month=`);
- the ledger itself (`actions.repairs.ledger`), without the page around it.
Prints a table, then the figures as one JSON line (a full-size run also saves it to
bench/results/repairs.json).
"""
import argparse
import json
import random
import statistics
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from actions import repairs as workflows
from actions.accounts import hash_password
from app import create_app
from bench.audit import logging_off
from bench.measure import machine
from sms import repairs as rules
from storage import sms_templates, users
from storage.connection import connect, to_db_time
from tests.harness.database import fresh_database, insert_in_batches
from tests.harness.pages import log_in
from web import repairs as web_repairs

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PASSWORD = "bench password, not secret"
WORKERS = 25
REVIEWERS = 5
CONTACTS = 5000
BATCH = 20_000
REQUESTS = 40
NOW = datetime(2026, 11, 25, 11, 0, tzinfo=timezone.utc)
ENDINGS = list(rules.ENDINGS) + [None]


def add_people(db):
    """Workers, their caseloads, and REVIEWERS reviewers (the first logs in)."""
    password_hash = hash_password(PASSWORD)
    reviewers = [users.create(db, email=f"reviewer{n or ''}@bench.example",
                              name=f"Bench Reviewer {n}", role="reviewer",
                              password_hash=password_hash) for n in range(REVIEWERS)]
    workers = [users.create(db, email=f"worker{n}@bench.example", name=f"Worker {n:02d}",
                            role="worker", password_hash=password_hash) for n in range(WORKERS)]
    start = to_db_time(NOW - timedelta(days=400))
    db.table("contacts").insert_all(
        [{"id": n + 1, "preferred_name": f"Person {n}", "phone": f"+4479{n:08d}",
          "key_worker_id": workers[n % WORKERS], "ok_to_name_service": 0, "created_at": start,
          "created_by": workers[n % WORKERS]} for n in range(CONTACTS)], batch_size=BATCH)
    return reviewers, workers


def repair_rows(count, workers, versions, rng):
    situations = list(rules.SITUATION_KINDS)
    for repair_id in range(1, count + 1):
        started = NOW - timedelta(days=rng.uniform(0, 365))
        situation = rng.choice(situations)
        fitting = versions.get(situation) or [None]
        version = rng.choice(fitting + [None] * (len(fitting) // 4))
        ending = rng.choice(ENDINGS)
        yield {"id": repair_id, "contact_id": rng.randint(1, CONTACTS),
               "worker_id": rng.choice(workers), "situation": situation,
               "kind": rules.kind_of(situation),
               "happened_at": to_db_time(started - timedelta(hours=3)), "note": "",
               "created_at": to_db_time(started), "template_version_id": version,
               "texts_sent": 3 if version else 0, "replies": int(rng.random() < 0.4),
               "replied_72h": int(rng.random() < 0.3), "came_14d": int(rng.random() < 0.4),
               "talked": int(rng.random() < 0.3), "ending": ending,
               "closed_at": to_db_time(started + timedelta(days=20)) if ending else None}


def text_rows(count, workers, rng):
    """Three texts per repair: the repair text and two follow-ups."""
    message_id = 0
    for repair_id in range(1, count + 1):
        for role in ("repair", "follow_up", "follow_up"):
            message_id += 1
            due = to_db_time(NOW - timedelta(days=rng.uniform(0, 365)))
            yield ({"id": message_id, "contact_id": rng.randint(1, CONTACTS),
                    "worker_id": rng.choice(workers), "template_version_id": None,
                    "body": "Hi, it's Sam. I'm here when you want to talk. No need to reply.",
                    "encoding": "GSM-7", "characters": 64, "parts": 1, "warnings": "[]",
                    "status": "delivered", "scheduled_for": due, "created_at": due,
                    "updated_at": due, "sent_at": due, "purpose": "repair"},
                   {"message_id": message_id, "repair_id": repair_id, "role": role,
                    "linked_at": due})


def reflection_rows(count, workers, reviewers, rng):
    for repair_id in range(1, count + 1, 3):
        shared = rng.random() < 0.2
        yield {"repair_id": repair_id, "worker_id": rng.choice(workers),
               "how_it_felt": "Unsettled.", "when_noticed": "Near the end.",
               "how_noticed": "Shorter answers.", "feelings_left": "Hopeful.",
               "shared_with": rng.choice(reviewers) if shared else None,
               "share_first_name": int(shared and rng.random() < 0.5),
               "shared_at": to_db_time(NOW) if shared else None,
               "written_at": to_db_time(NOW), "updated_at": to_db_time(NOW)}


def build(path, count):
    started = time.perf_counter()
    rng = random.Random(13)
    db = fresh_database(path)
    reviewers, workers = add_people(db)
    versions = {}
    for version in sms_templates.usable_versions(db):
        versions.setdefault(version["situation"], []).append(version["id"])
    with db.conn:
        insert_in_batches(db, "repairs", repair_rows(count, workers, versions, rng))
        texts, links = [], []
        for message, link in text_rows(count, workers, rng):
            texts.append(message)
            links.append(link)
            if len(texts) == BATCH:
                db.table("messages").insert_all(texts, batch_size=BATCH)
                db.table("repair_texts").insert_all(links, batch_size=BATCH)
                texts, links = [], []
        db.table("messages").insert_all(texts, batch_size=BATCH)
        db.table("repair_texts").insert_all(links, batch_size=BATCH)
        insert_in_batches(db, "repair_reflections",
                          reflection_rows(count, workers, reviewers, rng))
    db.execute("ANALYZE")
    texts_count = db.execute("SELECT count(*) FROM messages").fetchone()[0]
    db.close()
    return texts_count, time.perf_counter() - started


def timed(call, count=REQUESTS):
    call()  # warm the page cache
    times = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    cuts = statistics.quantiles(times, n=20)
    return {"p50_ms": round(statistics.median(times), 1), "p95_ms": round(cuts[18], 1)}


def page(client, url):
    def get():
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    return get


def redrawn(get):
    """The page as the first view after the figures change: the chart drawn afresh."""
    def call():
        web_repairs._drawn_chart.cache_clear()
        get()
    return call


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repairs", type=int, default=100_000)
    parser.add_argument("--db", default=str(RESULTS / "repairs-bench.db"))
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    texts, seconds = build(args.db, args.repairs)
    app = create_app({"MEND_ENV": "development", "SECRET_KEY": "bench",
                      "DATABASE_PATH": args.db, "RUN_SCHEDULER_IN_PROCESS": False,
                      "SESSION_IDLE_MINUTES": 600})
    client = app.test_client()
    assert log_in(client, "reviewer@bench.example", PASSWORD).status_code == 302
    month = f"{NOW - timedelta(days=30):%Y-%m}"
    logging_off()
    db = connect(args.db)
    figures = {
        "ledger (workflow only)": timed(lambda: workflows.ledger(db)),
        "ledger page": timed(page(client, "/repairs/ledger")),
        "ledger page, chart redrawn": timed(redrawn(page(client, "/repairs/ledger"))),
        "ledger CSV": timed(page(client, "/repairs/ledger.csv")),
        "reflective-practice page": timed(page(client, f"/repairs/practice?month={month}")),
    }
    db.close()
    result = {"benchmark": "repairs", "repairs": args.repairs, "texts": texts,
              "generate_seconds": round(seconds, 1), "machine": machine(), **figures}
    width = max(len(name) for name in figures)
    print(f"{args.repairs:,} repairs, {texts:,} texts (built in {seconds:.0f} s)")
    for name, figure in figures.items():
        print(f"{name:<{width}}  p50 {figure['p50_ms']:>7} ms   p95 {figure['p95_ms']:>7} ms")
    line = json.dumps(result, sort_keys=True)
    print(line)
    if args.repairs >= 100_000:
        (RESULTS / "repairs.json").write_text(line + "\n")


if __name__ == "__main__":
    main()
