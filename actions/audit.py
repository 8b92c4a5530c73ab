"""Looking at the record is itself recorded: views of the history, a text's audit
page, the reports, and an admin revealing a full number."""
from storage import events, history


def record_view(db, action, *, user_id, subject_type="audit", subject_id=None, detail=None):
    events.record(db, action=action, subject_type=subject_type, subject_id=subject_id,
                  actor_type="user", actor_id=user_id, detail=detail or {})


def reveal_number(db, *, contact_id, message_id, user_id, reason):
    """Keep the reason in its own table; the audit event names it. Returns its id."""
    return history.record_reveal(db, contact_id=contact_id, message_id=message_id,
                                 revealed_by=user_id, reason=reason)
