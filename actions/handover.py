"""Handover: an admin or a reviewer (team lead) moves a person to a new key worker.

Their thread and unread replies are the person's, so they move with them; each text
still waiting to go is either signed again by the new worker (re-rendered through the
same renderer and checks as the compose page) or cancelled with a reason: the person
handing over chooses. Optionally the outgoing worker's reviewed "I am moving on" text
is scheduled. All of it happens in one transaction, with its audit events.
"""
from dataclasses import dataclass, field
from datetime import date

from sms import checks, days, scheduling
from sms import people as rules
from sms import team as team_rules
from sms.confirmation import confirmation_text
from sms.rendering import BadTemplate, MissingFields, render_text
from storage import contacts, events, inbound, messages, repairs, team, users
from storage.connection import from_db_time, utc_now, write_transaction

from . import repair_links
from .out_of_hours import first_name, mend_text, store_mend_text, usable_version

RE_SIGN = "re_sign"
CANCEL = "cancel"
NOT_RE_SIGNABLE = ("It was written for the previous key worker and could not be signed by "
                   "the new one, so it was cancelled at the handover.")


@dataclass
class HandedOver:
    problem: str | None = None  # words for the person handing over; nothing changed
    re_signed: list = field(default_factory=list)
    cancelled: list = field(default_factory=list)
    unread: int = 0
    notice_id: int | None = None
    repairs: list = field(default_factory=list)


def move_open_repairs(db, contact_id, *, from_worker_id, to_worker_id, user_id):
    """The previous worker's open repairs with this person close as "not recorded"
    (their follow-up texts cancelled, with the reason), in the handover's transaction;
    returns their ids for the audit event.

    A repair carries its worker's private reflection, so it does not pass to the new
    worker; and once closed, the person's new replies no longer join it, so the
    previous worker stops seeing them. The new worker starts their own repair."""
    closed = []
    for repair_id in repairs.open_ids_for_contact(db, contact_id):
        if repairs.get(db, repair_id)["worker_id"] == from_worker_id and repair_links.close(
                db, repair_id, ending="not_recorded", actor_type="user", actor_id=user_id,
                detail={"handed_over_to": to_worker_id}):
            closed.append(repair_id)
    return closed


def re_render(text, contact, *, worker_name, service):
    """The same text, signed by `worker_name`: (Counted, warnings) or None if it cannot
    be (a template it no longer renders with, a purpose Mend cannot re-sign)."""
    fields = text["template_fields"]
    try:
        if text["purpose"] == "consent_request":
            rendered = confirmation_text(name=contact["preferred_name"], worker=worker_name,
                                         service=service.name_for(contact),
                                         language=contact.get("language"),
                                         welsh_standards=service.welsh_standards,
                                         welsh_first=service.welsh_first)
        elif text["purpose"] == "repair" and (text.get("language") or "en") != "en":
            return None  # a text in another language: its worker writes it again
        elif text["purpose"] == "repair" and text["template_body"]:
            meeting = scheduling.parse_local(fields.get("next_meeting_at") or "", service.zone)
            happened = fields.get("happened_on")
            rendered = render_text(text["template_body"], {
                "name": contact["preferred_name"], "worker": worker_name,
                "service": service.name_for(contact), "personal": fields.get("personal", ""),
                "next_meeting": scheduling.format_meeting(meeting, service.zone)
                if meeting else "",
                "day": days.day_phrase(date.fromisoformat(happened),
                                       from_db_time(text["scheduled_for"]), service.zone)
                if happened else ""})
        else:
            return None
    except (BadTemplate, MissingFields, ValueError):
        return None
    context = checks.Context(worker=worker_name, service_name=service.name,
                             service_allowed=bool(contact["ok_to_name_service"]))
    warnings = checks.check_text(rendered.body, context, name=contact["preferred_name"])
    return rendered, [warning.as_dict() for warning in warnings]


def _cancel(db, text, *, reason, user_id):
    if messages.transition(db, text["id"], from_statuses=("scheduled",),
                           to_status="cancelled", status_reason=reason):
        events.record(db, action="message.cancelled", subject_type="message",
                      subject_id=text["id"], actor_type="user", actor_id=user_id,
                      detail={"reason": "handover"})
        return True
    return False


