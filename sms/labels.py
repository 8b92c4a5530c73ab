"""The words people read for what Mend records: audit actions, who did them, a text's
status, consent. One place, so the worker's timeline, the audit history and the CSV
export never disagree. `tests/test_labels.py` fails when an action Mend can record
(`storage.events.ACTIONS`) has no label here.
"""

ACTION_LABELS = {
    "message.scheduled": "Scheduled",
    "message.edited": "Changed before it went",
    "message.claimed": "Picked up by the dispatcher to send",
    "message.deferred": "Not sent yet: waiting (the reason says why)",
    "message.held": "Held: sending is paused",
    "message.released": "Put back to send at the next run",
    "message.retry_scheduled": "The provider did not take it; it will be tried again",
    "message.sent": "Handed to the SMS provider",
    "message.delivered": "Delivered to their phone",
    "message.undelivered": "Not delivered",
    "message.failed": "Failed",
    "message.cancelled": "Cancelled",
    "message.expired": "Expired: not sent late",
    "message.unknown": "Needs checking: it may or may not have gone",
    "message.status_ignored": "A late report from the phone network (status unchanged)",
    "consent.granted": "Agreed to texts",
    "consent.pending": "Asked to confirm by text",
    "consent.withdrawn": "Said no to texts",
    "contact.created": "Person added",
    "contact.updated": "Person's details changed",
    "contact.erased": "Person's details erased",
    "contact.number_confirmed": "Number checked with them",
    "contact.number_flagged": "Number flagged: texts to it failed",
    "contact.number_revealed": "Full number seen by an admin",
    "contact.number_held": "Texts held: the number may no longer be theirs",
    "contact.number_hold_lifted": "Number checked with them in person: texts may go again",
    "contact.handed_over": "Handed over to a new key worker",
    "message.re_signed": "Signed by the new key worker at a handover",
    "cover.set": "Cover set",
    "cover.ended": "Cover ended",
    "inbound.unread_alert_sent": "Emailed staff: a reply waits unread",
    "contact.language_recorded": "Their language for texts recorded",
    "user.languages_changed": "Account's languages changed by an admin",
    "template.translation_requested": "A worker asked reviewers for a version in another language",
    "inbound.received": "Text received",
    "inbound.read": "Reply marked as read",
    "template.loaded": "Loaded from a starter file as approved (before review in the app)",
    "template.proposed": "Proposed from the starter library, waiting for review",
    "template.drafted": "New version written",
    "template.approved": "Version approved",
    "template.rejected": "Version rejected",
    "template.retired": "Template retired",
    "user.created": "Account created",
    "user.deactivated": "Account deactivated",
    "user.password_changed": "Password changed",
    "user.password_reset": "Temporary password issued by an admin",
    "user.login": "Logged in",
    "user.logout": "Logged out",
    "audit.message_viewed": "Viewed in the audit history",
    "audit.history_viewed": "Audit history viewed",
    "audit.dashboard_viewed": "Reports viewed",
    "audit.exported": "History exported as CSV",
    "alert.raised": "Alert raised",
    "alert.cleared": "Alert cleared",
    "retention.run": "Old words removed (retention)",
    "database.backed_up": "Database backed up",
    "repair.started": "Repair started",
    "repair.text_linked": "Text linked to the repair",
    "repair.reply_linked": "Their reply linked to the repair",
    "repair.reflected": "Reflection written (private)",
    "repair.reflection_shared": "Reflection shared with a reviewer for supervision",
    "repair.reflection_unshared": "Reflection no longer shared",
    "repair.meeting_planned": "Next meeting planned",
    "repair.meeting_recorded": "Meeting recorded",
    "repair.plan_set": "Follow-up plan set",
    "repair.plan_cancelled": "Follow-up plan stopped",
    "repair.closed": "Repair closed",
    "repair.ledger_viewed": "Outcome ledger viewed",
    "repair.ledger_exported": "Outcome ledger exported as CSV",
    "repair.practice_viewed": "Reflective-practice page viewed",
    "demo.loaded": "Demo data loaded (invented people)",
    "database.restored": "Database restored from the replica",
    "message.lookup_after_restore": "To be looked up at the provider before any send "
                                    "(restored copy)",
}

ACTOR_LABELS = {
    "system": "Mend",
    "twilio": "The phone network (Twilio)",
    "person": "The person",
}
FORMER_USER = "A former user"

STATUS_LABELS = {
    "scheduled": "Scheduled", "sending": "Sending", "sent": "Sent",
    "delivered": "Delivered", "undelivered": "Not delivered", "failed": "Failed",
    "cancelled": "Cancelled", "expired": "Expired (not sent late)",
    "unknown": "Needs checking",
}

CONSENT_METHOD_LABELS = {
    "in_person": "In person",
    "in_writing": "In writing",
    "text_reply": "By text reply",
    "stop_keyword": "Texted STOP",
    "start_keyword": "Texted START",
    "withdrawn_by_worker": "They said no (recorded by a worker)",
    "provider_blocked": "Blocked by the phone network (they had texted STOP)",
}
CONSENT_STATE_LABELS = {
    "granted": "Agreed to texts",
    "withdrawn": "Does not want texts",
    "pending": "Waiting for them to confirm",
    None: "Not asked yet",
}

# Why an admin may see a person's full number: a short list, so nothing about the person
# is written into the append-only ledger (a note, kept apart, can be erased).
REVEAL_REASONS = {
    "provider_refused": "The phone network refused the number and I need to check it",
    "person_asked": "The person asked which number we hold for them",
    "information_request": "A request for the information we hold about them",
    "safety_concern": "A concern for their safety that needs their number",
    "other": "Another reason (say which in the note)",
}

INBOUND_KIND_LABELS = {"reply": "They replied", "stop": "They texted STOP",
                       "start": "They texted START", "help": "They texted HELP"}


def action_label(action):
    return ACTION_LABELS.get(action, action)


def actor_label(actor_type, user_name=None):
    """Who did it, in words: a user's name (or "A former user"), Mend, the network."""
    if actor_type == "user":
        return user_name or FORMER_USER
    return ACTOR_LABELS.get(actor_type, actor_type)


OUTCOMES = {
    "sending": "Mend is sending this text now, so it can no longer be changed.",
    "sent": "This text has gone to the phone network, so it can no longer be changed.",
    "delivered": "This text was delivered to their phone.",
    "undelivered": "This text did not reach their phone.",
    "failed": "This text could not be sent.",
    "cancelled": "This text was cancelled, so it was not sent.",
    "expired": "This text was not sent: it could not go out in time, and Mend never sends "
               "a text late.",
}
NOT_SENT_STOP = "This text was not sent because they texted STOP."


def outcome_sentence(message):
    """What became of a text that is no longer waiting, in one sentence for its page."""
    reason = message.get("status_reason") or ""
    if message["status"] == "cancelled" and "texted STOP" in reason:
        return NOT_SENT_STOP
    return OUTCOMES.get(message["status"], "")
