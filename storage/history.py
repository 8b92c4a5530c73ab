"""The audit history of texts: filtered, keyset-paged listings, CSV rows, one
message's timeline and the consent in force when it went.

Paging is by keyset on (scheduled_for, id), newest first, never OFFSET, so a deep
page costs what the first one does.
"""
from dataclasses import dataclass


REPLY_WINDOW_DAYS = 7


@dataclass(frozen=True)
class Filters:
    """Already-validated filter values; None means 'any'. Times are UTC ISO strings."""
    worker_id: int | None = None
    contact_id: int | None = None
    status: str | None = None
    template_id: str | None = None
    situation: str | None = None
    since: str | None = None  # inclusive
    until: str | None = None  # exclusive
    search: str | None = None


_COLUMNS = """
    m.id, m.contact_id, m.worker_id, m.template_version_id, m.body, m.parts,
    m.status, m.status_reason, m.error_code, m.scheduled_for, m.sent_at,
    m.created_at, m.updated_at, m.body_removed_at,
    c.preferred_name AS contact_name, c.phone AS contact_phone,
    u.name AS worker_name,
    v.template_id AS template_id, v.version AS template_version,
    v.title AS template_title, v.situation AS situation
"""
_FROM = """
    FROM messages m
    JOIN contacts c ON c.id = m.contact_id
    JOIN users u ON u.id = m.worker_id
    LEFT JOIN template_versions v ON v.id = m.template_version_id
"""


_FILTER_CLAUSES = (
    ("worker_id", "m.worker_id = ?"),
    ("contact_id", "m.contact_id = ?"),
    ("status", "m.status = ?"),
    ("template_id", "m.template_version_id IN"
                    " (SELECT id FROM template_versions WHERE template_id = ?)"),
    ("situation", "m.template_version_id IN"
                  " (SELECT id FROM template_versions WHERE situation = ?)"),
    ("since", "m.scheduled_for >= ?"),
    ("until", "m.scheduled_for < ?"),
)


def _where(db, filters):
    clauses, params = [], []
    for name, clause in _FILTER_CLAUSES:
        value = getattr(filters, name)
        if value is not None:
            clauses.append(clause)
            params.append(value)
    if filters.search:
        query = db.quote_fts(filters.search)
        clauses.append(_search_clause(db, query))
        params.append(query)
    return clauses, params


SEARCH_LEADS_BELOW = 5000


def _search_clause(db, query):
    """Pick the plan by how common the words are.

    Few matches: look them up through the full-text index, then sort (cheap).
    Many matches (say one text in ten at a million): sorting them all costs
    hundreds of milliseconds, so walk the date index newest first instead and stop
    at a page of matches; the unary + keeps SQLite from driving the query by id.
    """
    matches = db.execute(
        "SELECT count(*) FROM (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?"
        " LIMIT ?)", [query, SEARCH_LEADS_BELOW]).fetchone()[0]
    column = "m.id" if matches < SEARCH_LEADS_BELOW else "+m.id"
    return f"{column} IN (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?)"


def page(db, filters, *, before=None, size=50):
    """One page, newest first: (rows, next_key). `before` and `next_key` are
    (scheduled_for, id) keys; next_key is None on the last page."""
    clauses, params = _where(db, filters)
    if before is not None:
        scheduled_for, message_id = before
        clauses.append("m.scheduled_for <= ? AND (m.scheduled_for < ? OR m.id < ?)")
        params.extend([scheduled_for, scheduled_for, message_id])
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    rows = list(db.query(
        f"SELECT {_COLUMNS} {_FROM} {where}"
        " ORDER BY m.scheduled_for DESC, m.id DESC LIMIT ?",
        [*params, size + 1]))
    if len(rows) > size:
        last = rows[size - 1]
        return rows[:size], (last["scheduled_for"], last["id"])
    return rows, None


# The export's columns, in the order `export_rows` gives them.
EXPORT_COLUMNS = ("id", "created_at", "scheduled_for", "sent_at", "status", "status_reason",
                  "error_code", "worker_id", "worker_name", "contact_id", "contact_name",
                  "contact_phone", "template_id", "template_version", "template_title",
                  "situation", "parts", "body", "body_removed_at")
