"""A person's agreement to be texted: recording it, asking them to confirm by text,
and withdrawing it (by a worker, by STOP, or when the provider blocks them)."""
from dataclasses import dataclass, field

from sms import people as rules
from sms.confirmation import confirmation_text
from sms.text_language import stored_as, wanted_languages
from storage import contacts, events, messages
from storage.connection import utc_now, write_transaction

from . import texts

WORKER_WITHDRAWAL_REASON = "The person no longer wants texts (recorded by a worker)."
EARLIER_STOP_NOTE = ("This number texted STOP to Mend before they were added, so Mend will "
                     "not text it unless they text START.")
STOPPED_AGAIN = ("They texted STOP, so Mend will not text them, not even to ask. If they "
                 "want texts again, they can text START, or tell you in person.")
ALREADY_ASKED = "A confirmation text is already waiting to go to them."


@dataclass
class ConsentChanged:
    """What recording a consent change did; `problem` says why it was refused."""
    state: str | None = None
    problem: str | None = None
    cancelled: list = field(default_factory=list)
    confirmation_at: object = None  # when the confirmation text goes, if one was asked
    blocked_by_stop: bool = False   # they had texted STOP: the network still blocks texts


def withdraw(db, contact_id, *, method, reason, actor_type, actor_id=None, recorded_by=None,
             note=""):
    """Record a "no" and cancel every scheduled text to them, in one go."""
    with write_transaction(db):
        consent_id = contacts.record_consent(db, contact_id=contact_id, state="withdrawn",
                                             method=method, recorded_by=recorded_by, note=note)
        events.record(db, action="consent.withdrawn", subject_type="contact",
                      subject_id=contact_id, actor_type=actor_type, actor_id=actor_id,
                      detail={"method": method, "consent_id": consent_id})
        return texts.cancel_scheduled_for_person(db, contact_id, reason=reason,
                                                 actor_type=actor_type, actor_id=actor_id)


def record(db, contact_id, *, state, method, user_id, note=""):
    """A worker records that the person agreed (or is asked to confirm)."""
    with write_transaction(db):
        consent_id = contacts.record_consent(db, contact_id=contact_id, state=state,
                                             method=method, recorded_by=user_id, note=note)
        events.record(db, action=f"consent.{state}", subject_type="contact",
                      subject_id=contact_id, actor_type="user", actor_id=user_id,
                      detail={"method": method, "consent_id": consent_id})
    return consent_id


def ask_to_confirm_by_text(db, contact, *, worker_id, worker_name, service, note=""):
    """Double opt-in: consent becomes pending and a confirmation text is scheduled for
    the first moment inside the send window and their safe hours. Returns that time."""
    rendered = confirmation_text(name=contact["preferred_name"], worker=worker_name,
                                 service=service.name_for(contact),
                                 language=contact.get("language"),
                                 welsh_standards=service.welsh_standards,
                                 welsh_first=service.welsh_first)
    send_at = rules.first_allowed_time(contact, now=utc_now(), zone=service.zone,
                                       service_window=service.window)
    with write_transaction(db):
        record(db, contact["id"], state="pending", method="text_reply", user_id=worker_id,
               note=note)
        message_id = messages.create(
            db, contact_id=contact["id"], worker_id=worker_id, template_version_id=None,
            body=rendered.body, encoding=rendered.encoding, characters=rendered.characters,
            parts=rendered.parts, warnings=[], scheduled_for=send_at, purpose="consent_request",
            language=consent_language(contact, service))
        events.record(db, action="message.scheduled", subject_type="message",
                      subject_id=message_id, actor_type="user", actor_id=worker_id,
                      detail={"purpose": "consent_request", "parts": rendered.parts,
                              "scheduled_for": send_at.isoformat(timespec="seconds")})
    return send_at


def consent_language(contact, service):
    """The languages the confirmation text goes in, as stored on the message."""
    return stored_as(wanted_languages(contact.get("language"),
                                      welsh_standards=service.welsh_standards,
                                      welsh_first=service.welsh_first))


def stopped_by_text(db, contact_id):
    return rules.stopped_by_text(contacts.latest_consent(db, contact_id))


def change(db, contact, *, state, method, note, worker_id, worker_name, service):
    """What a worker records on the person's page: agreed, ask by text, or no."""
    if state == "pending" and stopped_by_text(db, contact["id"]):
        return ConsentChanged(problem=STOPPED_AGAIN)
    if state == "pending" and messages.pending_confirmation_request(db, contact["id"]):
        return ConsentChanged(problem=ALREADY_ASKED)
    if state == "pending":
        return ConsentChanged(state, confirmation_at=ask_to_confirm_by_text(
            db, contact, worker_id=worker_id, worker_name=worker_name, service=service,
            note=note))
    blocked = stopped_by_text(db, contact["id"])
    if state == "withdrawn":
        return ConsentChanged(state, cancelled=withdraw(
            db, contact["id"], method=method, reason=WORKER_WITHDRAWAL_REASON,
            actor_type="user", actor_id=worker_id, recorded_by=worker_id, note=note))
    record(db, contact["id"], state=state, method=method, user_id=worker_id, note=note)
    return ConsentChanged(state, blocked_by_stop=blocked)


def honour_earlier_stop(db, contact_id):
    """STOP counts everywhere: a number that texted STOP before it belonged to anyone
    in Mend is not texted when it is added (or moved to)."""
    return withdraw(db, contact_id, method="stop_keyword", actor_type="system",
                    note=EARLIER_STOP_NOTE, reason=EARLIER_STOP_NOTE)
