"""`dispatch_due(now)`: claim due messages, re-check them, send, record.

The database row is the source of truth. A message is claimed atomically
(scheduled -> sending) before anything is sent, so no two dispatchers can send
the same row, and a crash leaves it in `sending` for a person to review.
"""
import logging
from dataclasses import dataclass, field
from datetime import timedelta

from sms import send_window
from storage import contacts, events, messages, scheduler_ticks
from storage.connection import from_db_time, utc_now, write_transaction

log = logging.getLogger("mend.dispatcher")


@dataclass(frozen=True)
class DispatchSettings:
    zone: str
    window: send_window.Window
    stale_after: timedelta = timedelta(hours=2)
    batch_size: int = 100


@dataclass
class TickResult:
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    deferred: int = 0
    cancelled: int = 0
    expired: int = 0
    details: list = field(default_factory=list)


def _finish(db, message_id, *, to_status, reason, action, detail=None, **fields):
    with write_transaction(db):
        moved = messages.transition(db, message_id, from_statuses=("sending",),
                                    to_status=to_status, status_reason=reason, **fields)
        if moved:
            events.record(db, action=action, subject_type="message", subject_id=message_id,
                          detail={"reason": reason, **(detail or {})})
    return moved


def safe_hours_of(contact):
    if contact["safe_hours_start"] and contact["safe_hours_end"]:
        return send_window.parse_window(
            f"{contact['safe_hours_start']}-{contact['safe_hours_end']}")
    return None


def recheck(db, message, now, settings):
    """Why this claimed message must not go now, as (status, reason), or None to send."""
    contact = contacts.get(db, message["contact_id"])
    if contact is None or contact["erased_at"] or not contact["phone"]:
        return "cancelled", "The person's details were erased."
    if message.get("purpose") == "consent_request":
        if contact["consent_state"] != "pending":
            return "cancelled", "They are no longer waiting to confirm, so it was not sent."
    elif contact["consent_state"] != "granted":
        return "cancelled", "The person has not agreed to texts (consent is not granted)."
    due = from_db_time(message["scheduled_for"])
    if now - due > settings.stale_after:
        return "expired", "It could not go out on time, so it was not sent late."
    window = send_window.intersect(settings.window, safe_hours_of(contact))
    if not send_window.is_allowed(now, settings.zone, window):
        return "scheduled", "Outside the send window; it will wait for the window to open."
    return None


def dispatch_due(db, gateway, now=None, settings=None):
    """Send every message due at `now`; returns a TickResult and records the tick."""
    started = utc_now()
    now = now or started
    result = TickResult()
    with write_transaction(db):
        claimed = messages.claim_due(db, now=now, limit=settings.batch_size)
        for message in claimed:
            events.record(db, action="message.claimed", subject_type="message",
                          subject_id=message["id"], detail={"attempt": message["attempts"]})
    result.claimed = len(claimed)
    for message in claimed:
        _dispatch_one(db, gateway, message, now, settings, result)
    scheduler_ticks.record(db, started_at=started, finished_at=utc_now(),
                           claimed=result.claimed, sent=result.sent,
                           failed=result.failed, deferred=result.deferred)
    return result


def _dispatch_one(db, gateway, message, now, settings, result):
    verdict = recheck(db, message, now, settings)
    if verdict is not None:
        status, reason = verdict
        if status == "scheduled":
            with write_transaction(db):
                if messages.transition(db, message["id"], from_statuses=("sending",),
                                       to_status="scheduled"):
                    events.record(db, action="message.deferred", subject_type="message",
                                  subject_id=message["id"], detail={"reason": reason})
            result.deferred += 1
        else:
            _finish(db, message["id"], to_status=status, reason=reason,
                    action=f"message.{status}")
            if status == "expired":
                result.expired += 1
            else:
                result.cancelled += 1
        return
    contact = contacts.get(db, message["contact_id"])
    try:
        sent = gateway.send(message_id=message["id"], to=contact["phone"],
                            body=message["body"], parts=message["parts"])
    except Exception as error:  # noqa: BLE001 - any gateway failure is recorded, not raised
        log.warning("message %s: send failed: %s", message["id"], type(error).__name__)
        _finish(db, message["id"], to_status="unknown",
                reason="The provider did not confirm the send; a person should check it.",
                action="message.unknown", detail={"error": type(error).__name__})
        result.failed += 1
        return
    _finish(db, message["id"], to_status="sent", reason=None, action="message.sent",
            detail={"provider_sid": sent.provider_sid, "parts": message["parts"],
                    "gateway": gateway.name},
            provider_sid=sent.provider_sid, sent_at=now)
    result.sent += 1


def mark_abandoned_sends(db):
    """Rows left in `sending` by a dead process become `unknown`; never resent."""
    ids = [row["id"] for row in db.query("SELECT id FROM messages WHERE status = 'sending'")]
    for message_id in ids:
        _finish(db, message_id, to_status="unknown",
                reason="The dispatcher stopped while sending; a person should check "
                       "whether it arrived before sending again.",
                action="message.unknown")
    return ids
