"""What the dispatcher and Twilio's status callbacks write about a message's delivery.

Every function here moves a row with a guarded UPDATE and writes the audit event in
the same transaction, so a state change never happens without its event.
"""
from . import events, messages
from .connection import to_db_time, utc_now, write_transaction

# How far along the lifecycle each status is. A status only moves forward: a late
# `sent` after `delivered` is recorded as an event and not applied. `unknown` sits
# with `sending`, so the provider's word can settle it.
PROGRESS = {"sending": 1, "unknown": 1, "sent": 2,
            "delivered": 3, "undelivered": 3, "failed": 3}


def record_sent(db, message_id, *, provider_sid, provider_status, parts, provider_parts,
                sent_at, gateway, attempt, settled_by_lookup=False):
    """The provider accepted the message: store its SID and say so in the audit log.

    A status callback may have arrived first and moved the row further on; then the
    row keeps that status and only gains the SID.
    """
    with write_transaction(db):
        db.execute(
            """
            UPDATE messages SET
                status = CASE WHEN status IN ('sending', 'unknown') THEN 'sent' ELSE status END,
                status_reason = CASE WHEN status IN ('sending', 'unknown') THEN NULL
                                ELSE status_reason END,
                provider_sid = coalesce(provider_sid, :sid),
                provider_status = coalesce(provider_status, :provider_status),
                provider_parts = :provider_parts,
                sent_at = :sent_at, next_attempt_at = NULL, updated_at = :now
            WHERE id = :id
            """,
            {"sid": provider_sid, "provider_status": provider_status,
             "provider_parts": provider_parts, "sent_at": to_db_time(sent_at),
             "now": to_db_time(utc_now()), "id": message_id})
        detail = {"provider_sid": provider_sid, "provider_status": provider_status,
                  "parts": parts, "provider_parts": provider_parts, "gateway": gateway,
                  "attempt": attempt}
        if settled_by_lookup:
            detail["settled_by_lookup"] = True
        events.record(db, action="message.sent", subject_type="message",
                      subject_id=message_id, detail=detail)


def finish(db, message_id, *, to_status, reason, action=None, detail=None,
           from_statuses=("sending",), **fields):
    """Move a claimed message on (or back), with its audit event. False if it had moved."""
    with write_transaction(db):
        moved = messages.transition(db, message_id, from_statuses=from_statuses,
                                    to_status=to_status, status_reason=reason, **fields)
        if moved:
            events.record(db, action=action or f"message.{to_status}",
                          subject_type="message", subject_id=message_id,
                          detail={"reason": reason, **(detail or {})})
    return moved


def retry_later(db, message_id, *, at, reason, detail=None, ambiguous_at=None):
    """Back to `scheduled`, not to be claimed before `at`.

    `ambiguous_at` marks a message whose attempt may have reached the provider: the
    next attempt looks it up first.
    """
    fields = {"next_attempt_at": at}
    if ambiguous_at is not None:
        fields["ambiguous_at"] = ambiguous_at
    return finish(db, message_id, to_status="scheduled", reason=reason,
                  action="message.retry_scheduled",
                  detail={"next_attempt_at": to_db_time(at), **(detail or {})}, **fields)


def flag_number(db, contact_id, *, flag, message_id=None, actor_type="system"):
    """Mark a contact's number as one texts cannot reach, so a person checks it."""
    with write_transaction(db):
        db.execute("UPDATE contacts SET number_flag = ? WHERE id = ?", [flag, contact_id])
        events.record(db, action="contact.number_flagged", subject_type="contact",
                      subject_id=contact_id, actor_type=actor_type,
                      detail={"flag": flag, "message_id": message_id})


def find_for_callback(db, *, message_id, provider_sid):
    """The message a status callback is about: by Mend's id in the callback URL when
    the SID agrees (or is not known yet), else by the provider's SID."""
    if message_id is not None:
        rows = list(db.query("SELECT * FROM messages WHERE id = ?", [message_id]))
        if rows and rows[0]["provider_sid"] in (None, provider_sid):
            return rows[0]
    rows = list(db.query("SELECT * FROM messages WHERE provider_sid = ?", [provider_sid]))
    return rows[0] if rows else None


def apply_provider_status(db, *, message_id, provider_sid, to_status, provider_status,
                          error_code=None, reason=None):
    """Apply a status callback. Returns 'applied', 'duplicate', 'ignored' or 'unmatched'.

    Idempotent: a repeat of the current status changes nothing. A status that would
    move backwards is recorded as a `message.status_ignored` event and not applied.
    """
    with write_transaction(db):
        row = find_for_callback(db, message_id=message_id, provider_sid=provider_sid)
        if row is None:
            return "unmatched"
        current = row["status"]
        detail = {"provider_sid": provider_sid, "provider_status": provider_status}
        if error_code is not None:
            detail.update(error_code=error_code, reason=reason)
        if current == to_status:
            return "duplicate"
        if current not in PROGRESS or PROGRESS[to_status] <= PROGRESS[current]:
            events.record(db, action="message.status_ignored", subject_type="message",
                          subject_id=row["id"], actor_type="twilio",
                          detail={**detail, "current_status": current})
            return "ignored"
        fields = {"provider_sid": provider_sid, "provider_status": provider_status}
        if error_code is not None:
            fields.update(error_code=error_code, status_reason=reason)
        elif current == "unknown":
            fields["status_reason"] = None
        messages.transition(db, row["id"], from_statuses=(current,), to_status=to_status,
                            **fields)
        events.record(db, action=f"message.{to_status}", subject_type="message",
                      subject_id=row["id"], actor_type="twilio",
                      detail={**detail, "from_status": current})
        return "applied"
