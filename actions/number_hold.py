"""A number that is no longer theirs: after failures that say so, every text to the
person is held until a worker checks the number with them in person.

Both ways a failure reaches Mend call `after_failure`: a status callback
(`delivery.apply_status_callback`) and a send the provider refused at once (the
dispatcher). The dispatcher's re-check holds a text while the number is flagged.
"""
from dataclasses import dataclass, field

from sms import team as rules
from sms import twilio_errors
from storage import contacts, delivery, events, messages, team
from storage.connection import write_transaction


@dataclass
class Held:
    contact_id: int
    error_code: int
    held: list = field(default_factory=list)  # ids of the texts waiting to go


def after_failure(db, contact_id, *, error_code, message_id=None, actor_type="system"):
    """Hold their texts when the latest failures mean the number is not theirs.

    Returns Held, or None when these failures do not call for it (a phone switched off
    once, a text blocked as spam). Safe to call twice: a held number stays held.
    """
    with write_transaction(db):
        decided_by = rules.number_not_theirs(team.latest_outcome_codes(db, contact_id))
        if decided_by is None:
            return None
        contact = contacts.get(db, contact_id)
        if contact is None or contact["erased_at"]:
            return None
        reason = twilio_errors.reason_for(decided_by)
        if decided_by == rules.UNREACHABLE:
            reason = ("The last texts to this number could not reach the phone, "
                      f"{rules.UNREACHABLE_IN_A_ROW} times in a row; it may no longer be theirs.")
        if not contact["number_flag"]:
            delivery.flag_number(db, contact_id, flag=reason, message_id=message_id,
                                 actor_type=actor_type)
        held = messages.scheduled_for_contact(db, contact_id)
        events.record(db, action="contact.number_held", subject_type="contact",
                      subject_id=contact_id, actor_type=actor_type,
                      detail={"error_code": decided_by, "message_id": message_id,
                              "held_messages": held})
    return Held(contact_id, decided_by, held)


def lift_hold(db, contact_id, *, user_id):
    """A worker checked with the person, in person, that the number is still theirs.

    Their held texts may go again (the dispatcher still never sends one late). Returns
    the ids of those texts, or None when the number was not held.
    """
    with write_transaction(db):
        contact = contacts.get(db, contact_id)
        if contact is None or not contact["number_flag"]:
            return None
        released = team.lift_number_hold(db, contact_id)
        events.record(db, action="contact.number_hold_lifted", subject_type="contact",
                      subject_id=contact_id, actor_type="user", actor_id=user_id,
                      detail={"released_messages": released, "checked": "in_person"})
    return released
