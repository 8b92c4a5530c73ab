"""The out-of-hours auto-reply: one reviewed text to a person whose reply arrived while
the service is closed, saying when they will hear back and where to get help now.

Called by `inbound.receive_text` inside its transaction, so the reply, the auto-reply
and their events are stored together or not at all. The auto-reply is an ordinary
text in `messages` (purpose 'out_of_hours'): the dispatcher re-checks and rate-limits
it, it is in the audit log and in the person's thread.
"""
import logging

from sms import people as rules
from sms import team as team_rules
from sms.rendering import BadTemplate, MissingFields, render_text
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
    version = usable_version(db, team_rules.OUT_OF_HOURS_TEMPLATE)
    if send_at is None or version is None:
        log.info("no out-of-hours reply: %s", "no approved template" if version is None
                 else "it could not go before the team is back")
        return None
    worker = users.get(db, contact["key_worker_id"])
    try:
        rendered = render_text(version["body"], {
            "name": contact["preferred_name"], "worker": first_name(worker["name"]),
            "service": service.name_for(contact)})
    except (BadTemplate, MissingFields):
        log.warning("the out-of-hours template cannot be rendered; no auto-reply")
        return None
    message_id = messages.create(
        db, contact_id=contact["id"], worker_id=worker["id"],
        template_version_id=version["id"], body=rendered.body, encoding=rendered.encoding,
        characters=rendered.characters, parts=rendered.parts, warnings=[],
        scheduled_for=send_at, purpose="out_of_hours")
    events.record(db, action="message.scheduled", subject_type="message",
                  subject_id=message_id, actor_type="system",
                  detail={"purpose": "out_of_hours", "template_version_id": version["id"],
                          "template_id": version["template_id"], "version": version["version"],
                          "parts": rendered.parts,
                          "scheduled_for": send_at.isoformat(timespec="seconds")})
    return message_id


def usable_version(db, template_id):
    """The newest approved, not retired version of a template Mend sends itself."""
    return next((version for version in sms_templates.usable_versions(db)
                 if version["template_id"] == template_id), None)


def first_name(name):
    return name.split()[0] if name.strip() else name
