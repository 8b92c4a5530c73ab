"""Crash safety, for real: `flask --app app scheduler run` in a subprocess, killed with
SIGKILL mid-batch, restarted, stopped with SIGTERM mid-batch, restarted again.

Whatever happens, no text reaches the provider twice, and nothing is left `sending`.
After the kill, a text claimed but never sent goes back to the queue, one whose send
had started is looked up at the provider, and only one the look-up could not settle
(here the provider's list fails once) is left `unknown` for a person.
"""
import signal
from collections import Counter
from datetime import timedelta

from storage import events, messages
from storage.connection import connect, utc_now
from tests.harness import processes
from tests.harness.database import add_message, add_person, make_database
from tests.harness.delivery import PUBLIC_BASE_URL

MESSAGES = 500
CONCURRENCY = 8
PATIENCE = 120  # seconds; generous for a loaded CI machine, never reached when all is well


def start_scheduler(database_path, fake, log_path):
    env = processes.server_environment(database_path, fake_url=fake.base_url,
                                       public_base_url=PUBLIC_BASE_URL,
                                       SEND_CONCURRENCY=str(CONCURRENCY))
    return processes.start_scheduler(env, log_path)


def wait_for(condition, what, process, log_path):
    processes.wait_for(condition, what, process, log_path, patience=PATIENCE)


def statuses(database_path):
    db = connect(database_path)
    try:
        return Counter(row["status"] for row in db.query("SELECT status FROM messages"))
    finally:
        db.close()


def test_killed_and_restarted_the_scheduler_never_sends_a_text_twice(tmp_path, fake_twilio):
    fake_twilio.latency = 0.05
    database_path = str(tmp_path / "mend.db")
    log_path = tmp_path / "scheduler.log"
    db, worker_id = make_database(database_path)
    contact_ids = [add_person(db, worker_id, phone=f"+4479111{n:05d}", name=f"Person {n}")
                   for n in range(10)]
    due = utc_now() - timedelta(minutes=1)
    ids = [add_message(db, worker_id, contact_ids[n % 10], body=f"Crash test text {n}",
                       due=due) for n in range(MESSAGES)]
    db.close()

    # 1. SIGKILL mid-batch, while sends are in flight at the provider.
    first = start_scheduler(database_path, fake_twilio, log_path)
    wait_for(lambda: len(fake_twilio.created) >= 150 and fake_twilio.in_flight >= 1,
             "150 sends and one in flight", first, log_path)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    left = sending_rows(database_path)
    started = [row["id"] for row in left if row["send_started_at"]]
    assert len(left) <= 3 * CONCURRENCY  # claimed a few at a time, not the whole batch
    assert started, "no send was in flight when the dispatcher was killed"
    # The first look-up after the restart fails: that text cannot be settled.
    fake_twilio.fail_next_list({"status": 500})

    # 2. Restart; SIGTERM mid-batch: in-flight sends finish, the rest go back.
    second = start_scheduler(database_path, fake_twilio, log_path)
    wait_for(lambda: len(fake_twilio.created) >= 300, "300 sends", second, log_path)
    second.send_signal(signal.SIGTERM)
    assert second.wait(timeout=PATIENCE) == 0
    after_sigterm = statuses(database_path)
    assert after_sigterm["sending"] == 0
    assert after_sigterm["scheduled"] > 0

    # 3. Restart and let it finish.
    third = start_scheduler(database_path, fake_twilio, log_path)
    wait_for(lambda: not {"scheduled", "sending"} & set(statuses(database_path)),
             "every text", third, log_path)
    third.send_signal(signal.SIGTERM)
    assert third.wait(timeout=PATIENCE) == 0

    received = Counter(fake_twilio.bodies())
    assert max(received.values()) == 1, "a text reached the provider twice"
    final = statuses(database_path)
    assert set(final) <= {"sent", "unknown"}
    db = connect(database_path)
    unknown = messages.ids_with_status(db, "unknown")
    assert unknown == started[:1]  # only the started send whose look-up failed
    sids = {m["sid"] for m in fake_twilio.created}
    for message_id in ids:
        message = messages.get(db, message_id)
        if message["status"] == "sent":
            assert message["provider_sid"] in sids
            assert received[message["body"]] == 1
    for row in left:  # what the kill left mid-send, settled without a second send
        actions = [e["action"] for e in events.for_subject(db, "message", row["id"])]
        if row["send_started_at"] is None:
            assert "message.released" in actions
        elif row["id"] not in unknown:
            assert messages.get(db, row["id"])["status"] == "sent"
    assert events.verify_chain(db)[1] is None  # the audit log survived the kill intact
    db.close()
    output = log_path.read_text()
    assert "left mid-send by a stopped dispatcher" in output
    assert "Stopping: finishing the sends in flight, claiming no more." in output
    assert "+44791" not in output and "Crash test text" not in output


def sending_rows(database_path):
    db = connect(database_path)
    try:
        return list(db.query("SELECT id, send_started_at FROM messages"
                             " WHERE status = 'sending' ORDER BY id"))
    finally:
        db.close()


def test_a_text_an_older_release_left_sending_is_looked_up_not_resent_after_the_upgrade(tmp_path):
    """m040 added `send_started_at`; a text an older release left mid-send may have
    reached the provider, so after the upgrade it counts as started: recovery looks it up
    (here the look-up cannot be made, so it waits for a person) and never resends it."""
    from scheduler.dispatcher import mark_abandoned_sends
    from storage import migrations
    from tests.harness.database import database_before

    db = database_before(
        str(tmp_path / "old.db"), "m040_send_started",
        "INSERT INTO users (email, name, role, password_hash, active, created_at)"
        " VALUES ('sam@example.org', 'Sam', 'worker', 'x', 1, '2026-11-01T10:00:00+00:00')",
        "INSERT INTO contacts (preferred_name, phone, key_worker_id, created_at,"
        " created_by) VALUES ('Alex', '+447911123456', 1, '2026-11-01T10:00:00+00:00', 1)",
        "INSERT INTO messages (contact_id, worker_id, body, encoding, characters, parts,"
        " status, scheduled_for, created_at, updated_at, claimed_at, attempts) VALUES"
        " (1, 1, 'Hi Alex', 'GSM-7', 7, 1, 'sending', '2026-11-30T10:00:00+00:00',"
        " '2026-11-30T09:00:00+00:00', '2026-11-30T10:00:01+00:00',"
        " '2026-11-30T10:00:01+00:00', 1)")
    migrations.upgrade(db)
    [row] = db.query("SELECT status, send_started_at FROM messages")
    assert row == {"status": "sending", "send_started_at": "2026-11-30T10:00:01+00:00"}
    mark_abandoned_sends(db)  # no gateway: the provider cannot be asked
    assert [r["status"] for r in db.query("SELECT status FROM messages")] == ["unknown"]
    db.close()
