"""One row per dispatcher tick: when it ran and what it did."""
from .connection import from_db_time, to_db_time


def record(db, *, started_at, finished_at, claimed, sent, failed, deferred):
    db.table("scheduler_ticks").insert({
        "started_at": to_db_time(started_at),
        "finished_at": to_db_time(finished_at),
        "claimed": claimed, "sent": sent, "failed": failed, "deferred": deferred,
    })


def last_tick_at(db):
    row = db.execute("SELECT max(finished_at) FROM scheduler_ticks").fetchone()
    return from_db_time(row[0]) if row and row[0] else None
