"""Outgoing texts. The row is the source of truth for a message's lifecycle."""
import json

from .connection import select, to_db_time, utc_now, write_transaction

CANCELLED_THEN_ERASED = "Cancelled. The reason was removed with the person's details."
STATUSES = ("scheduled", "sending", "sent", "delivered", "undelivered",
            "failed", "cancelled", "expired", "unknown")


def create(db, *, contact_id, worker_id, template_version_id, body, encoding,
           characters, parts, warnings, scheduled_for, template_fields=None,
           purpose="repair", day_written_for=None, language=None, other_version_id=None):
    now = to_db_time(utc_now())
    table = db.table("messages")
    table.insert({
        "contact_id": contact_id,
        "worker_id": worker_id,
        "template_version_id": template_version_id,
        "body": body,
        "encoding": encoding,
        "characters": characters,
        "parts": parts,
        "warnings": json.dumps(warnings, ensure_ascii=False),
        "template_fields": json.dumps(template_fields or {}, ensure_ascii=False),
        "status": "scheduled",
        "scheduled_for": to_db_time(scheduled_for),
        "purpose": purpose,
        # only when known, so a database before m051 (an upgrade test) still takes it
        **({"language": language} if language else {}),
        **({"other_version_id": other_version_id} if other_version_id else {}),
        "created_at": now,
        "updated_at": now,
        **({"day_written_for": day_written_for} if day_written_for else {}),
    })
    return table.last_pk


_SELECT = """
    SELECT messages.*, contacts.preferred_name AS contact_name,
           contacts.key_worker_id AS key_worker_id, users.name AS worker_name,
           template_versions.template_id AS template_id,
           template_versions.version AS template_version,
           template_versions.title AS template_title
    FROM messages
    JOIN contacts ON contacts.id = messages.contact_id
    JOIN users ON users.id = messages.worker_id
    LEFT JOIN template_versions ON template_versions.id = messages.template_version_id
"""


def get(db, message_id):
    rows = list(db.query(_SELECT + " WHERE messages.id = ?", [message_id]))
    return decode(rows[0]) if rows else None


def for_contact(db, contact_id):
    return [decode(row) for row in db.query(
        _SELECT + " WHERE messages.contact_id = ? ORDER BY messages.scheduled_for DESC,"
        " messages.id DESC", [contact_id])]


def for_worker(db, worker_id, *, statuses, limit=20, soonest_first=False):
    """Texts to a worker's caseload in these statuses; newest first unless `soonest_first`."""
    marks = ",".join("?" for _ in statuses)
    order = "ASC" if soonest_first else "DESC"
    return [decode(row) for row in db.query(
        _SELECT + f" WHERE contacts.key_worker_id = ? AND messages.status IN ({marks})"
        " AND contacts.erased_at IS NULL"
        f" ORDER BY messages.scheduled_for {order}, messages.id {order} LIMIT ?",
        [worker_id, *statuses, limit])]


def decode(row):
    return {**row, "warnings": json.loads(row["warnings"]),
            "template_fields": json.loads(row.get("template_fields") or "{}")}


def update_scheduled(db, message_id, *, template_version_id, body, encoding, characters,
                     parts, warnings, scheduled_for, template_fields, day_written_for=None,
                     language=None, other_version_id=None):
    """Change a text that has not been claimed yet. False if it already left `scheduled`."""
    cursor = db.execute(
        """
        UPDATE messages SET template_version_id = ?, body = ?, encoding = ?, characters = ?,
            parts = ?, warnings = ?, scheduled_for = ?, template_fields = ?,
            day_written_for = ?, updated_at = ?, language = ?, other_version_id = ?
        WHERE id = ? AND status = 'scheduled' AND attempts = 0 AND ambiguous_at IS NULL
          AND purpose = 'repair'
        """,
        [template_version_id, body, encoding, characters, parts,
         json.dumps(warnings, ensure_ascii=False), to_db_time(scheduled_for),
         json.dumps(template_fields, ensure_ascii=False), day_written_for,
         to_db_time(utc_now()), language, other_version_id, message_id])
    return cursor.rowcount == 1


def recent_duplicate(db, *, contact_id, worker_id, body, since):
    """A text this worker made to this contact with this exact body since `since`, and
    not cancelled: the id of the newest, or None. (A repeated confirm is the same text.)"""
    row = db.execute(
        "SELECT id FROM messages WHERE contact_id = ? AND worker_id = ? AND body = ?"
        " AND created_at >= ? AND status != 'cancelled' AND purpose = 'repair'"
        " ORDER BY id DESC LIMIT 1",
        [contact_id, worker_id, body, to_db_time(since)]).fetchone()
    return row[0] if row else None


def recent_template_ids(db, worker_id, limit=5):
    """The templates this worker used most recently, newest first."""
    return [row["template_id"] for row in db.query(
        """
        SELECT template_versions.template_id, max(messages.created_at) AS last_used
        FROM messages JOIN template_versions
          ON template_versions.id = messages.template_version_id
        WHERE messages.worker_id = ?
        GROUP BY template_versions.template_id ORDER BY last_used DESC LIMIT ?
        """, [worker_id, limit])]


