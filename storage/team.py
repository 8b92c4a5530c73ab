"""The team around a person: cover periods, replies waiting to be read, the
auto-replies Mend sent, a held number, and moving a person to a new key worker.

Dates of cover are service-local days (YYYY-MM-DD), first and last day included.
"""
import json

from .connection import to_db_time, utc_now

_COVER = """
    SELECT cover_periods.*, key_worker.name AS key_worker_name,
           cover_worker.name AS cover_worker_name, cover_worker.email AS cover_worker_email
    FROM cover_periods
    JOIN users AS key_worker ON key_worker.id = cover_periods.key_worker_id
    JOIN users AS cover_worker ON cover_worker.id = cover_periods.cover_worker_id
"""
_ACTIVE = ("cover_periods.ended_at IS NULL AND cover_periods.starts_on <= :today"
           " AND cover_periods.ends_on >= :today")


def create_cover(db, *, key_worker_id, cover_worker_id, starts_on, ends_on, created_by):
    table = db.table("cover_periods")
    table.insert({"key_worker_id": key_worker_id, "cover_worker_id": cover_worker_id,
                  "starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat(),
                  "created_by": created_by, "created_at": to_db_time(utc_now())})
    return table.last_pk


def get_cover(db, cover_id):
    rows = list(db.query(_COVER + " WHERE cover_periods.id = ?", [cover_id]))
    return rows[0] if rows else None


def end_cover(db, cover_id, *, ended_by):
    """End a cover now; False when it had already ended."""
    return db.execute("UPDATE cover_periods SET ended_at = ?, ended_by = ?"
                      " WHERE id = ? AND ended_at IS NULL",
                      [to_db_time(utc_now()), ended_by, cover_id]).rowcount == 1


def covers_not_over(db, *, today, user_id=None):
    """Covers running today or later (not ended), soonest first; one user's (as key
    worker or cover worker) when `user_id` is given."""
    where = "cover_periods.ended_at IS NULL AND cover_periods.ends_on >= :today"
    if user_id is not None:
        where += (" AND (cover_periods.key_worker_id = :user"
                  " OR cover_periods.cover_worker_id = :user)")
    return list(db.query(_COVER + f" WHERE {where}"
                         " ORDER BY cover_periods.starts_on, cover_periods.id",
                         {"today": today.isoformat(), "user": user_id}))


def covered_key_workers(db, cover_worker_id, *, today):
    """The key workers whose people `cover_worker_id` covers today."""
    return frozenset(row["key_worker_id"] for row in db.query(
        "SELECT key_worker_id FROM cover_periods WHERE cover_worker_id = :user AND "
        + _ACTIVE, {"user": cover_worker_id, "today": today.isoformat()}))


def cover_workers_today(db, key_worker_id, *, today):
    """Who covers this key worker today (id, name, email)."""
    return list(db.query(
        "SELECT DISTINCT users.id, users.name, users.email FROM cover_periods"
        " JOIN users ON users.id = cover_periods.cover_worker_id"
        " WHERE cover_periods.key_worker_id = :user AND users.active = 1 AND " + _ACTIVE,
        {"user": key_worker_id, "today": today.isoformat()}))


_UNREAD = """
    SELECT inbound_messages.id, inbound_messages.contact_id, inbound_messages.received_at,
           inbound_messages.unread_alert_at, inbound_messages.kind,
           contacts.preferred_name AS contact_name, contacts.key_worker_id,
           users.name AS key_worker_name, users.email AS key_worker_email,
           users.active AS key_worker_active
    FROM inbound_messages
    JOIN contacts ON contacts.id = inbound_messages.contact_id
    JOIN users ON users.id = contacts.key_worker_id
    WHERE inbound_messages.read_at IS NULL AND inbound_messages.erased_at IS NULL
      AND contacts.erased_at IS NULL AND inbound_messages.kind = 'reply'
"""


def unread_replies(db):
    """Every reply from a person that nobody has read yet, oldest first."""
    return list(db.query(_UNREAD + " ORDER BY inbound_messages.received_at,"
                                   " inbound_messages.id"))