def _move_texts(db, contact, result, *, scheduled, cancel_reason, old, new, user_id, service):
    for text in team.scheduled_texts(db, contact["id"]):
        again = re_render(text, contact, worker_name=first_name(new["name"]),
                          service=service) if scheduled == RE_SIGN else None
        if again is not None:
            rendered, warnings = again
            if team.re_sign(db, text["id"], worker_id=new["id"], body=rendered.body,
                            encoding=rendered.encoding, characters=rendered.characters,
                            parts=rendered.parts, warnings=warnings):
                events.record(db, action="message.re_signed", subject_type="message",
                              subject_id=text["id"], actor_type="user", actor_id=user_id,
                              detail={"from_worker_id": old["id"], "to_worker_id": new["id"],
                                      "parts": rendered.parts,
                                      "warnings": [w["code"] for w in warnings]})
                result.re_signed.append(text["id"])
            continue
        reason = (f"Cancelled at the handover to a new key worker: {cancel_reason}"
                  if scheduled == CANCEL else NOT_RE_SIGNABLE)
        if _cancel(db, text, reason=reason, user_id=user_id):
            result.cancelled.append(text["id"])


def _moving_on_text(db, contact, *, old, new, user_id, service):
    """Schedule the reviewed "I am moving on" text from the outgoing worker."""
    text = mend_text(db, team_rules.MOVING_ON_TEMPLATE, contact, service, {
        "name": contact["preferred_name"], "worker": first_name(old["name"]),
        "new_worker": first_name(new["name"]), "service": service.name_for(contact)})
    send_at = rules.first_allowed_time(contact, now=utc_now(), zone=service.zone,
                                       service_window=service.window)
    return store_mend_text(db, text, contact_id=contact["id"], worker_id=old["id"],
                           send_at=send_at, purpose="handover", actor_type="user",
                           actor_id=user_id)


def notice_problem(db, contact, service):
    """Why the "I am moving on" text cannot go to this person (None when it can)."""
    if contact["consent_state"] != "granted":
        return "They have not agreed to texts, so Mend cannot send the moving-on text."
    if contact["number_flag"]:
        return "Their number is held until someone checks it with them, so no text can go."
    if usable_version(db, team_rules.MOVING_ON_TEMPLATE) is None:
        return ("There is no approved moving-on template. Ask a reviewer to approve one, or "
                "hand over without the text.")
    if rules.window_for(contact, service.window) is None:
        return "Their safe hours leave no time to text them."
    return None


def hand_over(db, contact_id, *, new_worker_id, scheduled, cancel_reason="", send_notice,
              user_id, role, service):
    """Move the person to `new_worker_id`. `scheduled` is RE_SIGN or CANCEL."""
    if role not in ("admin", "reviewer"):
        return HandedOver(problem="Only an admin or a team lead can hand a person over.")
    if scheduled not in (RE_SIGN, CANCEL):
        return HandedOver(problem="Choose what happens to the texts waiting to go.")
    if scheduled == CANCEL and not cancel_reason.strip():
        return HandedOver(problem="Say why the waiting texts are cancelled.")
    with write_transaction(db):
        contact = contacts.get(db, contact_id)
        new = users.get(db, new_worker_id)
        if contact is None or contact["erased_at"]:
            return HandedOver(problem="That person is not in Mend any more.")
        if new is None or not new["active"] or new["role"] != "worker":
            return HandedOver(problem="Choose a support worker with an active account.")
        if new["id"] == contact["key_worker_id"]:
            return HandedOver(problem=f"{new['name']} is already their key worker.")
        problem = notice_problem(db, contact, service) if send_notice else None
        if problem:
            return HandedOver(problem=problem)
        old = users.get(db, contact["key_worker_id"])
        result = HandedOver(unread=len(inbound.unread_ids_for_contact(db, contact_id)))
        team.move_person(db, contact_id, key_worker_id=new["id"])
        _move_texts(db, contact, result, scheduled=scheduled,
                    cancel_reason=cancel_reason.strip(), old=old, new=new, user_id=user_id,
                    service=service)
        if send_notice:  # after the waiting texts moved, so it is not one of them
            result.notice_id = _moving_on_text(db, contact, old=old, new=new,
                                               user_id=user_id, service=service)
        result.repairs = move_open_repairs(db, contact_id, from_worker_id=old["id"],
                                           to_worker_id=new["id"], user_id=user_id)
        events.record(db, action="contact.handed_over", subject_type="contact",
                      subject_id=contact_id, actor_type="user", actor_id=user_id,
                      detail={"from_worker_id": old["id"], "to_worker_id": new["id"],
                              "scheduled": scheduled, "re_signed": result.re_signed,
                              "cancelled": result.cancelled, "unread_replies": result.unread,
                              "moving_on_message_id": result.notice_id,
                              "repairs": result.repairs})
    return result
