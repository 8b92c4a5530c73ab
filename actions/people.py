"""The people a worker supports: adding them, changing their details, checking their
number with them, and erasing them."""
from dataclasses import dataclass, field

from storage import contacts, events, inbound, messages
from storage.connection import (checkpoint_and_truncate_wal, checkpoint_without_waiting,
                                to_db_time, utc_now, write_transaction)

from . import consent, repair_links, texts

CONFIRM_BY_TEXT = "confirm_by_text"
ERASED_REASON = "The person's details were erased."


@dataclass(frozen=True)
class PersonDetails:
    """What the add and edit forms hold about a person."""
    preferred_name: str
    phone: str  # E.164
    key_worker_id: int
    ok_to_name_service: bool
    safe_hours_start: str | None
    safe_hours_end: str | None
    number_confirmed_today: bool
    shared_number: bool = False
    language: str | None = None  # their language for texts; None: not asked yet


@dataclass(frozen=True)
class Added:
    contact_id: int
    confirmation_at: object = None  # when the text asking them to confirm goes
    stopped_earlier: bool = False   # the number had texted STOP: Mend will not text it


@dataclass
class Erased:
    cancelled: list = field(default_factory=list)
    wal_emptied: bool = True  # False: a reader held the WAL; old pages wait for a checkpoint
    replicated: bool = False  # Litestream's checkpoints empty the WAL, not Mend's


def earlier_stop(db, phone):
    """The STOP this number texted before it belonged to anyone in Mend, if it stands."""
    latest = inbound.latest_unmatched_keyword(db, phone)
    return latest if latest and latest["kind"] == "stop" else None


def add_person(db, details, *, consent_method, consent_note, worker_id, worker_name,
               service):
    """Add the person and their consent (or ask them to confirm by text)."""
    note = consent_note or ""
    with write_transaction(db):
        contact_id = contacts.create(
            db, preferred_name=details.preferred_name, phone=details.phone,
            key_worker_id=details.key_worker_id, created_by=worker_id,
            ok_to_name_service=details.ok_to_name_service,
            number_confirmed_on=to_db_time(utc_now()) if details.number_confirmed_today
            else None,
            safe_hours_start=details.safe_hours_start, safe_hours_end=details.safe_hours_end,
            language=details.language)
        events.record(db, action="contact.created", subject_type="contact",
                      subject_id=contact_id, actor_type="user", actor_id=worker_id,
                      detail={"key_worker_id": details.key_worker_id,
                              "shared_number": details.shared_number,
                              "safe_hours": details.safe_hours_start is not None})
        if details.language:
            events.record(db, action="contact.language_recorded", subject_type="contact",
                          subject_id=contact_id, actor_type="user", actor_id=worker_id,
                          detail={"asked": True})
        by_text = consent_method == CONFIRM_BY_TEXT
        if not by_text:
            consent.record(db, contact_id, state="granted", method=consent_method,
                           user_id=worker_id, note=note)
        if earlier_stop(db, details.phone):
            consent.honour_earlier_stop(db, contact_id)
            return Added(contact_id, stopped_earlier=True)
        send_at = None
        if by_text:
            send_at = consent.ask_to_confirm_by_text(
                db, contacts.get(db, contact_id), worker_id=worker_id,
                worker_name=worker_name, service=service, note=note)
    return Added(contact_id, confirmation_at=send_at)


def update_person(db, contact, details, *, user_id):
    """Change their details; returns the names of the fields that changed."""
    changes = {"preferred_name": details.preferred_name, "phone": details.phone,
               "key_worker_id": details.key_worker_id,
               "ok_to_name_service": 1 if details.ok_to_name_service else 0,
               "safe_hours_start": details.safe_hours_start,
               "safe_hours_end": details.safe_hours_end}
    if details.phone != contact["phone"]:
        changes["number_confirmed_on"] = None  # a new number is not yet known to be safe
    if details.number_confirmed_today:
        changes["number_confirmed_on"] = to_db_time(utc_now())
    with write_transaction(db):
        changed = contacts.update(db, contact["id"], changes)
        if changed:
            events.record(db, action="contact.updated", subject_type="contact",
                          subject_id=contact["id"], actor_type="user", actor_id=user_id,
                          detail={"changed": changed, "key_worker_id": details.key_worker_id})
        if "phone" in changed and earlier_stop(db, details.phone):
            consent.honour_earlier_stop(db, contact["id"])
    return changed


def confirm_number(db, contact_id, *, user_id):
    """The worker checked with them today that this number is safe to text."""
    with write_transaction(db):
        contacts.mark_number_confirmed(db, contact_id)
        events.record(db, action="contact.number_confirmed", subject_type="contact",
                      subject_id=contact_id, actor_type="user", actor_id=user_id)


def erase_person(db, contact_id, *, user_id, replicated=False):
    """Right to erasure: remove their name, number, texts, replies and consent notes.

    What stays is an anonymised skeleton: ids, times, statuses, template versions,
    each repair's situation and outcomes (its note and reflection go), and the audit
    events (which never hold personal data). Scheduled texts are cancelled,
    and the search index and the WAL are emptied of the old words. When Litestream
    replicates (`replicated`), it owns checkpointing: Mend only runs a checkpoint
    that never waits, and Litestream's own checkpoints overwrite the WAL.
    """
    with write_transaction(db):
        contact = contacts.get(db, contact_id)
        messages.erase_bodies_for_contact(db, contact_id)  # first: it blanks earlier reasons
        cancelled = texts.cancel_scheduled_for_person(db, contact_id, reason=ERASED_REASON,
                                                      actor_type="user", actor_id=user_id)
        inbound.erase_for_contact(db, contact_id, contact["phone"])
        repair_links.erase_for_contact(db, contact_id, user_id=user_id)
        contacts.erase_details(db, contact_id)
        events.record(db, action="contact.erased", subject_type="contact",
                      subject_id=contact_id, actor_type="user", actor_id=user_id,
                      detail={"cancelled_messages": cancelled})
    messages.compact_search_index(db)
    if replicated:
        checkpoint_without_waiting(db)
        return Erased(cancelled, wal_emptied=False, replicated=True)
    return Erased(cancelled, wal_emptied=checkpoint_and_truncate_wal(db))


def record_language(db, contact_id, language, *, user_id):
    """A worker records the language the person wants texts in (None: not asked yet).

    The audit event says who recorded it and when, not the language: the event is
    kept after erasure, the language is not. False when nothing changed."""
    with write_transaction(db):
        changed = contacts.set_language(db, contact_id, language, recorded_by=user_id)
        if changed:
            events.record(db, action="contact.language_recorded", subject_type="contact",
                          subject_id=contact_id, actor_type="user", actor_id=user_id,
                          detail={"asked": bool(language)})
    return changed