def unread_replies_with_text(db):
    """As `unread_replies`, with what each says: to tell its language on the team's page,
    never for an email."""
    query = _UNREAD.replace("inbound_messages.kind,", "inbound_messages.kind, inbound_messages.body,", 1)
    return list(db.query(query + " ORDER BY inbound_messages.received_at, inbound_messages.id"))


def unread_for_key_workers(db, key_worker_ids):
    """Unread texts from these key workers' people, newest first (a cover worker's view)."""
    if not key_worker_ids:
        return []
    marks = ",".join("?" for _ in key_worker_ids)
    return list(db.query(
        "SELECT inbound_messages.*, contacts.preferred_name AS contact_name,"
        " contacts.key_worker_id, users.name AS key_worker_name FROM inbound_messages"
        " JOIN contacts ON contacts.id = inbound_messages.contact_id"
        " JOIN users ON users.id = contacts.key_worker_id"
        f" WHERE contacts.key_worker_id IN ({marks}) AND inbound_messages.read_at IS NULL"
        " AND contacts.erased_at IS NULL"
        " ORDER BY inbound_messages.received_at DESC, inbound_messages.id DESC",
        list(key_worker_ids)))


def mark_alerted(db, inbound_id):
    """Record that the email about this unread reply went; False if it had already."""
    return db.execute("UPDATE inbound_messages SET unread_alert_at = ?"
                      " WHERE id = ? AND unread_alert_at IS NULL",
                      [to_db_time(utc_now()), inbound_id]).rowcount == 1


def last_auto_reply_at(db, contact_id):
    """When Mend last made an out-of-hours auto-reply to this person (stored text), or None."""
    row = db.execute("SELECT max(created_at) FROM messages WHERE contact_id = ?"
                     " AND purpose = 'out_of_hours'", [contact_id]).fetchone()
    return row[0] if row else None


def latest_outcome_codes(db, contact_id, limit=5):
    """Error codes of their most recently finished texts, newest first; None for one
    that was delivered."""
    return [row["error_code"] if row["status"] != "delivered" else None for row in db.query(
        "SELECT status, error_code FROM messages WHERE contact_id = ?"
        " AND status IN ('delivered', 'undelivered', 'failed')"
        " ORDER BY coalesce(sent_at, updated_at) DESC, id DESC LIMIT ?", [contact_id, limit])]


def lift_number_hold(db, contact_id):
    """Clear the flag, record the number as checked now, and let their held texts be
    claimed at once. Returns the ids of the texts still waiting."""
    db.execute("UPDATE contacts SET number_flag = NULL, number_confirmed_on = ? WHERE id = ?",
               [to_db_time(utc_now()), contact_id])
    return [row[0] for row in db.execute(
        "UPDATE messages SET next_attempt_at = NULL WHERE contact_id = ?"
        " AND status = 'scheduled' RETURNING id", [contact_id]).fetchall()]


def scheduled_texts(db, contact_id):
    """Their texts still waiting to go, soonest first, with what the worker filled in."""
    return [{**row, "template_fields": json.loads(row["template_fields"] or "{}")}
            for row in db.query(
                "SELECT messages.*, template_versions.body AS template_body,"
                " template_versions.status AS template_status FROM messages"
                " LEFT JOIN template_versions"
                "   ON template_versions.id = messages.template_version_id"
                " WHERE messages.contact_id = ? AND messages.status = 'scheduled'"
                " ORDER BY messages.scheduled_for, messages.id", [contact_id])]


def re_sign(db, message_id, *, worker_id, body, encoding, characters, parts, warnings):
    """A scheduled text now comes from the new key worker; False if it had gone."""
    return db.execute(
        "UPDATE messages SET worker_id = ?, body = ?, encoding = ?, characters = ?,"
        " parts = ?, warnings = ?, updated_at = ? WHERE id = ? AND status = 'scheduled'"
        " AND ambiguous_at IS NULL",
        [worker_id, body, encoding, characters, parts,
         json.dumps(warnings, ensure_ascii=False), to_db_time(utc_now()),
         message_id]).rowcount == 1


def move_person(db, contact_id, *, key_worker_id):
    db.execute("UPDATE contacts SET key_worker_id = ? WHERE id = ?", [key_worker_id, contact_id])
