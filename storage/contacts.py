"""The people Mend texts, and the append-only consent ledger."""
import json

from .connection import select, to_db_time, utc_now

CONSENT_STATES = ("granted", "withdrawn", "pending")
CONSENT_METHODS = (
    "in_person", "in_writing", "text_reply", "stop_keyword",
    "start_keyword", "withdrawn_by_worker", "provider_blocked",
)

_CURRENT_CONSENT = """
    (SELECT state FROM consents WHERE consents.contact_id = contacts.id
     ORDER BY consents.id DESC LIMIT 1)
"""


def create(db, *, preferred_name, phone, key_worker_id, created_by,
           ok_to_name_service=False, number_confirmed_on=None, safe_hours_start=None,
           safe_hours_end=None, language=None):
    table = db.table("contacts")
    table.insert({
        "preferred_name": preferred_name,
        "phone": phone,
        "key_worker_id": key_worker_id,
        "ok_to_name_service": 1 if ok_to_name_service else 0,
        "number_confirmed_on": number_confirmed_on,
        "safe_hours_start": safe_hours_start,
        "safe_hours_end": safe_hours_end,
        "created_at": to_db_time(utc_now()),
        "created_by": created_by,
        # only when recorded, so a database before m051 (an upgrade test) still takes it
        **({"language": language, "language_recorded_at": to_db_time(utc_now()),
            "language_recorded_by": created_by} if language else {}),
    })
    return table.last_pk


_GET = (f"SELECT contacts.*, {_CURRENT_CONSENT} AS consent_state,"
        " users.name AS key_worker_name,"
        " (SELECT name FROM users recorder WHERE recorder.id = contacts.language_recorded_by)"
        "   AS language_recorded_by_name"
        " FROM contacts JOIN users ON users.id = contacts.key_worker_id")


def get(db, contact_id):
    rows = select(db, _GET + " WHERE contacts.id = ?", [contact_id])
    return rows[0] if rows else None


def get_many(db, contact_ids):
    """{id: contact} for `contact_ids`, as `get` reads each, in one query."""
    ids = sorted(contact_ids)
    if not ids:
        return {}
    rows = select(db, _GET + " WHERE contacts.id IN (SELECT value FROM json_each(?))",
                  [json.dumps(ids)])
    return {row["id"]: row for row in rows}


def listing(db, *, key_worker_id=None, covering=()):
    """Contacts not erased, with their current consent; one worker's caseload if given
    (with the caseloads of the key workers in `covering`, whom they cover today)."""
    where = "contacts.erased_at IS NULL"
    params = []
    if key_worker_id is not None:
        params = [key_worker_id, *covering]
        where += f" AND contacts.key_worker_id IN ({','.join('?' for _ in params)})"
    return list(db.query(
        f"SELECT contacts.*, {_CURRENT_CONSENT} AS consent_state,"
        " users.name AS key_worker_name"
        " FROM contacts JOIN users ON users.id = contacts.key_worker_id"
        f" WHERE {where} ORDER BY contacts.preferred_name COLLATE NOCASE, contacts.id",
        params,
    ))


def with_phone(db, phone, *, except_id=None):
    return [row for row in db.query(
        "SELECT * FROM contacts WHERE phone = ? AND erased_at IS NULL ORDER BY id", [phone])
        if row["id"] != except_id]


EDITABLE = ("preferred_name", "phone", "key_worker_id", "ok_to_name_service",
            "safe_hours_start", "safe_hours_end", "number_confirmed_on")


def update(db, contact_id, changes):
    """Change some of a contact's details; returns the names of the fields that changed."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    current = get(db, contact_id)
    changed = {name: value for name, value in changes.items() if current[name] != value}
    if changed:
        db.table("contacts").update(contact_id, changed)
    return sorted(changed)


def latest_consent(db, contact_id):
    """The newest ledger entry (state, method, when), or None."""
    rows = list(db.query("SELECT * FROM consents WHERE contact_id = ? ORDER BY id DESC LIMIT 1",
                         [contact_id]))
    return rows[0] if rows else None


def record_consent(db, *, contact_id, state, method, recorded_by, note="", at=None):
    if state not in CONSENT_STATES:
        raise ValueError(f"unknown consent state {state!r}")
    if method not in CONSENT_METHODS:
        raise ValueError(f"unknown consent method {method!r}")
    table = db.table("consents")
    table.insert({
        "contact_id": contact_id,
        "state": state,
        "method": method,
        "recorded_by": recorded_by,
        "recorded_at": to_db_time(at or utc_now()),
        "note": note,
    })
    return table.last_pk


def consent_history(db, contact_id):
    return list(db.query(
        "SELECT consents.*, users.name AS recorded_by_name FROM consents"
        " LEFT JOIN users ON users.id = consents.recorded_by"
        " WHERE contact_id = ? ORDER BY consents.id DESC",
        [contact_id],
    ))


def current_consent(db, contact_id):
    rows = list(db.query(
        "SELECT state FROM consents WHERE contact_id = ? ORDER BY id DESC LIMIT 1",
        [contact_id]))
    return rows[0]["state"] if rows else None


def mark_number_confirmed(db, contact_id, at=None):
    db.execute("UPDATE contacts SET number_confirmed_on = ? WHERE id = ?",
               [to_db_time(at or utc_now()), contact_id])


def erase_details(db, contact_id, *, at=None):
    """Blank the person's name, number, safe hours, flag, consent notes and the notes
    admins wrote when they revealed the number; mark erased."""
    from . import reveals

    db.execute("UPDATE consents SET note = '' WHERE contact_id = ?", [contact_id])
    reveals.erase_notes(db, contact_id, at=at or utc_now())
    db.execute(
        "UPDATE contacts SET preferred_name = '', phone = NULL, safe_hours_start = NULL,"
        " safe_hours_end = NULL, number_flag = NULL, language = NULL,"
        " language_recorded_at = NULL, language_recorded_by = NULL, erased_at = ? WHERE id = ?",
        [to_db_time(at or utc_now()), contact_id])


def set_language(db, contact_id, language, *, recorded_by):
    """Their language for texts (None: not asked yet), who recorded it and when.
    False when it was already that."""
    cursor = db.execute(
        "UPDATE contacts SET language = ?, language_recorded_at = ?, language_recorded_by = ?"
        " WHERE id = ? AND language IS NOT ?",
        [language or None, to_db_time(utc_now()), recorded_by, contact_id, language or None])
    return cursor.rowcount == 1
