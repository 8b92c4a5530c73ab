"""The audit log: append-only events, each chained to the one before by a hash.

Triggers in the schema refuse UPDATE and DELETE. `verify_chain` recomputes every
hash, so an edit, a deletion or a reordering made behind the app's back is found.
"""
import hashlib
import json
from dataclasses import dataclass

from .connection import to_db_time, utc_now, write_transaction

GENESIS_HASH = "0" * 64
ACTOR_TYPES = ("user", "system", "twilio", "person")
# Every action Mend records. `record` refuses any other, and each has a label people
# read in `sms/labels.py` (a test keeps the two in step).
ACTIONS = (
    "message.scheduled", "message.edited", "message.claimed", "message.deferred",
    "message.held", "message.released", "message.retry_scheduled", "message.sent",
    "message.delivered", "message.undelivered", "message.failed", "message.cancelled",
    "message.expired", "message.unknown", "message.status_ignored",
    "consent.granted", "consent.pending", "consent.withdrawn",
    "contact.created", "contact.updated", "contact.erased", "contact.number_confirmed",
    "contact.number_flagged", "contact.number_revealed",
    "inbound.received", "inbound.read",
    "template.loaded", "template.drafted", "template.approved", "template.rejected",
    "template.retired",
    "user.created", "user.deactivated", "user.login", "user.logout",
    "audit.message_viewed", "audit.history_viewed", "audit.dashboard_viewed",
    "audit.exported",
    "alert.raised", "alert.cleared", "retention.run", "database.backed_up",
    # issue 14: cover, handover, a number that is no longer theirs, unread replies
    "contact.number_held", "contact.number_hold_lifted", "contact.handed_over",
    "message.re_signed", "cover.set", "cover.ended", "inbound.unread_alert_sent",
)
_HASHED_COLUMNS = ("id", "at", "actor_type", "actor_id", "action", "subject_type",
                   "subject_id", "detail")


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
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}: add it to events.ACTIONS and a "
                         "label to sms/labels.py")
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


APPEND_ONLY_TRIGGERS = ("events_append_only_update", "events_append_only_delete")


@dataclass(frozen=True)
class ChainReport:
    """What `verify` found: how many events checked out, the hash of the last good
    one (the head), and the first problem, if any."""
    count: int
    head_hash: str
    problem: str | None = None
    broken_event_id: int | None = None
    missing_triggers: tuple = ()

    @property
    def intact(self):
        return self.problem is None and not self.missing_triggers


def verify(db):
    """Recompute every hash in id order; stop at the first event that does not fit.

    Also reports whether the append-only triggers are still in place. Deleting the
    newest events (truncating the tail) leaves a valid shorter chain: only a head
    hash recorded elsewhere can show that.
    """
    present = {row[0] for row in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'")}
    missing = tuple(name for name in APPEND_ONLY_TRIGGERS if name not in present)
    prev_hash = GENESIS_HASH
    expected_id = 1
    cursor = db.execute(f"SELECT {', '.join(_HASHED_COLUMNS)}, prev_hash, hash"
                        " FROM events ORDER BY id")
    for values in cursor:
        event = dict(zip(_HASHED_COLUMNS, values))
        stored_prev, stored_hash = values[-2], values[-1]
        problem = None
        if event["id"] != expected_id:
            problem = f"event {expected_id} is missing (the next event is {event['id']})"
        elif stored_prev != prev_hash:
            problem = (f"event {event['id']} does not follow event {expected_id - 1}: "
                       "an event before it was removed, added or reordered")
        elif event_hash(event, prev_hash) != stored_hash:
            problem = f"event {event['id']} was altered (its hash does not match its content)"
        if problem:
            cursor.close()
            return ChainReport(count=expected_id - 1, head_hash=prev_hash, problem=problem,
                               broken_event_id=min(expected_id, event["id"]),
                               missing_triggers=missing)
        prev_hash = stored_hash
        expected_id += 1
    return ChainReport(count=expected_id - 1, head_hash=prev_hash, missing_triggers=missing)


def verify_chain(db):
    """Return (count, None) when intact, else (count_checked, problem description)."""
    report = verify(db)
    return report.count, report.problem
