"""Helpers for the audit tests: texts made through the real compose page and
dispatcher, or placed at a given time through storage, and raw tampering."""
import re
import sqlite3
from datetime import datetime, timezone

from scheduler.dispatcher import DispatchSettings, dispatch_due
from sms.gateways import ConsoleGateway
from sms.send_window import parse_window
from storage import events, messages
from storage.connection import to_db_time, write_transaction
from tests.harness.pages import add_contact, contact_id_from
from tests.test_compose import schedule_text, version_id

ANY_TIME = DispatchSettings(zone="Europe/London", window=parse_window("00:00-24:00"))
MESSAGE_LINK = re.compile(r'href="/audit/messages/(\d+)"')


def new_contact(client, name, phone):
    return contact_id_from(add_contact(client, name=name, phone=phone))


def send_text(client, db, contact_id, template_id="door-stays-open", **fields):
    """Compose, review and confirm a text to go now, as a worker would; returns its id."""
    response = schedule_text(client, contact_id, version_id(db, template_id), **fields)
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(re.search(r"/messages/(\d+)", response.headers["Location"]).group(1))


def dispatch(db, now=None):
    return dispatch_due(db, ConsoleGateway(), now=now, settings=ANY_TIME)


def place_text(db, *, contact_id, worker_id, when, status="sent", body="Hello",
               template_id="door-stays-open"):
    """A text due (and, unless scheduled, sent) at `when`, with its events."""
    version = version_id(db, template_id)
    with write_transaction(db):
        message_id = messages.create(
            db, contact_id=contact_id, worker_id=worker_id, template_version_id=version,
            body=body, encoding="GSM-7", characters=len(body), parts=1, warnings=[],
            scheduled_for=when)
        db.execute("UPDATE messages SET created_at = ?, status = ?, sent_at = ? WHERE id = ?",
                   [to_db_time(when), status,
                    to_db_time(when) if status in ("sent", "delivered") else None,
                    message_id])
        events.record(db, action="message.scheduled", subject_type="message",
                      subject_id=message_id, actor_type="user", actor_id=worker_id, at=when)
    return message_id


def place_reply(db, *, contact_id, when, body="Thanks", kind="reply"):
    table = db.table("inbound_messages")
    table.insert({"provider_sid": f"SM{contact_id}{when:%Y%m%d%H%M%S}{kind}",
                  "from_number": None, "contact_id": contact_id, "body": body,
                  "kind": kind, "received_at": to_db_time(when)})
    return table.last_pk


def message_ids_on(page):
    return [int(found) for found in MESSAGE_LINK.findall(page)]


def utc(*args):
    return datetime(*args, tzinfo=timezone.utc)


def tamper(database_path, *statements):
    """Change the events table as an attacker with the file would: drop the
    append-only triggers, run the statements, put the triggers back."""
    conn = sqlite3.connect(database_path)
    triggers = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
                            " AND tbl_name = 'events'").fetchall()
    for name, _ in triggers:
        conn.execute(f"DROP TRIGGER {name}")
    for statement in statements:
        conn.execute(statement)
    for _, sql in triggers:
        conn.execute(sql)
    conn.commit()
    conn.close()
