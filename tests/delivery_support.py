"""Fixtures and helpers for the delivery tests: a migrated database with one worker,
people who agreed to texts, due messages, the fake Twilio, and a Twilio gateway
(the official client) pointed at it.

Import the fixtures into a test module to use them.
"""
from datetime import datetime, timedelta, timezone

import pytest

from scheduler.dispatcher import DispatchSettings
from scheduler.rate_limit import SegmentRateLimiter
from sms import send_window
from sms.encoding import count
from sms.twilio_gateway import TwilioGateway
from storage import contacts, messages, migrations, users
from storage.connection import connect
from tests.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio

FROM_NUMBER = "+447700900123"
PUBLIC_BASE_URL = "https://mend.example.org"
# A Wednesday in November, 11:00 in London (UTC+0): inside the default window.
NOON_ISH = datetime(2026, 11, 25, 11, 0, tzinfo=timezone.utc)


def make_database(path):
    db = connect(path)
    migrations.upgrade(db)
    worker_id = users.create(db, email="worker@example.org", name="Sam Worker",
                             role="worker", password_hash="not-a-real-hash")
    return db, worker_id


def add_person(db, worker_id, *, phone="+447911123456", name="Alex", consent="granted",
               safe_hours=None):
    contact_id = contacts.create(db, preferred_name=name, phone=phone,
                                 key_worker_id=worker_id, created_by=worker_id)
    contacts.record_consent(db, contact_id=contact_id, state=consent, method="in_person",
                            recorded_by=worker_id)
    if safe_hours:
        start, end = safe_hours.split("-")
        db.execute("UPDATE contacts SET safe_hours_start = ?, safe_hours_end = ? WHERE id = ?",
                   [start, end, contact_id])
    return contact_id


def add_message(db, worker_id, contact_id, *, body="Alex, it makes sense you felt let "
                "down on Tuesday. No need to reply. Sam", due=NOON_ISH):
    counted = count(body)
    return messages.create(db, contact_id=contact_id, worker_id=worker_id,
                           template_version_id=None, body=counted.text,
                           encoding=counted.encoding, characters=counted.characters,
                           parts=counted.parts, warnings=[], scheduled_for=due)


def settings(**overrides):
    values = {"zone": "Europe/London", "window": send_window.parse_window("09:00-20:00"),
              "segments_per_second": 1000, "concurrency": 4,
              "retry_base": timedelta(seconds=10)}
    values.update(overrides)
    if "limiter" not in values:
        values["limiter"] = SegmentRateLimiter(values["segments_per_second"])
    return DispatchSettings(**values)


def gateway_for(fake, *, timeout=5, messaging_service_sid=None, auth_token=AUTH_TOKEN):
    return TwilioGateway(account_sid=ACCOUNT_SID, auth_token=auth_token,
                         from_number=None if messaging_service_sid else FROM_NUMBER,
                         messaging_service_sid=messaging_service_sid,
                         status_callback=f"{PUBLIC_BASE_URL}/webhooks/twilio/status",
                         api_base_url=fake.base_url, timeout=timeout)


def status_of(db, message_id):
    return messages.get(db, message_id)["status"]


def actions_for(db, message_id):
    from storage import events
    return [event["action"] for event in events.for_subject(db, "message", message_id)]


@pytest.fixture
def fake_twilio():
    fake = FakeTwilio().start()
    yield fake
    fake.stop()


@pytest.fixture
def delivery_db(tmp_path):
    db, worker_id = make_database(str(tmp_path / "mend.db"))
    db.worker_id = worker_id
    yield db
    db.close()


@pytest.fixture
def gateway(fake_twilio):
    return gateway_for(fake_twilio)