_EXPORT_SELECT = """
    m.id, m.created_at, m.scheduled_for, m.sent_at, m.status, m.status_reason,
    m.error_code, m.worker_id, u.name, m.contact_id, c.preferred_name,
    c.phone, v.template_id, v.version, v.title,
    v.situation, m.parts, m.body, m.body_removed_at
"""


def export_rows(db, filters):
    """Every matching message, oldest first, one row at a time (a generator over
    the cursor, so memory stays flat however many rows there are). Each row is a
    plain tuple in EXPORT_COLUMNS order: the export reads a million of them, and a
    tuple is built and read by position faster than a row read by name."""
    clauses, params = _where(db, filters)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    cursor = db.conn.cursor()
    cursor.row_factory = None
    cursor.execute(f"SELECT {_EXPORT_SELECT} {_FROM} {where} ORDER BY m.scheduled_for, m.id",
                   params)
    try:
        yield from cursor
    finally:
        cursor.close()


def message(db, message_id):
    rows = list(db.query(
        f"SELECT {_COLUMNS}, v.reviewed_by_name, v.reviewed_on,"
        f" v.reviewed_by AS template_reviewed_by {_FROM} WHERE m.id = ?",
        [message_id]))
    return rows[0] if rows else None


def consent_before_event(db, contact_id, event_id):
    """The consent entry in force when audit event `event_id` was recorded.

    The audit log orders everything, even changes within the same second: the
    latest consent event for the contact before `event_id` names the entry.
    None when no consent event is found.
    """
    rows = list(db.query(
        "SELECT consents.*, users.name AS recorded_by_name FROM events"
        " JOIN consents ON consents.id = json_extract(events.detail, '$.consent_id')"
        " LEFT JOIN users ON users.id = consents.recorded_by"
        " WHERE events.subject_type = 'contact' AND events.subject_id = ?"
        "   AND events.action LIKE 'consent.%' AND events.id < ?"
        " ORDER BY events.id DESC LIMIT 1",
        [contact_id, event_id]))
    return rows[0] if rows else None


def consent_at(db, contact_id, moment):
    """The consent entry in force at `moment` (a UTC ISO string), or None."""
    rows = list(db.query(
        "SELECT consents.*, users.name AS recorded_by_name FROM consents"
        " LEFT JOIN users ON users.id = consents.recorded_by"
        " WHERE contact_id = ? AND recorded_at <= ?"
        " ORDER BY recorded_at DESC, consents.id DESC LIMIT 1",
        [contact_id, moment]))
    return rows[0] if rows else None


def consents_between(db, contact_id, start, end):
    """Consent entries recorded in [start, end], each with the id of the audit event
    that recorded it (`event_id`, None if there is none) to order it exactly."""
    return list(db.query(
        "SELECT consents.*, users.name AS recorded_by_name,"
        " (SELECT max(events.id) FROM events WHERE events.subject_type = 'contact'"
        "    AND events.subject_id = consents.contact_id AND events.action LIKE 'consent.%'"
        "    AND json_extract(events.detail, '$.consent_id') = consents.id) AS event_id"
        " FROM consents LEFT JOIN users ON users.id = consents.recorded_by"
        " WHERE contact_id = ? AND recorded_at >= ? AND recorded_at <= ?"
        " ORDER BY recorded_at, consents.id",
        [contact_id, start, end]))


def inbound_between(db, contact_id, start, end):
    """Texts from the person (replies, STOP, START, HELP) received in [start, end]."""
    return list(db.query(
        "SELECT id, kind, body, received_at, body_removed_at FROM inbound_messages"
        " WHERE contact_id = ? AND received_at >= ? AND received_at <= ?"
        " ORDER BY received_at, id",
        [contact_id, start, end]))


def people_who_write(db):
    """Every account, for the 'written by' filter (any role can send a text)."""
    return list(db.query("SELECT id, name FROM users ORDER BY name COLLATE NOCASE, id"))


def templates(db):
    return list(db.query(
        "SELECT template_id, max(title) AS title FROM template_versions"
        " WHERE id = (SELECT max(id) FROM template_versions t2"
        "             WHERE t2.template_id = template_versions.template_id)"
        " GROUP BY template_id ORDER BY title COLLATE NOCASE"))


def contact_name(db, contact_id):
    row = db.execute("SELECT preferred_name FROM contacts WHERE id = ?",
                     [contact_id]).fetchone()
    return row[0] if row else None
