"""What other workflows call to keep a repair up to date: a text scheduled for a
repair is linked to it; a reply joins the open repair; a reply, a STOP or a failed
delivery stops what is left of its follow-up plan; erasure leaves only its skeleton.

Only `texts` is imported here, as a module (for cancelling follow-ups), so `texts`,
`inbound`, `delivery` and `people` can call these without an import cycle. Each runs inside the caller's transaction
(or its own) and writes its audit events there.
"""
from sms import repairs as rules
from storage import events, repairs
from storage.connection import from_db_time, to_db_time, utc_now, write_transaction

from . import texts


def link_text(db, repair_id, message_id, *, role, worker_id, contact_id,
              template_version_id, meeting_at=None):
    """Link a scheduled text to the worker's open repair with the same person.

    The first repair text sets the template version the ledger counts the repair
    under; a meeting time in the text becomes the repair's next meeting. False (and
    nothing linked) when the repair is not this worker's open repair with this person.
    """
    with write_transaction(db):
        repair = repairs.get(db, repair_id)
        if (repair is None or repair["closed_at"] or repair["worker_id"] != worker_id
                or repair["contact_id"] != contact_id):
            return False
        repairs.link_text(db, repair_id=repair_id, message_id=message_id, role=role)
        changes = {}
        if role == "repair" and repair["template_version_id"] is None:
            changes["template_version_id"] = template_version_id
        if role == "repair" and meeting_at is not None:
            changes["next_meeting_at"] = to_db_time(meeting_at)
        if changes:
            repairs.update(db, repair_id, **changes)
        events.record(db, action="repair.text_linked", subject_type="repair",
                      subject_id=repair_id, actor_type="user", actor_id=worker_id,
                      detail={"message_id": message_id, "role": role,
                              "template_version_id": template_version_id,
                              "next_meeting_from_text": meeting_at is not None})
    return True


def end_plan(db, repair_id, *, reason, actor_type, actor_id=None):
    """Cancel the follow-up texts still waiting, each with its event, and mark the plan
    ended with its reason. Returns the cancelled ids; nothing happens when no plan is on."""
    words = rules.PLAN_ENDED[reason]
    with write_transaction(db):
        repair = repairs.get(db, repair_id)
        if repair is None or repair["plan_status"] != "active":
            return []
        cancelled = texts.cancel_scheduled(db, repairs.scheduled_follow_ups(db, repair_id),
                                           reason=words, actor_type=actor_type,
                                           actor_id=actor_id)
        repairs.update(db, repair_id, plan_status="cancelled", plan_ended_reason=reason)
        events.record(db, action="repair.plan_cancelled", subject_type="repair",
                      subject_id=repair_id, actor_type=actor_type, actor_id=actor_id,
                      detail={"reason": words, "reason_code": reason,
                              "cancelled_messages": cancelled})
    return cancelled


def link_reply(db, repair, inbound_id, *, received_at):
    """A reply joins the repair; the first within 72 hours of the first text counts."""
    first_sent = from_db_time(repairs.first_sent_at(db, repair["id"]))
    in_time = rules.replied_in_time(first_sent, received_at)
    repairs.link_reply(db, repair_id=repair["id"], inbound_id=inbound_id, at=received_at)
    repairs.update(db, repair["id"], replies=repair["replies"] + 1,
                   replied_72h=1 if (in_time or repair["replied_72h"]) else 0)
    events.record(db, action="repair.reply_linked", subject_type="repair",
                  subject_id=repair["id"], actor_type="person",
                  detail={"inbound_id": inbound_id, "within_72_hours": in_time})


def text_received(db, *, inbound_id, kind, contact_id, everyone_on_number):
    """Called by `inbound.receive_text` in its transaction. A reply joins the newest open
    repair with the person and stops its plan; a STOP stops the plan of every open
    repair with anyone on that number."""
    with write_transaction(db):
        if kind == "stop":
            for someone in everyone_on_number:
                for repair_id in repairs.open_ids_for_contact(db, someone):
                    end_plan(db, repair_id, reason="stop", actor_type="person")
            return None
        repair = repairs.open_for_contact(db, contact_id) if (
            kind == "reply" and contact_id is not None) else None
        if repair is None:
            return None
        link_reply(db, repair, inbound_id, received_at=utc_now())
        end_plan(db, repair["id"], reason="replied", actor_type="person")
        return repair["id"]


def delivery_failed(db, message_id, *, actor_type="twilio"):
    """A repair's text could not be delivered: stop what is left of its plan."""
    repair_id = repairs.repair_for_message(db, message_id)
    if repair_id is None:
        return []
    return end_plan(db, repair_id, reason="delivery_failed", actor_type=actor_type)


def close(db, repair_id, *, ending, actor_type, actor_id=None, detail=None):
    """Close an open repair (stopping its plan first); False if it was closed already."""
    with write_transaction(db):
        end_plan(db, repair_id, reason="closed", actor_type=actor_type, actor_id=actor_id)
        closed = repairs.close(db, repair_id, ending=ending, closed_by=actor_id)
        if closed:
            events.record(db, action="repair.closed", subject_type="repair",
                          subject_id=repair_id, actor_type=actor_type, actor_id=actor_id,
                          detail={"ending": ending, **(detail or {})})
    return closed


def erase_for_contact(db, contact_id, *, user_id):
    """Erasure: open repairs close as "not recorded" (never a success), and every
    repair's note and reflection go. Ids, times, situation and outcomes stay."""
    with write_transaction(db):
        for repair_id in repairs.open_ids_for_contact(db, contact_id):
            end_plan(db, repair_id, reason="erased", actor_type="user", actor_id=user_id)
            close(db, repair_id, ending="not_recorded", actor_type="user", actor_id=user_id,
                  detail={"because": "erased"})
        repairs.erase_words_for_contact(db, contact_id)
