"""What Mend does with a text a person sends: store it, and honour STOP and START;
and a worker marking replies as read.

The webhook parses and checks the request, then calls `receive_text`.
Everything a text changes happens in one transaction, so a crash leaves nothing half
done and Twilio's retry (same MessageSid) does the whole thing once.
"""
from dataclasses import dataclass, field

from sms import people as rules
from sms.keywords import meaning_of
from storage import contacts, events, inbound, messages
from storage.connection import utc_now, write_transaction

from . import consent, out_of_hours, repair_links

STOP_REASON = "They texted STOP, so Mend will not text them."
START_METHODS = {"START": "start_keyword", "UNSTOP": "start_keyword", "YES": "text_reply"}


@dataclass
class Received:
    inbound_id: int | None
    kind: str
    matched: bool
    replayed: bool = False
    consent_change: str | None = None
    cancelled: list = field(default_factory=list)
    auto_reply: int | None = None  # the out-of-hours auto-reply scheduled, if any

    def summary(self):
        """For the log: what happened, with no number and no text."""
        if self.replayed:
            return "already recorded (a retry); nothing changed"
        who = "a known contact" if self.matched else "an unknown number (unmatched)"
        change = f", consent {self.consent_change}" if self.consent_change else ""
        cancelled = f", {len(self.cancelled)} scheduled cancelled" if self.cancelled else ""
        return f"{self.kind} from {who}{change}{cancelled}"


def thread_contact(db, matched):
    """Which person a reply belongs to when several share a phone: the one texted last."""
    if len(matched) <= 1:
        return matched[0] if matched else None
    latest = messages.latest_sent_to(db, [contact["id"] for contact in matched])
    return next((c for c in matched if c["id"] == latest), matched[0])


def withdraw_everyone_on_the_number(db, matched, keyword):
    cancelled = []
    for contact in matched:
        cancelled += consent.withdraw(
            db, contact["id"], method="stop_keyword", actor_type="person",
            note=f"They texted {keyword}.", reason=STOP_REASON)
    return cancelled


def may_grant(latest):
    """Whether this keyword may change this person's consent.

    START, UNSTOP and YES confirm a pending request and undo a STOP sent by text (as
    Twilio itself does). They never overrule a "no" a worker recorded: the person may
    have said in person that someone else reads the phone, and on a shared phone the
    YES may come from someone else. Only a worker can change that.
    """
    if latest is None or latest["state"] == "granted":
        return False
    return latest["state"] == "pending" or latest["method"] in rules.OPTED_OUT_BY_TEXT


def grant_everyone_on_the_number(db, matched, keyword):
    """START, UNSTOP or YES: agree to texts (or confirm a pending agreement)."""
    changed = False
    for contact in matched:
        history = contacts.consent_history(db, contact["id"])
        latest = history[0] if history else None
        if not may_grant(latest):
            continue
        state = latest["state"]
        method = START_METHODS[keyword]
        consent_id = contacts.record_consent(
            db, contact_id=contact["id"], state="granted", method=method, recorded_by=None,
            note=f"They texted {keyword}." + (" This confirms the request sent to them."
                                             if state == "pending" else ""))
        events.record(db, action="consent.granted", subject_type="contact",
                      subject_id=contact["id"], actor_type="person",
                      detail={"method": method, "consent_id": consent_id,
                              "confirmed_pending": state == "pending"})
        changed = True
    return changed


def receive_text(db, *, provider_sid, from_number, body, service=None):
    """Store a text a person sent and act on it. `service` (sms.service.Service) lets
    the out-of-hours auto-reply run; without it none is sent."""
    meaning = meaning_of(body)
    with write_transaction(db):
        if inbound.is_recorded(db, provider_sid):
            return Received(None, meaning.kind, matched=False, replayed=True)
        matched = contacts.with_phone(db, from_number)
        received = Received(None, meaning.kind, matched=bool(matched))
        if meaning.kind == "stop" and matched:
            received.cancelled = withdraw_everyone_on_the_number(db, matched, meaning.keyword)
            received.consent_change = "withdrawn"
        elif meaning.kind == "start" and matched:
            if grant_everyone_on_the_number(db, matched, meaning.keyword):
                received.consent_change = "granted"
        contact = thread_contact(db, matched)
        received.inbound_id = inbound.record(
            db, provider_sid=provider_sid, from_number=from_number,
            contact_id=contact["id"] if contact else None, body=body, kind=meaning.kind,
            keyword=meaning.keyword, possible_stop=meaning.possible_stop,
            consent_change=received.consent_change)
        events.record(db, action="inbound.received", subject_type="inbound_message",
                      subject_id=received.inbound_id, actor_type="person",
                      detail={"kind": meaning.kind, "keyword": meaning.keyword,
                              "contact_id": contact["id"] if contact else None,
                              "possible_stop": meaning.possible_stop,
                              "consent_change": received.consent_change,
                              "cancelled_messages": received.cancelled})
        repair_links.text_received(db, inbound_id=received.inbound_id, kind=meaning.kind,
                                   contact_id=contact["id"] if contact else None,
                                   everyone_on_number=[c["id"] for c in matched])
        if service is not None:  # issue 14: one reviewed auto-reply while the service is closed
            received.auto_reply = out_of_hours.reply_if_closed(
                db, contact and contacts.get(db, contact["id"]), kind=meaning.kind,
                received_at=utc_now(), service=service, possible_stop=meaning.possible_stop)
    return received


def mark_read(db, inbound_ids, *, user_id):
    """A worker has read these replies; returns the ids that were unread until now."""
    with write_transaction(db):
        changed = inbound.mark_read(db, inbound_ids, read_by=user_id)
        for inbound_id in changed:
            events.record(db, action="inbound.read", subject_type="inbound_message",
                          subject_id=inbound_id, actor_type="user", actor_id=user_id)
    return changed
