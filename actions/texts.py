"""Texts a worker schedules, changes, cancels or settles; and cancelling everything
scheduled for a person. Each function runs its writes and their audit events in one
transaction and returns what happened; the caller turns that into words."""
from dataclasses import dataclass, field
from datetime import timedelta

from sms import text_language
from storage import events, messages
from storage.connection import utc_now, write_transaction

from . import people, repair_links

# The same text to the same person from the same worker within this time is one text
# confirmed twice (a double click, a resubmitted form on a slow connection).
REPEAT_WINDOW = timedelta(minutes=2)

SETTLE_OUTCOMES = {
    "arrived": ("sent", "Checked: it did go out"),
    "not_sent": ("failed", "Checked: it did not go out"),
}


@dataclass
class Draft:
    """A checked text: who it is for, the exact words, when it goes, what to warn about."""
    contact: dict
    version: dict
    rendered: object
    send_time: object = None  # sms.scheduling.SendTime once a time is chosen
    warnings: list = field(default_factory=list)
    needs_reconfirm: bool = False
    suggest_cooling_off: bool = False  # cooling-off situation, going now or in 2 hours
    cooling_off_situation: bool = False
    budget: tuple = ("", False)  # sms.encoding.budget: room before another part
    template_fields: dict = field(default_factory=dict)
    meeting_at: object = None  # the next meeting the text names (UTC), if any
    day_written_for: str | None = None  # {day}: the date (service clock) its words fit
    day_note: str = ""  # says which day Mend wrote {day} for
    languages: tuple = ("en",)  # the text's languages, in order (two: bilingual)
    other_versions: list = field(default_factory=list)  # a bilingual text's second version
    chosen_version: dict | None = None  # the template as the worker chose it (in English)

    @property
    def stored_languages(self):
        return text_language.stored_as(self.languages)

    @property
    def other_version_id(self):
        return self.other_versions[0]["id"] if self.other_versions else None


@dataclass(frozen=True)
class Scheduled:
    message_id: int
    created: bool  # False: the same text was confirmed moments ago; nothing stored
    repair_id: int | None = None  # the repair it was linked to, if any


def scheduled_detail(draft):
    """What the audit log keeps about a scheduled text: never the body or the name."""
    return {"template_version_id": draft.version["id"],
            "template_id": draft.version["template_id"],
            "version": draft.version["version"], "parts": draft.rendered.parts,
            "language": draft.stored_languages,
            **({"other_version_id": draft.other_version_id} if draft.other_version_id else {}),
            # codes only: a warning's words can quote the name or the worker's line,
            # and the audit log can never be erased
            "warnings": [warning["code"] for warning in draft.warnings],
            "scheduled_for": draft.send_time.at.isoformat(timespec="seconds"),
            **({"day_written_for": draft.day_written_for} if draft.day_written_for else {})}


def schedule_text(db, draft, *, worker_id, number_reconfirmed, repair_id=None,
                  repair_role="repair"):
    """Store the text and its event. If this worker confirmed the same text to the same
    person moments ago, nothing is stored. The check and the insert share one write
    transaction, so two confirms at once cannot both pass it.

    With `repair_id`, the text is linked to the worker's open repair with the person
    in the same transaction. A repair's follow-up plan may hold the same words twice,
    so follow-ups skip the repeat check (the plan itself refuses a second plan)."""
    with write_transaction(db):
        repeat = None if repair_role == "follow_up" else messages.recent_duplicate(
            db, contact_id=draft.contact["id"], worker_id=worker_id,
            body=draft.rendered.body, since=utc_now() - REPEAT_WINDOW)
        if repeat is not None:
            return Scheduled(repeat, created=False)
        if number_reconfirmed:
            people.confirm_number(db, draft.contact["id"], user_id=worker_id)
        rendered = draft.rendered
        message_id = messages.create(
            db, contact_id=draft.contact["id"], worker_id=worker_id,
            template_version_id=draft.version["id"], body=rendered.body,
            encoding=rendered.encoding, characters=rendered.characters,
            parts=rendered.parts, warnings=draft.warnings,
            scheduled_for=draft.send_time.at, template_fields=draft.template_fields,
            day_written_for=draft.day_written_for,
            language=draft.stored_languages, other_version_id=draft.other_version_id)
        events.record(db, action="message.scheduled", subject_type="message",
                      subject_id=message_id, actor_type="user", actor_id=worker_id,
                      detail=scheduled_detail(draft))
        linked = repair_id is not None and repair_links.link_text(
            db, repair_id, message_id, role=repair_role, worker_id=worker_id,
            contact_id=draft.contact["id"], template_version_id=draft.version["id"],
            meeting_at=draft.meeting_at)
    return Scheduled(message_id, created=True, repair_id=repair_id if linked else None)


