"""Looking at the record is itself recorded: views of the history, a text's audit
page, the reports, and an admin revealing a full number."""
from storage import events, reveals


def record_view(db, action, *, user_id, subject_type="audit", subject_id=None, detail=None):
    events.record(db, action=action, subject_type=subject_type, subject_id=subject_id,
                  actor_type="user", actor_id=user_id, detail=detail or {})


def reveal_number(db, *, contact_id, message_id, user_id, reason, note=""):
    """Keep the reason (a code from the short list) in the append-only ledger and the
    optional note apart, where erasure can blank it. Returns the reveal's id."""
    return reveals.record(db, contact_id=contact_id, message_id=message_id,
                          revealed_by=user_id, reason=reason, note=note.strip())
