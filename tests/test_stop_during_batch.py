"""STOP while a batch is going out: the real dispatcher (`dispatch_due` in a thread,
the official `twilio` client, the fake Twilio with latency) is half way through a batch
when the person texts STOP to a real HTTP server (werkzeug, signed webhook).

Nothing reaches the fake Twilio for that number after the STOP was committed: the
order is read at the fake (when each request arrived) and in the audit log.
"""
import threading
import time
import urllib.parse
import urllib.request
from datetime import timedelta

from app import create_app
from scheduler.dispatcher import dispatch_due
from sms import send_window
from storage import contacts, events, messages
from storage.connection import connect, utc_now
from tests.harness.database import add_message, add_person, make_database
from tests.harness.delivery import gateway_for, settings
from tests.harness.fake_twilio import AUTH_TOKEN
from tests.harness.processes import ThreadedServer
from tests.harness.twilio_signing import signature_for

TARGET = "+447911000001"
OTHERS = ("+447911000002", "+447911000003")
PATIENCE = 60  # seconds; never reached when all is well


def serve(app):
    running = ThreadedServer(app).start()
    return running.server, running.url


def stop_moment(arrivals):
    return (sum(to == TARGET for to, _ in arrivals) >= 2 and arrivals[-1][0] != TARGET)


def text_stop(base_url, sid):
    url = f"{base_url}/webhooks/twilio/inbound"
    params = {"MessageSid": sid, "AccountSid": "AC" + "0" * 32, "From": TARGET,
              "To": "+447700900123", "Body": "Stop", "NumMedia": "0"}
    request = urllib.request.Request(
        url, data=urllib.parse.urlencode(params).encode(), method="POST",
        headers={"X-Twilio-Signature": signature_for(url, params, AUTH_TOKEN),
                 "Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status


def test_no_text_reaches_the_provider_after_a_stop_recorded_mid_batch(tmp_path, fake_twilio):
    database_path = str(tmp_path / "mend.db")
    db, worker_id = make_database(database_path)
    target_id = add_person(db, worker_id, phone=TARGET, name="Target")
    other_ids = [add_person(db, worker_id, phone=phone, name=f"Other {n}")
                 for n, phone in enumerate(OTHERS)]
    due = utc_now() - timedelta(seconds=5)
    batch = []  # every other text is to the person who will text STOP
    for n in range(12):
        contact_id = target_id if n % 2 == 0 else other_ids[(n // 2) % 2]
        batch.append(add_message(db, worker_id, contact_id, body=f"Batch text {n}", due=due))
    db.close()

    app = create_app({"TESTING": True, "MEND_ENV": "development", "SECRET_KEY": "stop-test",
                      "DATABASE_PATH": database_path, "SEND_WINDOW": "00:00-24:00",
                      "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "RUN_SCHEDULER_IN_PROCESS": False})
    server, base_url = serve(app)
    app.config["PUBLIC_BASE_URL"] = base_url
    fake_twilio.latency = 0.1
    # Two texts a second, four claimed at a time: when STOP arrives, texts to the person
    # are claimed and waiting their turn, and more are still scheduled.
    dispatch_settings = settings(window=send_window.parse_window("00:00-24:00"),
                                 segments_per_second=2, concurrency=4)
    gateway = gateway_for(fake_twilio)
    outcome = {}

    def dispatcher():
        thread_db = connect(database_path)
        try:
            deadline = time.monotonic() + PATIENCE
            while time.monotonic() < deadline:
                dispatch_due(thread_db, gateway, settings=dispatch_settings)
                if not thread_db.execute("SELECT count(*) FROM messages WHERE status IN "
                                         "('scheduled', 'sending')").fetchone()[0]:
                    outcome["finished"] = True
                    return
                time.sleep(0.05)
        finally:
            thread_db.close()

    sending = threading.Thread(target=dispatcher, daemon=True)
    try:
        sending.start()
        deadline = time.monotonic() + PATIENCE
        # STOP right after a text to someone else went, with the next text to the person
        # already claimed, checked and waiting for the rate limiter.
        while not stop_moment(list(fake_twilio.arrivals)):
            assert time.monotonic() < deadline, "the batch never reached the person"
            time.sleep(0.002)
        assert text_stop(base_url, "SM" + "5" * 32) == 200
        stop_answered = time.time()  # the STOP was committed before its answer was sent
        sending.join(timeout=PATIENCE)
    finally:
        server.shutdown()
    assert outcome.get("finished"), "the dispatcher did not finish the batch"

    to_target = [at for to, at in fake_twilio.arrivals if to == TARGET]
    assert len(to_target) >= 2
    assert [at for at in to_target if at > stop_answered] == []
    assert len([m for m in fake_twilio.created if m["to"] in OTHERS]) == 6

    db = connect(database_path)
    assert contacts.current_consent(db, target_id) == "withdrawn"
    [withdrawn] = [e for e in events.for_subject(db, "contact", target_id)
                   if e["action"] == "consent.withdrawn"]
    statuses = {}
    for message_id in batch:
        message = messages.get(db, message_id)
        statuses[message_id] = message["status"]
        if message["contact_id"] != target_id:
            assert message["status"] == "sent"
            continue
        history = events.for_subject(db, "message", message_id)
        if message["status"] == "sent":
            # It was handed to the provider before the STOP: claimed before it, and the
            # provider holds it.
            [claimed] = [e for e in history if e["action"] == "message.claimed"]
            assert claimed["id"] < withdrawn["id"]
            assert message["provider_sid"] in {m["sid"] for m in fake_twilio.created}
        else:
            assert message["status"] == "cancelled"
            assert message["provider_sid"] is None
            assert "not agreed" in message["status_reason"] or "STOP" in message["status_reason"]
    target_statuses = [statuses[m] for m in batch[::2]]
    assert target_statuses.count("sent") == len(to_target)
    assert target_statuses.count("cancelled") >= 1  # the STOP landed mid-batch
    assert events.verify_chain(db)[1] is None
    db.close()
