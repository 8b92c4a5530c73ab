"""dispatch_due(now): claim, re-check, send once, record."""
from datetime import datetime, timedelta, timezone

import pytest

from scheduler.dispatcher import DispatchSettings, dispatch_due, mark_abandoned_sends
from sms.gateways import ConsoleGateway
from sms.send_window import parse_window
from storage import contacts, events, messages
from tests.conftest import add_contact, contact_id_from

NOON = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
SETTINGS = DispatchSettings(zone="Europe/London", window=parse_window("09:00-20:00"),
                            stale_after=timedelta(hours=2))


class RecordingGateway(ConsoleGateway):
    def __init__(self):
        self.sent = []

    def send(self, *, message_id, to, body, parts):
        self.sent.append((message_id, to, body))
        return super().send(message_id=message_id, to=to, body=body, parts=parts)


@pytest.fixture
def alex(worker):
    return contact_id_from(add_contact(worker, name="Alex"))


def schedule(db, contact_id, worker_id, at, body="Hi Alex, it's Sam. No need to reply."):
    return messages.create(db, contact_id=contact_id, worker_id=worker_id,
                           template_version_id=None, body=body, encoding="GSM-7",
                           characters=len(body), parts=1, warnings=[], scheduled_for=at)


def test_a_due_message_is_sent_once_and_recorded(db, alex, user_ids):
    message_id = schedule(db, alex, user_ids["worker"], NOON)
    gateway = RecordingGateway()
    result = dispatch_due(db, gateway, now=NOON + timedelta(seconds=5), settings=SETTINGS)
    again = dispatch_due(db, gateway, now=NOON + timedelta(seconds=10), settings=SETTINGS)
    assert (result.claimed, result.sent, again.claimed) == (1, 1, 0)
    assert gateway.sent == [(message_id, "+447911123456", "Hi Alex, it's Sam. No need to reply.")]
    message = messages.get(db, message_id)
    assert message["status"] == "sent"
    assert message["provider_sid"].startswith("CONSOLE")
    assert [e["action"] for e in events.for_subject(db, "message", message_id)] == [
        "message.claimed", "message.sent"]


def test_a_message_not_yet_due_is_left_alone(db, alex, user_ids):
    message_id = schedule(db, alex, user_ids["worker"], NOON + timedelta(hours=1))
    assert dispatch_due(db, RecordingGateway(), now=NOON, settings=SETTINGS).claimed == 0
    assert messages.get(db, message_id)["status"] == "scheduled"


def test_consent_withdrawn_after_scheduling_means_nothing_is_sent(db, alex, user_ids):
    message_id = schedule(db, alex, user_ids["worker"], NOON)
    contacts.record_consent(db, contact_id=alex, state="withdrawn",
                            method="withdrawn_by_worker", recorded_by=user_ids["worker"])
    gateway = RecordingGateway()
    dispatch_due(db, gateway, now=NOON, settings=SETTINGS)
    assert gateway.sent == []
    message = messages.get(db, message_id)
    assert message["status"] == "cancelled"
    assert "has not agreed to texts" in message["status_reason"]


def test_a_message_more_than_stale_after_late_expires_and_is_never_sent(db, alex, user_ids):
    message_id = schedule(db, alex, user_ids["worker"], NOON)
    gateway = RecordingGateway()
    dispatch_due(db, gateway, now=NOON + timedelta(hours=2, minutes=1), settings=SETTINGS)
    assert gateway.sent == []
    assert messages.get(db, message_id)["status"] == "expired"


def test_outside_the_window_a_due_message_waits(db, alex, user_ids):
    late_evening = datetime(2026, 12, 1, 19, 59, 30, tzinfo=timezone.utc)
    message_id = schedule(db, alex, user_ids["worker"], late_evening)
    gateway = RecordingGateway()
    result = dispatch_due(db, gateway, now=late_evening + timedelta(seconds=45), settings=SETTINGS)
    assert (result.deferred, gateway.sent) == (1, [])
    assert messages.get(db, message_id)["status"] == "scheduled"


def test_a_gateway_failure_marks_the_message_for_a_person_to_check(db, alex, user_ids):
    class BrokenGateway(ConsoleGateway):
        def send(self, **kwargs):
            raise TimeoutError("no answer")

    message_id = schedule(db, alex, user_ids["worker"], NOON)
    dispatch_due(db, BrokenGateway(), now=NOON, settings=SETTINGS)
    assert messages.get(db, message_id)["status"] == "unknown"


def test_rows_left_sending_by_a_dead_process_become_unknown_and_are_not_resent(db, alex, user_ids):
    message_id = schedule(db, alex, user_ids["worker"], NOON)
    messages.claim_due(db, now=NOON, limit=10)  # claimed, then the process "died"
    assert mark_abandoned_sends(db) == [message_id]
    gateway = RecordingGateway()
    dispatch_due(db, gateway, now=NOON, settings=SETTINGS)
    assert gateway.sent == []
    assert messages.get(db, message_id)["status"] == "unknown"


def test_two_claims_never_take_the_same_row(db, alex, user_ids):
    ids = {schedule(db, alex, user_ids["worker"], NOON) for _ in range(5)}
    first = messages.claim_due(db, now=NOON, limit=3)
    second = messages.claim_due(db, now=NOON, limit=10)
    assert {m["id"] for m in first} | {m["id"] for m in second} == ids
    assert not {m["id"] for m in first} & {m["id"] for m in second}
