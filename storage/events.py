"""The audit log: append-only events, each chained to the one before by a hash.

Triggers in the schema refuse UPDATE and DELETE. `verify_chain` recomputes every
hash, so an edit, a deletion or a reordering made behind the app's back is found.
"""
import hashlib
import json

from .connection import to_db_time, utc_now, write_transaction

GENESIS_HASH = "0" * 64
ACTOR_TYPES = ("user", "system", "twilio", "person")


def canonical_content(event):
    """The exact bytes hashed for an event: sorted-key JSON of its fields."""
    fields = {
        "id": event["id"],
        "at": event["at"],
        "actor_type": event["actor_type"],
        "actor_id": event["actor_id"],
        "action": event["action"],
        "subject_type": event["subject_type"],
        "subject_id": event["subject_id"],
        "detail": event["detail"],
    }
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_hash(event, prev_hash):
    content = canonical_content(event)
    return hashlib.sha256((prev_hash + content).encode("utf-8")).hexdigest()


def record(db, *, action, subject_type, subject_id=None, actor_type="system",
           actor_id=None, detail=None, at=None):
    """Append one event; returns its id. Joins the caller's transaction if any."""
    if actor_type not in ACTOR_TYPES:
        raise ValueError(f"unknown actor type {actor_type!r}")
    with write_transaction(db):
        last = list(db.query("SELECT id, hash FROM events ORDER BY id DESC LIMIT 1"))
        prev_hash = last[0]["hash"] if last else GENESIS_HASH
        event = {
            "id": (last[0]["id"] + 1) if last else 1,
            "at": to_db_time(at or utc_now()),
            "actor_type": actor_type,
            "actor_id": actor_id,
            "action": action,
            "subject_type": subject_type,
            "subject_id": subject_id,
            "detail": json.dumps(detail or {}, sort_keys=True, ensure_ascii=False),
        }
        event["prev_hash"] = prev_hash
        event["hash"] = event_hash(event, prev_hash)
        db.table("events").insert(event)
    return event["id"]


def for_subject(db, subject_type, subject_id):
    return [
        decode(row)
        for row in db.query(
            "SELECT * FROM events WHERE subject_type = ? AND subject_id = ? ORDER BY id",
            [subject_type, subject_id],
        )
    ]


def for_subjects(db, subjects):
    """Events about any of `subjects` ((type, id) pairs), oldest first."""
    if not subjects:
        return []
    clauses = " OR ".join("(subject_type = ? AND subject_id = ?)" for _ in subjects)
    params = [value for pair in subjects for value in pair]
    return [decode(row) for row in db.query(
        f"SELECT * FROM events WHERE {clauses} ORDER BY id", params)]


def decode(row):
    return {**row, "detail": json.loads(row["detail"])}


def count(db):
    return db.execute("SELECT count(*) FROM events").fetchone()[0]


def verify_chain(db):
    """Return (count, None) when intact, else (count_checked, problem description)."""
    prev_hash = GENESIS_HASH
    expected_id = 1
    checked = 0
    for row in db.query("SELECT * FROM events ORDER BY id"):
        if row["id"] != expected_id:
            return checked, f"event {expected_id} is missing (next is {row['id']})"
        if row["prev_hash"] != prev_hash:
            return checked, f"event {row['id']} does not follow event {row['id'] - 1}"
        if event_hash(row, prev_hash) != row["hash"]:
            return checked, f"event {row['id']} was altered (its hash does not match)"
        prev_hash = row["hash"]
        expected_id += 1
        checked += 1
    return checked, None
