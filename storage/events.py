"""The audit log: append-only events, each chained to the one before by a hash.

Triggers in the schema refuse UPDATE and DELETE. `verify_chain` recomputes every
hash, so an edit, a deletion or a reordering made behind the app's back is found.
"""
import concurrent.futures
import json
import multiprocessing
import os
import pathlib
import sqlite3
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from hashlib import sha256

from .connection import BUSY_TIMEOUT_MS, to_db_time, utc_now, write_transaction

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
    "template.retired", "template.proposed",
    "user.created", "user.deactivated", "user.login", "user.logout",
    "user.password_changed", "user.password_reset",
    "audit.message_viewed", "audit.history_viewed", "audit.dashboard_viewed",
    "audit.exported",
    "alert.raised", "alert.cleared", "retention.run", "database.backed_up",
    "repair.started", "repair.text_linked", "repair.reply_linked", "repair.reflected",
    "repair.reflection_shared", "repair.reflection_unshared", "repair.meeting_planned",
    "repair.meeting_recorded", "repair.plan_set", "repair.plan_cancelled", "repair.closed",
    "repair.ledger_viewed", "repair.ledger_exported", "repair.practice_viewed",
    "demo.loaded",
    "database.restored", "message.lookup_after_restore",
    # issue 14: cover, handover, a number that is no longer theirs, unread replies
    "contact.number_held", "contact.number_hold_lifted", "contact.handed_over",
    "message.re_signed", "cover.set", "cover.ended", "inbound.unread_alert_sent",
    # issue 18: languages
    "contact.language_recorded", "user.languages_changed", "template.translation_requested",
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
    return sha256((prev_hash + content).encode("utf-8")).hexdigest()


def record(db, *, action, subject_type, subject_id=None, actor_type="system",
           actor_id=None, detail=None, at=None):
    """Append one event; returns its id. Joins the caller's transaction if any."""
    if actor_type not in ACTOR_TYPES:
        raise ValueError(f"unknown actor type {actor_type!r}")
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}: add it to events.ACTIONS and a "
                         "label to sms/labels.py")
    if db.conn.in_transaction:  # one INSERT needs no savepoint of its own
        return _append(db, action, subject_type, subject_id, actor_type, actor_id,
                       detail, at)
    with write_transaction(db):
        return _append(db, action, subject_type, subject_id, actor_type, actor_id,
                       detail, at)


_INSERT = ("INSERT INTO events (id, at, actor_type, actor_id, action, subject_type,"
           " subject_id, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")


def _append(db, action, subject_type, subject_id, actor_type, actor_id, detail, at):
    """The event after the newest one, chained to it. The caller holds the write lock."""
    last = db.conn.execute("SELECT id, hash FROM events ORDER BY id DESC LIMIT 1").fetchone()
    event_id, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
    event = {
        "id": event_id,
        "at": to_db_time(at or utc_now()),
        "actor_type": actor_type,
        "actor_id": actor_id,
        "action": action,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "detail": json.dumps(detail or {}, sort_keys=True, ensure_ascii=False),
    }
    digest = event_hash(event, prev_hash)
    db.conn.execute(_INSERT, (event_id, event["at"], actor_type, actor_id, action,
                              subject_type, subject_id, event["detail"], prev_hash, digest))
    return event_id


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


