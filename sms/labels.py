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
    "inbound.received": "Text received",
    "inbound.read": "Reply marked as read",
    "template.loaded": "Loaded from the starter library",
    "template.drafted": "New version written",
    "template.approved": "Version approved",
    "template.rejected": "Version rejected",
    "template.retired": "Template retired",
    "user.created": "Account created",
    "user.deactivated": "Account deactivated",
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
    "withdrawn_by_worker": "Withdrawn by a worker",
    "provider_blocked": "Blocked by the phone network (they had texted STOP)",
}
CONSENT_STATE_LABELS = {
    "granted": "Agreed to texts",
    "withdrawn": "Does not want texts",
    "pending": "Waiting for them to confirm",
    None: "Not asked yet",
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
