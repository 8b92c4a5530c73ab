"""Twilio's status callbacks, /healthz and the admin alert."""
import threading
from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from werkzeug.serving import make_server

from scheduler.dispatcher import dispatch_due
from scheduler.runner import gateway_from_config
from sms.gateways import ConsoleGateway
from storage import alerts, contacts, events, messages, scheduler_ticks
from tests.harness.database import ACCOUNTS, NOON_ISH, actions_for, add_message, add_person
from tests.harness.delivery import settings
from tests.harness.fake_twilio import ACCOUNT_SID, AUTH_TOKEN
from tests.harness.pages import client_for
from tests.harness.twilio_signing import TEST_AUTH_TOKEN, TEST_PUBLIC_BASE_URL, post_signed
from actions.accounts import hash_password

STATUS_PATH = "/webhooks/twilio/status"
_HASHES = {}


@pytest.fixture
def user_ids(database_path):
    """Like conftest's, but hashing one password once for the whole module (fast)."""
    from storage import users
    from storage.connection import connect
    from tests.harness.database import PASSWORD, prepare_database

    if "hash" not in _HASHES:
        _HASHES["hash"] = hash_password(PASSWORD)
    prepare_database(database_path, accounts={})
    db = connect(database_path)
    ids = {key: users.create(db, email=email, name=name, role=role,
                             password_hash=_HASHES["hash"])
           for key, (email, name, role) in ACCOUNTS.items()}
    db.close()
    return ids


assert AUTH_TOKEN == TEST_AUTH_TOKEN  # the fake and the app share one auth token


@pytest.fixture
def app_config(app_config):
    return {**app_config, "PUBLIC_BASE_URL": TEST_PUBLIC_BASE_URL,
            "TWILIO_AUTH_TOKEN": TEST_AUTH_TOKEN}


@pytest.fixture
def sent_message(db, user_ids):
    """A message the dispatcher has sent (status `sent`, SID recorded)."""
    contact_id = add_person(db, user_ids["worker"])
    message_id = add_message(db, user_ids["worker"], contact_id)
    messages.claim_due(db, now=NOON_ISH, limit=1)
    messages.transition(db, message_id, from_statuses=("sending",), to_status="sent",
                        provider_sid="SM" + "a" * 32)
    return message_id


def callback(client, message_id, status, sid="SM" + "a" * 32, error_code=None):
    params = {"MessageSid": sid, "MessageStatus": status, "AccountSid": ACCOUNT_SID,
              "To": "+447911123456", "From": "+447700900123", "ApiVersion": "2010-04-01"}
    if error_code:
        params["ErrorCode"] = str(error_code)
    path = f"{STATUS_PATH}?m={message_id}" if message_id else STATUS_PATH
    return post_signed(client, path, params)


def test_an_unsigned_or_wrongly_signed_callback_is_refused(client, db, sent_message):
    params = {"MessageSid": "SM" + "a" * 32, "MessageStatus": "delivered"}
    assert client.post(STATUS_PATH, data=params).status_code == 403
    assert post_signed(client, STATUS_PATH, params, token="wrong").status_code == 403
    assert messages.get(db, sent_message)["status"] == "sent"


def test_delivered_is_applied_once_however_often_twilio_says_it(client, db, sent_message):
    for _ in range(3):
        response = callback(client, sent_message, "delivered")
        assert response.status_code == 200
        assert response.mimetype == "text/xml"
    message = messages.get(db, sent_message)
    assert (message["status"], message["provider_status"]) == ("delivered", "delivered")
    delivered = [e for e in events.for_subject(db, "message", sent_message)
                 if e["action"] == "message.delivered"]
    assert len(delivered) == 1
    assert delivered[0]["actor_type"] == "twilio"


def test_a_late_sent_after_delivered_is_logged_but_not_applied(client, db, sent_message):
    callback(client, sent_message, "delivered")
    callback(client, sent_message, "sent")
    assert messages.get(db, sent_message)["status"] == "delivered"
    last = events.for_subject(db, "message", sent_message)[-1]
    assert last["action"] == "message.status_ignored"
    assert (last["detail"]["provider_status"], last["detail"]["current_status"]) == \
        ("sent", "delivered")


def test_early_queued_and_sending_callbacks_change_nothing_after_sent(client, db,
                                                                      sent_message):
    before = actions_for(db, sent_message)
    callback(client, sent_message, "queued")
    callback(client, sent_message, "sending")
    assert messages.get(db, sent_message)["status"] == "sent"
    assert actions_for(db, sent_message) == before


@pytest.mark.parametrize("status, code, reason, flagged", [
    ("undelivered", 30003, "The phone could not be reached (it may be switched off or "
                           "out of signal).", False),
    ("undelivered", 30004, "The text was blocked (the person or their network may block "
                           "texts from this number).", False),
    ("failed", 30005, "The network does not know this number; it may no longer be in use.",
     True),
    ("failed", 30006, "The number is a landline, or its network cannot take texts.", True),
    ("undelivered", 30007, "The network filtered the text as possible spam.", False),
    ("undelivered", 30008, "The network reported an unknown error.", False),
    ("undelivered", 30999, "The provider reported error 30999.", False),
])
def test_a_delivery_failure_is_stored_with_a_human_reason(client, db, sent_message, status,
                                                          code, reason, flagged):
    callback(client, sent_message, status, error_code=code)
    message = messages.get(db, sent_message)
    assert (message["status"], message["error_code"], message["status_reason"]) == \
        (status, code, reason)
    assert events.for_subject(db, "message", sent_message)[-1]["detail"]["reason"] == reason
    number_flag = contacts.get(db, message["contact_id"])["number_flag"]
    assert number_flag == (reason if flagged else None)