def verify(db, after=None):
    """Recompute every hash in id order; stop at the first event that does not fit.

    Also reports whether the append-only triggers are still in place. Deleting the
    newest events (truncating the tail) leaves a valid shorter chain: only a head
    hash recorded elsewhere can show that (`storage/checkpoints.py`).

    `after` = (count, head_hash), a head known to be good (a signed checkpoint):
    only the events after it are checked, chained on from that hash.
    """
    present = {row[0] for row in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'")}
    missing = tuple(name for name in APPEND_ONLY_TRIGGERS if name not in present)
    prev_hash = after[1] if after else GENESIS_HASH
    expected_id = after[0] + 1 if after else 1
    checked = _verify_in_parallel(db, prev_hash, expected_id)
    if checked is None:  # a small log, one core, or a problem: one pass names it exactly
        only_after = "id > ?" if after else ""  # a full check reads every row
        checked = _check_range(db.conn, only_after, [after[0]] if after else [], prev_hash,
                               expected_id)
    count, head, problem, broken = checked
    return ChainReport(count=count, head_hash=head, problem=problem, broken_event_id=broken,
                       missing_triggers=missing)


# What each event's hash is taken of (its stored prev_hash, then canonical_content),
# written by SQLite: json_object escapes text exactly as json.dumps(ensure_ascii=False)
# does, so `audit verify` gets each row ready to hash instead of building it from ten
# Python objects (a third less time). SQLite writes a REAL with 15 digits (and an
# infinity as Inf, where Python writes Infinity), so two different REAL ids could
# read alike there: a row with one (Mend writes none) comes as NULL and is hashed the
# Python way, which decides whenever the two disagree.
_CONTENT = ("CASE WHEN typeof(actor_id) != 'real' AND typeof(subject_id) != 'real'"
            " THEN CAST(prev_hash || json_object('action', action, 'actor_id', actor_id,"
            " 'actor_type', actor_type, 'at', at, 'detail', detail, 'id', id,"
            " 'subject_id', subject_id, 'subject_type', subject_type) AS BLOB) END")
_SELECT_CONTENT = f"SELECT id, prev_hash, hash, {_CONTENT} FROM events"
_SELECT_HASHED = f"SELECT {', '.join(_HASHED_COLUMNS)}, prev_hash, hash FROM events"
PARALLEL_FROM = 1_000_000  # events: below this one pass is quick enough
MAX_PROCESSES = 4
# Stretches per process, handed out as each process comes free, so a core slowed by
# other work does not leave the rest waiting on its half at the end.
STRETCHES_PER_PROCESS = 8


def _verify_in_parallel(db, prev_hash, expected_id):
    """The chain split into stretches checked at once in separate processes (one per
    core, up to MAX_PROCESSES; STRETCHES_PER_PROCESS stretches each), when the log is
    large. Each stretch chains on from the stored hash of the event before it, and the
    stretch before checks that hash, so together they check exactly what one pass
    does. Returns what one pass would for an intact chain (up to the newest event when
    it started), or None when one pass should do it: a small log, one core, an
    in-memory database, or any problem (one pass then names the first broken event
    exactly)."""
    processes = min(os.cpu_count() or 1, MAX_PROCESSES)
    # Two subqueries: SQLite finds a lone min() or max() at one end of the index, but
    # both in one SELECT scan the whole table (0.6-0.8 s for 5 million events).
    first_id, last_id = db.execute(
        "SELECT (SELECT min(id) FROM events), (SELECT max(id) FROM events)").fetchone()
    path = next((row[2] for row in db.execute("PRAGMA database_list") if row[1] == "main"),
                "")
    if (processes < 2 or not path or last_id is None or last_id - expected_id < PARALLEL_FROM
            or (expected_id == 1 and first_id < 1)):  # an event before the first: one pass
        return None
    size = (last_id - expected_id + 1) // (processes * STRETCHES_PER_PROCESS) + 1
    starts = list(range(expected_id, last_id + 1, size))
    stretches = []
    for first in starts:
        before = prev_hash if first == expected_id else db.execute(
            "SELECT hash FROM events WHERE id = ?", [first - 1]).fetchone()
        if before is None:
            return None
        stretches.append((path, before if first == expected_id else before[0], first,
                          min(first + size - 1, last_id)))
    context = multiprocessing.get_context("spawn")  # never a copy of this connection
    try:
        with concurrent.futures.ProcessPoolExecutor(min(processes, len(stretches)),
                                                    mp_context=context) as pool:
            results = list(pool.map(_check_stretch, *zip(*stretches)))
    except (sqlite3.Error, OSError, BrokenProcessPool):
        return None  # a worker could not read the file: one pass in this process
    for (_, _, _, last), (count, _, problem, _) in zip(stretches, results):
        if problem is not None or count != last:
            return None
    return results[-1]


def _check_stretch(path, prev_hash, first_id, last_id):
    """In a worker process: check events first_id..last_id on a connection of its own."""
    conn = sqlite3.connect(pathlib.Path(path).as_uri() + "?mode=ro", uri=True)
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        return _check_range(conn, "id >= ? AND id <= ?", [first_id, last_id], prev_hash,
                            first_id)
    finally:
        conn.close()


def _check_range(conn, where, params, prev_hash, expected_id):
    """check_rows over the events `where` picks, in id order: SQLite writes what is
    hashed. A field json_object refuses (a BLOB, which Mend never writes, or JSON
    longer than SQLite's longest string) stops that scan; the same events are then
    read and written the Python way."""
    where = f" WHERE {where}" if where else ""

    def exact_hash(event_id, prev_hash):
        try:
            row = conn.execute(f"{_SELECT_HASHED} WHERE id = ?", [event_id]).fetchone()
        except sqlite3.OperationalError as error:  # text that is not UTF-8: Mend never
            if "Could not decode to UTF-8" not in str(error):  # writes it, no hash fits
                raise
            return None
        content = row and _content_in_python(row, prev_hash)
        return content and sha256(content).hexdigest()

    cursor = None
    try:  # SQLite runs the first row in execute(): a BLOB there raises at once
        cursor = conn.execute(f"{_SELECT_CONTENT}{where} ORDER BY id", params)
        return check_rows(cursor, prev_hash, expected_id, exact_hash)
    except sqlite3.DataError:  # an event's JSON longer than SQLite allows a string
        pass
    except sqlite3.OperationalError as error:
        if "JSON cannot hold BLOB values" not in str(error):
            raise
    finally:
        if cursor is not None:
            cursor.close()
    cursor = conn.execute(f"{_SELECT_HASHED}{where} ORDER BY id", params)
    try:
        rows = ((row[0], row[-2], row[-1], _content_in_python(row, row[-2]))
                for row in cursor)
        return check_rows(rows, prev_hash, expected_id, exact_hash)
    finally:
        cursor.close()


def _content_in_python(row, prev_hash):
    """What event_hash hashes for a row read as (*_HASHED_COLUMNS, ...), or None for
    one holding what `record` never writes and JSON cannot hold (bytes): no stored
    hash matches it."""
    try:
        return (prev_hash + canonical_content(dict(zip(_HASHED_COLUMNS, row)))).encode()
    except TypeError:
        return None


def check_rows(rows, prev_hash, expected_id, exact_hash):
    """Check rows read as (id, prev_hash, hash, what is hashed as bytes), in id order,
    chained on from `prev_hash`, the first expected to be event `expected_id`.

    The bytes are written by SQLite (`_CONTENT`). Where they are missing or do not
    hash to the stored hash, `exact_hash(event_id, prev_hash)` (event_hash on the
    event's fields, as `record` hashed them) decides, so an event is never called
    altered, nor passed, because SQLite wrote it differently.

    Returns (the id of the last event that checked out, its hash, the first problem or
    None, the first broken event's id or None). This is `audit verify`'s inner loop,
    run for every event. Property-tested against `event_hash` and SQLite
    (tests/test_audit_log.py).
    """
    sha = sha256
    for event_id, stored_prev, stored_hash, content in rows:
        if event_id != expected_id or stored_prev != prev_hash:
            break
        if content is None or sha(content).hexdigest() != stored_hash:
            exact = exact_hash(event_id, prev_hash)  # None: no hash matches this row
            if exact is None or exact != stored_hash:
                break
        prev_hash = stored_hash
        expected_id += 1
    else:
        return expected_id - 1, prev_hash, None, None
    if event_id != expected_id:
        problem = f"event {expected_id} is missing (the next event is {event_id})"
    elif stored_prev != prev_hash:
        problem = (f"event {event_id} does not follow event {expected_id - 1}: "
                   "an event before it was removed, added or reordered")
    else:
        problem = f"event {event_id} was altered (its hash does not match its content)"
    return expected_id - 1, prev_hash, problem, min(expected_id, event_id)


def verify_chain(db):
    """Return (count, None) when intact, else (count_checked, problem description)."""
    report = verify(db)
    return report.count, report.problem