def reschedule_text(db, message_id, draft, *, worker_id, number_reconfirmed):
    """Change a text still waiting to go; False (nothing saved) once it has gone."""
    rendered = draft.rendered
    with write_transaction(db):
        if number_reconfirmed:
            people.confirm_number(db, draft.contact["id"], user_id=worker_id)
        saved = messages.update_scheduled(
            db, message_id, template_version_id=draft.version["id"], body=rendered.body,
            encoding=rendered.encoding, characters=rendered.characters, parts=rendered.parts,
            warnings=draft.warnings, scheduled_for=draft.send_time.at,
            template_fields=draft.template_fields, day_written_for=draft.day_written_for,
            language=draft.stored_languages, other_version_id=draft.other_version_id)
        if saved:
            events.record(db, action="message.edited", subject_type="message",
                          subject_id=message_id, actor_type="user", actor_id=worker_id,
                          detail=scheduled_detail(draft))
    return bool(saved)


def cancel_text(db, message_id, *, reason, reason_label, note, worker_id):
    """A worker cancels a scheduled text; False when it has already gone."""
    note = (note or "").strip()
    with write_transaction(db):
        moved = messages.transition(db, message_id, from_statuses=("scheduled",),
                                    to_status="cancelled",
                                    status_reason=f"{reason_label}." + (f" {note}" if note else ""))
        if moved:
            events.record(db, action="message.cancelled", subject_type="message",
                          subject_id=message_id, actor_type="user", actor_id=worker_id,
                          detail={"reason": reason, "reason_label": reason_label})
    return bool(moved)


def settle_unknown_text(db, message_id, *, outcome, worker_id):
    """A person records what happened to a text the dispatcher could not confirm.

    Mend never resends on its own; if it did not go out, the worker writes a new one.
    False when someone else recorded it first.
    """
    status, label = SETTLE_OUTCOMES[outcome]
    with write_transaction(db):
        moved = messages.transition(db, message_id, from_statuses=("unknown",),
                                    to_status=status, status_reason=f"{label}.")
        if moved:
            events.record(db, action=f"message.{status}", subject_type="message",
                          subject_id=message_id, actor_type="user", actor_id=worker_id,
                          detail={"reason": outcome, "reason_label": label})
    return bool(moved)


def cancel_scheduled_for_person(db, contact_id, *, reason, actor_type, actor_id=None):
    """Cancel every text still scheduled for this person, each with its own event and
    the reason; returns the ids cancelled. The one place this rule lives."""
    with write_transaction(db):
        return cancel_scheduled(db, messages.scheduled_for_contact(db, contact_id),
                                reason=reason, actor_type=actor_type, actor_id=actor_id)


def cancel_scheduled(db, message_ids, *, reason, actor_type, actor_id=None):
    """Cancel those of these texts still scheduled, each with its own event and the
    reason; returns the ids cancelled (one that has gone meanwhile is left alone)."""
    cancelled = []
    with write_transaction(db):
        for message_id in message_ids:
            if messages.transition(db, message_id, from_statuses=("scheduled",),
                                   to_status="cancelled", status_reason=reason):
                events.record(db, action="message.cancelled", subject_type="message",
                              subject_id=message_id, actor_type=actor_type,
                              actor_id=actor_id, detail={"reason": reason})
                cancelled.append(message_id)
    return cancelled
