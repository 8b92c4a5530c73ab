"""What the phone network tells Mend about a text it sent (status callbacks)."""
from sms import twilio_errors
from storage import delivery
from storage.connection import write_transaction

from . import number_hold, repair_links


def apply_status_callback(db, *, message_id, provider_sid, to_status, provider_status,
                          error_code=None):
    """Apply one status report; idempotent, and a status never moves back.

    A failure that means the number is no longer theirs (`number_hold.after_failure`)
    flags the number and holds their texts until a person checks it, in the same
    transaction. Returns 'applied', 'duplicate', 'ignored' or 'unmatched'.
    """
    reason = twilio_errors.reason_for(error_code) if error_code else None
    with write_transaction(db):
        outcome = delivery.apply_provider_status(
            db, message_id=message_id, provider_sid=provider_sid, to_status=to_status,
            provider_status=provider_status, error_code=error_code, reason=reason)
        if outcome == "applied" and error_code is not None:
            row = delivery.find_for_callback(db, message_id=message_id,
                                             provider_sid=provider_sid)
            number_hold.after_failure(db, row["contact_id"], error_code=error_code,
                                      message_id=row["id"], actor_type="twilio")
        if outcome == "applied" and to_status in ("undelivered", "failed"):
            row = delivery.find_for_callback(db, message_id=message_id,
                                             provider_sid=provider_sid)
            repair_links.delivery_failed(db, row["id"])
    return outcome
