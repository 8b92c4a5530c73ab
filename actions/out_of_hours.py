"""The out-of-hours auto-reply: one reviewed text to a person whose reply arrived while
the service is closed, saying when they will hear back and where to get help now.

Called by `inbound.receive_text` inside its transaction, so the reply, the auto-reply
and their events are stored together or not at all. The auto-reply is an ordinary
text in `messages` (purpose 'out_of_hours'): the dispatcher re-checks and rate-limits
it, it is in the audit log and in the person's thread.
"""
import logging

from dataclasses import dataclass

from sms import people as rules
from sms import team as team_rules
from sms import text_language
from sms.languages import ENGLISH
from sms.rendering import BadTemplate, MissingFields
from storage import events, messages, sms_templates, team, users
from storage.connection import from_db_time, utc_now

log = logging.getLogger("mend.out_of_hours")


def reply_if_closed(db, contact, *, kind, received_at, service, now=None, possible_stop=False):
    """Schedule the auto-reply when every rule allows one; returns its message id or None.

    `contact` is the person the text was matched to (None for an unknown number).
    """
    if not service.out_of_hours_reply:
        return None
    now = now or utc_now()
    last = team.last_auto_reply_at(db, contact["id"]) if contact else None
    refusal = team_rules.auto_reply_refusal(
        kind=kind, matched=contact is not None,
        consent_state=contact["consent_state"] if contact else None,
        last_auto_reply_at=from_db_time(last), now=now, received_at=received_at,
        zone=service.zone, hours=service.hours, possible_stop=possible_stop)
    if refusal is None and contact["number_flag"]:
        refusal = "their number is held"
    if refusal:
        log.info("no out-of-hours reply: %s", refusal)
        return None
    send_at = team_rules.auto_reply_time(
        received_at=received_at, zone=service.zone, hours=service.hours,
        first_allowed=rules.first_allowed_time(contact, now=now, zone=service.zone,
                                               service_window=service.window))
    if send_at is None or usable_version(db, team_rules.OUT_OF_HOURS_TEMPLATE) is None:
        log.info("no out-of-hours reply: %s", "it could not go before the team is back"
                 if send_at is not None else "no approved template")
        return None
    worker = users.get(db, contact["key_worker_id"])
    try:
        text = mend_text(db, team_rules.OUT_OF_HOURS_TEMPLATE, contact, service, {
            "name": contact["preferred_name"], "worker": first_name(worker["name"]),
            "service": service.name_for(contact)})
    except (BadTemplate, MissingFields):
        log.warning("the out-of-hours template cannot be rendered; no auto-reply")
        return None
    message_id = store_mend_text(db, text, contact_id=contact["id"], worker_id=worker["id"],
                                 send_at=send_at, purpose="out_of_hours", actor_type="system")
    return message_id


@dataclass(frozen=True)
class MendText:
    """A text Mend sends itself, in the person's language: its versions (one, or Welsh
    and English), the counted text and the languages it went in."""
    versions: list
    rendered: object
    languages: tuple


def mend_text(db, template_id, contact, service, values):
    """The text for a template Mend sends itself, in the person's language under the
    rule compose follows (in Welsh Language Standards mode, Welsh and English for a
    person not asked yet); in English when no approved version in their language exists
    yet (the audit event says which language it went in). Raises BadTemplate or
    MissingFields like `render_text`."""
    available = sms_templates.usable_languages(db, template_id)
    plan = text_language.plan(contact.get("language"), available,
                              welsh_standards=service.welsh_standards,
                              welsh_first=service.welsh_first)
    languages = plan.languages or ((ENGLISH,) if ENGLISH in available else ())
    if not languages:
        raise BadTemplate(f"no approved version of {template_id}")
    versions = [available[code] for code in languages]
    rendered = text_language.render_languages(
        [(version["language"], version["body"]) for version in versions], lambda _: values)
    return MendText(versions, rendered, tuple(languages))


def store_mend_text(db, text, *, contact_id, worker_id, send_at, purpose, actor_type,
                    actor_id=None):
    """Store a `MendText` as a scheduled text with its event; returns its id."""
    version, rendered = text.versions[0], text.rendered
    language = text_language.stored_as(text.languages)
    message_id = messages.create(
        db, contact_id=contact_id, worker_id=worker_id, template_version_id=version["id"],
        body=rendered.body, encoding=rendered.encoding, characters=rendered.characters,
        parts=rendered.parts, warnings=[], scheduled_for=send_at, purpose=purpose,
        language=language, other_version_id=text.versions[1]["id"] if len(text.versions) > 1 else None)
    events.record(db, action="message.scheduled", subject_type="message",
                  subject_id=message_id, actor_type=actor_type, actor_id=actor_id,
                  detail={"purpose": purpose, "template_version_id": version["id"],
                          "template_id": version["template_id"], "version": version["version"],
                          "parts": rendered.parts, "language": language,
                          "scheduled_for": send_at.isoformat(timespec="seconds")})
    return message_id


def usable_version(db, template_id):
    """The newest approved, not retired version of a template Mend sends itself."""
    return next((version for version in sms_templates.usable_versions(db)
                 if version["template_id"] == template_id), None)


def first_name(name):
    return name.split()[0] if name.strip() else name