def test_a_callback_settles_a_message_left_unknown_by_a_crash(client, db, user_ids):
    contact_id = add_person(db, user_ids["worker"])
    message_id = add_message(db, user_ids["worker"], contact_id)
    messages.claim_due(db, now=NOON_ISH, limit=1)
    messages.transition(db, message_id, from_statuses=("sending",), to_status="unknown",
                        status_reason="The dispatcher stopped while sending.")
    callback(client, message_id, "delivered", sid="SM" + "b" * 32)
    message = messages.get(db, message_id)
    assert (message["status"], message["provider_sid"], message["status_reason"]) == \
        ("delivered", "SM" + "b" * 32, None)
    assert events.for_subject(db, "message", message_id)[-1]["detail"]["from_status"] == \
        "unknown"


def test_a_callback_for_a_message_mend_does_not_know_is_acknowledged(client, db,
                                                                     sent_message):
    before = events.count(db)
    assert callback(client, None, "delivered", sid="SM" + "c" * 32).status_code == 200
    assert callback(client, 999, "delivered", sid="SM" + "c" * 32).status_code == 200
    assert events.count(db) == before


def test_a_callback_missing_its_fields_is_a_bad_request(client):
    assert post_signed(client, STATUS_PATH, {"MessageStatus": "delivered"}).status_code == 400


def test_the_fake_twilio_posts_signed_callbacks_to_the_running_app(app, db, user_ids,
                                                                    fake_twilio):
    """End to end over HTTP: the dispatcher sends through the official client, and the
    fake posts a signed callback to the app served on 127.0.0.1."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        fake_twilio.callback_base = f"http://127.0.0.1:{server.server_port}"
        gateway = gateway_from_config({**app.config, "SMS_BACKEND": "twilio",
                                       "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
                                       "TWILIO_FROM_NUMBER": "+447700900123",
                                       "TWILIO_API_BASE_URL": fake_twilio.base_url,
                                       "SEND_CONCURRENCY": 2})
        message_id = add_message(db, user_ids["worker"], add_person(db, user_ids["worker"]))
        dispatch_due(db, gateway, NOON_ISH, settings())
        sid = fake_twilio.created[0]["sid"]
        assert fake_twilio.post_status(sid, "sent") == 200
        assert fake_twilio.post_status(sid, "delivered") == 200
        assert fake_twilio.post_status(sid, "sent") == 200
    finally:
        server.shutdown()
        thread.join()
    assert messages.get(db, message_id)["status"] == "delivered"
    assert actions_for(db, message_id) == ["message.claimed", "message.sent",
                                           "message.delivered", "message.status_ignored"]


# --- /healthz and the admin alert ------------------------------------------------------

def test_healthz_says_how_long_ago_the_dispatcher_last_ticked(client, db):
    assert client.get("/healthz").get_json()["scheduler_last_tick_seconds_ago"] is None
    with time_machine.travel(datetime(2026, 11, 25, 11, 0, tzinfo=timezone.utc), tick=False):
        tick = datetime(2026, 11, 25, 10, 59, 18, tzinfo=timezone.utc)
        scheduler_ticks.record(db, started_at=tick, finished_at=tick, claimed=0, sent=0,
                               failed=0, deferred=0)
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"database": "ok", "scheduler_last_tick_seconds_ago": 42.0,
                                   "alerts": []}


def test_rejected_credentials_show_on_healthz_and_to_admins(app, client, db):
    alerts.raise_alert(db, alerts.TWILIO_CREDENTIALS,
                       "Twilio refused Mend's account details.")
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["sending"] == "stopped"
    assert [a["kind"] for a in body["alerts"]] == ["twilio_credentials"]

    admin_page = client_for(app, "admin").get("/dashboard").get_data(as_text=True)
    assert "Texts are not being sent." in admin_page
    assert "Twilio refused Mend&#39;s account details." in admin_page
    worker_page = client_for(app, "worker").get("/dashboard").get_data(as_text=True)
    assert "Texts are not being sent." not in worker_page

    alerts.clear(db, alerts.TWILIO_CREDENTIALS, reason="fixed")
    assert client.get("/healthz").status_code == 200
    actions = [row["action"] for row in db.query(
        "SELECT action FROM events WHERE subject_type = 'alert' ORDER BY id")]
    assert actions == ["alert.raised", "alert.cleared"]


def test_expired_and_unknown_texts_are_shown_to_the_worker(app, db, user_ids):
    contact_id = add_person(db, user_ids["worker"])
    message_id = add_message(db, user_ids["worker"], contact_id,
                             due=NOON_ISH - timedelta(hours=3))
    dispatch_due(db, ConsoleGateway(), NOON_ISH, settings())
    assert messages.get(db, message_id)["status"] == "expired"
    page = client_for(app, "worker").get("/dashboard").get_data(as_text=True)
    assert "It could not go out on time, so it was not sent late." in page