def claim_due(db, *, now, limit):
    """Atomically move due `scheduled` rows to `sending` and return them.

    A row waiting for a retry or for its window (`next_attempt_at`) is not due yet.

    One UPDATE ... RETURNING, so two dispatchers can never claim the same row.
    """
    stamp = to_db_time(now)
    with write_transaction(db):
        rows = select(db, """
            UPDATE messages SET status = 'sending', claimed_at = ?, updated_at = ?,
                                attempts = attempts + 1, send_started_at = NULL
            WHERE id IN (SELECT id FROM messages
                         WHERE status = 'scheduled' AND scheduled_for <= ?
                           AND (next_attempt_at IS NULL OR next_attempt_at <= ?)
                         ORDER BY scheduled_for, id LIMIT ?)
              AND status = 'scheduled'
            RETURNING *
            """, [stamp, stamp, stamp, stamp, limit])
    return [decode(row) for row in rows]


def transition(db, message_id, *, from_statuses, to_status, **fields):
    """Move a message to `to_status` only if it is in one of `from_statuses`.

    Returns True when the row moved; False means another actor moved it first.
    """
    if to_status not in STATUSES:
        raise ValueError(f"unknown status {to_status!r}")
    fields = {key: (to_db_time(value) if hasattr(value, "tzinfo") else value)
              for key, value in fields.items()}
    assignments = ", ".join(f"{column} = :{column}" for column in fields)
    marks = ", ".join(f":from_{index}" for index, _ in enumerate(from_statuses))
    params = {**fields, "to_status": to_status, "id": message_id,
              "updated_at": to_db_time(utc_now()),
              **{f"from_{index}": status for index, status in enumerate(from_statuses)}}
    cursor = db.execute(
        f"UPDATE messages SET status = :to_status, updated_at = :updated_at"
        f"{', ' + assignments if assignments else ''}"
        f" WHERE id = :id AND status IN ({marks})",
        params,
    )
    return cursor.rowcount == 1


def mark_send_started(db, message_id, *, at):
    """Say, before the request leaves, that this claimed text's send has started.

    Committed before it returns, so a crash after it means "it may have reached the
    provider": look it up before anything else. Not an audit event: the status does
    not change, and the event that follows (sent, or settled after a crash) says so.
    """
    with write_transaction(db):
        cursor = db.execute("UPDATE messages SET send_started_at = ? WHERE id = ?"
                            " AND status = 'sending'", [to_db_time(at), message_id])
    return cursor.rowcount == 1


def abandoned_sends(db):
    """Texts left `sending` by a dead dispatcher, with what a look-up needs."""
    return list(db.query(
        "SELECT m.id, m.body, m.parts, m.attempts, m.send_started_at, m.ambiguous_at,"
        " m.contact_id, c.phone FROM messages m JOIN contacts c ON c.id = m.contact_id"
        " WHERE m.status = 'sending' ORDER BY m.id"))


def scheduled_for_contact(db, contact_id):
    return [row["id"] for row in db.query(
        "SELECT id FROM messages WHERE contact_id = ? AND status = 'scheduled'", [contact_id])]


def ids_with_status(db, status):
    return [row["id"] for row in db.query(
        "SELECT id FROM messages WHERE status = ? ORDER BY id", [status])]


def latest_sent_to(db, contact_ids):
    """Of these contacts, the one most recently sent a text (None if none was)."""
    if not contact_ids:
        return None
    marks = ",".join("?" for _ in contact_ids)
    row = db.execute(
        f"SELECT contact_id FROM messages WHERE contact_id IN ({marks})"
        " AND sent_at IS NOT NULL ORDER BY sent_at DESC, id DESC LIMIT 1",
        list(contact_ids)).fetchone()
    return row[0] if row else None


def pending_confirmation_request(db, contact_id):
    """The scheduled consent-confirmation text to this contact, if one is waiting to go."""
    rows = list(db.query(
        "SELECT * FROM messages WHERE contact_id = ? AND purpose = 'consent_request'"
        " AND status IN ('scheduled', 'sending') ORDER BY id DESC LIMIT 1", [contact_id]))
    return rows[0] if rows else None


def erase_bodies_for_contact(db, contact_id):
    """Blank the text of every message to the contact, with what the worker filled in
    (personal line, meeting), any warnings quoting it, and cancellation notes."""
    db.execute("UPDATE messages SET body = '', warnings = '[]', template_fields = '{}',"
               " status_reason = CASE WHEN status = 'cancelled' THEN ? ELSE status_reason END"
               " WHERE contact_id = ?", [CANCELLED_THEN_ERASED, contact_id])


def compact_search_index(db):
    """Rewrite the full-text index so removed words leave no trace in the file.

    FTS5 keeps a deleted row's words in old index segments until they are merged;
    'optimize' merges them all, and secure_delete zeroes the pages it frees.
    """
    db.execute("INSERT INTO messages_fts(messages_fts) VALUES ('optimize')")
