"""What `flask --app app demo load` needs from the database: whether it holds anyone's
data yet, and rows written with the past times an invented history needs."""
import json

from .connection import to_db_time


def holds_data(db):
    """True when any person, text, reply or repair is stored: demo data never mixes
    with real data."""
    return any(db.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone()
               for table in ("contacts", "messages", "inbound_messages", "repairs"))


def insert_text(db, *, contact_id, worker_id, template_version_id, rendered, created_at,
                sent_at, status):
    """A text that went out in the past, as the dispatcher would have left it."""
    table = db.table("messages")
    table.insert({
        "contact_id": contact_id, "worker_id": worker_id,
        "template_version_id": template_version_id, "body": rendered.body,
        "encoding": rendered.encoding, "characters": rendered.characters,
        "parts": rendered.parts, "warnings": "[]", "template_fields": json.dumps({}),
        "status": status, "scheduled_for": to_db_time(sent_at),
        "created_at": to_db_time(created_at), "updated_at": to_db_time(sent_at),
        "sent_at": to_db_time(sent_at), "provider_status": status, "purpose": "repair",
    })
    return table.last_pk


def backdate_contact(db, contact_id, at):
    db.execute("UPDATE contacts SET created_at = ?, number_confirmed_on = ? WHERE id = ?",
               [to_db_time(at), to_db_time(at), contact_id])


def backdate_reflection(db, repair_id, at):
    db.execute("UPDATE repair_reflections SET written_at = ?, updated_at = ? WHERE repair_id = ?",
               [to_db_time(at), to_db_time(at), repair_id])
