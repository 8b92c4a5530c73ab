"""Texts people send to Mend: replies, keywords, and those from unknown numbers."""
import sqlite3

from .connection import to_db_time, utc_now

KINDS = ("reply", "stop", "start", "help")

_SELECT = """
    SELECT inbound_messages.*, contacts.preferred_name AS contact_name,
           contacts.key_worker_id AS key_worker_id
    FROM inbound_messages
    LEFT JOIN contacts ON contacts.id = inbound_messages.contact_id
"""


def record(db, *, provider_sid, from_number, contact_id, body, kind, keyword=None,
           possible_stop=False, consent_change=None, received_at=None):
    """Store one incoming text; returns its id, or None if `provider_sid` is stored already.

    Twilio retries a webhook it thinks failed, so the same MessageSid can arrive twice.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown inbound kind {kind!r}")
    table = db.table("inbound_messages")
    try:
        table.insert({
            "provider_sid": provider_sid,
            "from_number": from_number,
            "contact_id": contact_id,
            "body": body,
            "kind": kind,
            "keyword": keyword,
            "possible_stop": 1 if possible_stop else 0,
            "consent_change": consent_change,
            "received_at": to_db_time(received_at or utc_now()),
        })
    except sqlite3.IntegrityError:
        if is_recorded(db, provider_sid):
            return None
        raise
    return table.last_pk


def is_recorded(db, provider_sid):
    return db.execute("SELECT 1 FROM inbound_messages WHERE provider_sid = ?",
                      [provider_sid]).fetchone() is not None


def get(db, inbound_id):
    rows = list(db.query(_SELECT + " WHERE inbound_messages.id = ?", [inbound_id]))
    return rows[0] if rows else None


def for_contact(db, contact_id):
    """Everything the person sent, oldest first."""
    return list(db.query(_SELECT + " WHERE inbound_messages.contact_id = ?"
                         " ORDER BY inbound_messages.received_at, inbound_messages.id",
                         [contact_id]))


def unread_for_key_worker(db, worker_id):
    """Unread texts from one worker's caseload, newest first."""
    return list(db.query(
        _SELECT + " WHERE contacts.key_worker_id = ? AND inbound_messages.read_at IS NULL"
        " AND contacts.erased_at IS NULL"
        " ORDER BY inbound_messages.received_at DESC, inbound_messages.id DESC",
        [worker_id]))


def unmatched(db, *, include_read=False):
    """Texts from numbers that match no one, newest first (for admins)."""
    where = "inbound_messages.contact_id IS NULL AND inbound_messages.erased_at IS NULL"
    if not include_read:
        where += " AND inbound_messages.read_at IS NULL"
    return list(db.query(_SELECT + f" WHERE {where}"
                         " ORDER BY inbound_messages.received_at DESC, inbound_messages.id DESC"))


def mark_read(db, inbound_ids, *, read_by, at=None):
    """Mark these as read; returns the ids that were unread."""
    changed = []
    for inbound_id in inbound_ids:
        cursor = db.execute(
            "UPDATE inbound_messages SET read_at = ?, read_by = ?"
            " WHERE id = ? AND read_at IS NULL",
            [to_db_time(at or utc_now()), read_by, inbound_id])
        if cursor.rowcount:
            changed.append(inbound_id)
    return changed


def unread_ids_for_contact(db, contact_id):
    return [row["id"] for row in db.query(
        "SELECT id FROM inbound_messages WHERE contact_id = ? AND read_at IS NULL",
        [contact_id])]


def erase_for_contact(db, contact_id, phone, *, at=None):
    """Blank the text and number of everything the person sent, matched or not.

    Unmatched texts from their number are theirs too. The rows stay, so the audit
    trail keeps its shape: ids, times and kinds.
    """
    stamp = to_db_time(at or utc_now())
    db.execute(
        "UPDATE inbound_messages SET body = '', from_number = NULL, erased_at = ?"
        " WHERE contact_id = ? OR (contact_id IS NULL AND from_number = ?)",
        [stamp, contact_id, phone])


def latest_unmatched_keyword(db, phone):
    """The newest STOP or START-type text from `phone` that matched no one, or None.

    A number can text STOP before anyone adds it to Mend; that STOP still counts.
    """
    rows = list(db.query(
        "SELECT * FROM inbound_messages WHERE from_number = ? AND contact_id IS NULL"
        " AND kind IN ('stop', 'start') AND erased_at IS NULL"
        " ORDER BY received_at DESC, id DESC LIMIT 1", [phone]))
    return rows[0] if rows else None
