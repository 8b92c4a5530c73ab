"""Losing the machine, for real: Litestream replicates the database while the real
dispatcher sends texts to the fake Twilio; the primary is killed (SIGKILL), the
replica is restored into a new file with `flask --app app db restore`, and the
dispatcher runs on the copy. Nothing recorded before the replication lag is lost, and
no text reaches the provider twice.

The replica is S3-compatible storage (moto's server mode on 127.0.0.1) for the kill
test, and a folder for the restore-command test.
"""
import logging
import signal
import sqlite3
import subprocess
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from app import create_app
from actions import people
from storage import events, messages, migrations, replication
from storage.connection import connect, to_db_time, utc_now, write_transaction
from tests.audit_helpers import tamper
from tests.harness.database import (add_person, file_problems, make_database,
                                    prepare_database, sent_twice_problems)
from tests.harness.delivery import PUBLIC_BASE_URL
from tests.harness.pages import add_contact, client_for, contact_id_from, post_form
from tests.harness.processes import server_environment, start_scheduler, stop_process
from tests.harness.replication import (S3Server, run_flask, start_replication,
                                       wait_until)

# Litestream ships changes every second (deploy/litestream.yml) and notices them within
# a second; on a busy 2-core machine allow one more.
LAG = timedelta(seconds=3)
CHECKPOINT_KEY = "replication-test-checkpoint-key-0123456789"


@pytest.fixture
def s3(tmp_path):
    server = S3Server(tmp_path / "s3.log")
    yield server
    server.stop()


def schedule(db, worker_id, contact_id, body, due):
    """A text stored with its `message.scheduled` event, as the compose page does."""
    with write_transaction(db):
        message_id = messages.create(
            db, contact_id=contact_id, worker_id=worker_id, template_version_id=None,
            body=body, encoding="GSM-7", characters=len(body), parts=1, warnings=[],
            scheduled_for=due)
        events.record(db, action="message.scheduled", subject_type="message",
                      subject_id=message_id, actor_type="user", actor_id=worker_id)
    return message_id


def statuses(db, ids):
    return {message_id: messages.get(db, message_id)["status"] for message_id in ids}


def unsettled(path):
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT id FROM messages WHERE status IN ('scheduled', 'sending')"
                            ).fetchall()


def body(number):
    return f"Text {number}: it makes sense you felt let down. No need to reply. Sam"


def test_killing_the_primary_loses_nothing_before_the_lag_and_texts_nobody_twice(
        tmp_path, s3, fake_twilio):
    primary_path = tmp_path / "primary" / "mend.db"
    primary_path.parent.mkdir()
    db, worker = make_database(str(primary_path))
    phones = [f"+4479112345{n:02d}" for n in range(40)]
    people_ids = [add_person(db, worker, name=f"Person {n}", phone=phone)
                  for n, phone in enumerate(phones)]
    bucket = s3.create_bucket("mend-replica")
    env = server_environment(primary_path, fake_url=fake_twilio.base_url,
                             public_base_url=PUBLIC_BASE_URL,
                             REPLICA_URL=s3.replica_url(bucket, "mend"))
    replicating = start_replication(env, tmp_path / "litestream.log")
    scheduler = start_scheduler(env, tmp_path / "scheduler.log")
    try:
        wait_until(lambda: s3.keys(bucket, "mend/"), "Litestream's first upload")
        # Texts scheduled and sent while the replica keeps up.
        acknowledged = {}  # message id -> when its scheduling was committed
        for n in range(12):
            message_id = schedule(db, worker, people_ids[n], body(n), utc_now())
            acknowledged[message_id] = utc_now()
            time.sleep(0.3)
        wait_until(lambda: set(statuses(db, acknowledged).values()) == {"sent"},
                   "the first texts to be sent")
        # One send hangs at the provider after it took the text, so the copy will
        # hold it mid-send...
        fake_twilio.fail_next({"timeout": 20, "after_create": True})
        stuck = schedule(db, worker, people_ids[12], body(12), utc_now())
        wait_until(lambda: body(12) in fake_twilio.bodies(), "the hanging send")
        # ...and two texts fall due while the replica is behind: Litestream is paused
        # (SIGSTOP), which makes the replication lag certain rather than likely.
        due_soon = utc_now() + timedelta(seconds=3.5)
        behind = [schedule(db, worker, people_ids[n], body(n), due_soon) for n in (13, 14)]
        time.sleep(2.5)  # both rows and the hanging claim reach the replica
        replicating.send_signal(signal.SIGSTOP)
        paused_at = utc_now()
        wait_until(lambda: set(statuses(db, behind).values()) == {"sent"},
                   "the texts sent while the replica was behind")
        # The machine is lost.
        scheduler.kill()
        replicating.kill()
        scheduler.wait(timeout=10)
        replicating.wait(timeout=10)
    finally:
        stop_process(scheduler, signal.SIGKILL)
        stop_process(replicating, signal.SIGKILL)
    reached_provider = [(m["to"], m["body"], m["sid"]) for m in fake_twilio.created]
    lost_file_events = list(db.query("SELECT id, at, hash FROM events ORDER BY id"))
    db.close()

    restored_path = tmp_path / "new-machine" / "mend.db"
    restored_path.parent.mkdir()
    new_env = {**env, "DATABASE_PATH": str(restored_path)}
    restore = run_flask(new_env, "db", "restore")
    assert restore.returncode == 0, restore.stdout + restore.stderr
    assert "integrity_check: ok" in restore.stdout
    assert "checked, intact." in restore.stdout
    copy = connect(restored_path)
    assert migrations.pending_migrations(copy) == []

    # Nothing recorded more than the lag before the replica stopped was lost: the
    # copy's audit chain is the lost file's, event for event, at least that far.
    copy_events = {row["id"]: row["hash"] for row in copy.query("SELECT id, hash FROM events")}
    must_have = [row for row in lost_file_events
                 if datetime.fromisoformat(row["at"]) <= paused_at - LAG]
    assert must_have and all(copy_events.get(row["id"]) == row["hash"] for row in must_have)
    assert all(messages.get(copy, message_id) for message_id, at in acknowledged.items()
               if at <= paused_at - LAG)
    # The copy is behind: the hanging send looks mid-send and the two sent while the
    # replica was paused look unsent, each now to be looked up before any send.
    lookups = {row["subject_id"]: row for row in copy.query(
        "SELECT subject_id, detail FROM events WHERE action = 'message.lookup_after_restore'")}
    assert set(lookups) >= {stuck, *behind}
    assert '"was": "sending"' in lookups[stuck]["detail"]
    assert all('"was": "scheduled"' in lookups[m]["detail"] for m in behind)

    # The dispatcher starts on the copy, on the new machine.
    scheduler = start_scheduler(new_env, tmp_path / "scheduler-after-restore.log")
    try:
        wait_until(lambda: not unsettled(restored_path), "the copy's due texts to settle",
                   patience=60)
    finally:
        stop_process(scheduler)
    after = [(m["to"], m["body"], m["sid"]) for m in fake_twilio.created]
    assert after == reached_provider, "a text reached the provider again after the restore"
    assert len({(to, text) for to, text, _ in after}) == len(after)
    assert sent_twice_problems(copy, [sid for _, _, sid in after]) == []
    settled = [row["subject_id"] for row in copy.query(
        "SELECT subject_id FROM events WHERE action = 'message.sent'"
        " AND json_extract(detail, '$.settled_by_lookup')")]
    assert set(settled) >= {stuck, *behind}
    assert file_problems(copy)[0] == []
    copy.close()


@pytest.fixture
def folder_replica(tmp_path):
    return f"file://{tmp_path / 'replica' / 'mend'}"


def restore_with(app, *args):
    return app.test_cli_runner().invoke(args=["db", "restore", *args])


def test_a_folder_replica_restores_the_newest_state_or_an_earlier_one_into_a_new_file(
        tmp_path, folder_replica):
    primary = tmp_path / "mend.db"
    ids = prepare_database(str(primary))
    config = {"TESTING": True, "SECRET_KEY": "test-secret-key", "DATABASE_PATH": str(primary),
              "REPLICA_URL": folder_replica, "AUDIT_CHECKPOINT_KEY": CHECKPOINT_KEY,
              "AUDIT_CHECKPOINT_DIR": str(tmp_path / "checkpoints")}
    env = server_environment(primary, fake_url="", public_base_url=PUBLIC_BASE_URL,
                             REPLICA_URL=folder_replica, SMS_BACKEND="console")
    replicating = start_replication(env, tmp_path / "litestream.log")
    db = connect(primary)
    try:
        contact_id = add_person(db, ids["worker"], name="Quillon Marchetti")
        replica_folder = Path(folder_replica.removeprefix("file://"))
        wait_until(lambda: any(replica_folder.rglob("*.ltx")), "the first upload")
        time.sleep(2.5)
        before_erasure = utc_now().replace(microsecond=0)
        time.sleep(1.5)
        erased = people.erase_person(db, contact_id, user_id=ids["worker"], replicated=True)
        assert erased.replicated and not erased.wal_emptied
        time.sleep(2.5)
    finally:
        stop_process(replicating)  # SIGTERM: Litestream ships the rest first
    # The machine goes on for a moment without its replica, and signs a checkpoint of
    # events the replica never got.
    for number in range(3):
        events.record(db, action="alert.raised", subject_type="alert", subject_id=number)
    app = create_app(config)
    assert app.test_cli_runner().invoke(args=["audit", "checkpoint"]).exit_code == 0
    db.close()

    test_run = restore_with(app, "--check-only", "--output", str(tmp_path / "test.db"))
    assert test_run.exit_code == 0, test_run.output
    assert "Restore test passed. Nothing was changed in" in test_run.output
    with sqlite3.connect(tmp_path / "test.db") as conn:
        assert conn.execute("SELECT count(*) FROM events WHERE action = 'database.restored'"
                            ).fetchone() == (0,)

    newest = restore_with(app, "--output", str(tmp_path / "newest.db"))
    assert newest.exit_code == 0, newest.output
    assert "integrity_check: ok" in newest.output and "Ready." in newest.output
    assert ("is ahead of this copy: the 3 newest event(s) it covered were lost with the "
            "old machine.") in newest.output
    assert b"Quillon" not in (tmp_path / "newest.db").read_bytes()  # the erasure replicated
    on_the_copy = create_app({**config, "DATABASE_PATH": str(tmp_path / "newest.db")})
    verified = on_the_copy.test_cli_runner().invoke(args=["audit", "verify"])
    assert verified.exit_code == 0, verified.output
    assert "Last good checkpoint: line 2 (restore)" in verified.output

    earlier = restore_with(app, "--timestamp", to_db_time(before_erasure),
                           "--output", str(tmp_path / "earlier.db"))
    assert earlier.exit_code == 0, earlier.output
    with sqlite3.connect(tmp_path / "earlier.db") as conn:
        assert conn.execute("SELECT preferred_name FROM contacts WHERE id = ?",
                            [contact_id]).fetchone() == ("Quillon Marchetti",)

    again = restore_with(app, "--output", str(tmp_path / "newest.db"))
    assert again.exit_code == 1
    assert f"{tmp_path / 'newest.db'} already exists. A restore never overwrites" in again.output
    too_early = restore_with(app, "--timestamp", "2001-01-01T00:00:00Z",
                             "--output", str(tmp_path / "too-early.db"))
    assert "The replica holds no state from that time" in too_early.output
    nonsense = restore_with(app, "--timestamp", "yesterday-ish")
    assert "'yesterday-ish' is not a time. Use UTC in ISO 8601" in nonsense.output
    empty = restore_with(app, "--replica", f"file://{tmp_path / 'nothing-here'}",
                         "--output", str(tmp_path / "none.db"))
    assert "holds nothing to restore" in empty.output and empty.exit_code == 1

    # The restored copy must replicate somewhere new, never back into its replica.
    back = run_flask({**env, "DATABASE_PATH": str(tmp_path / "newest.db")}, "db", "replicate",
                     timeout=60)
    assert back.returncode == 1
    assert "This database was restored from file://" in back.stderr
    assert "Replicate it to a new location" in back.stderr


def test_without_a_replica_replicate_and_restore_say_how_to_set_one(app_config, user_ids):
    app = create_app({**app_config, "REPLICA_URL": ""})
    for args in (["db", "replicate"], ["db", "restore"]):
        result = app.test_cli_runner().invoke(args=args)
        assert result.exit_code == 1
        assert "Replication is off: REPLICA_URL is not set." in result.output


def test_erasing_while_litestream_holds_the_wal_never_waits_on_a_checkpoint(
        app_config, user_ids, database_path, tmp_path, caplog):
    """Litestream keeps a read transaction open on the database. A TRUNCATE checkpoint
    would wait the whole busy timeout and empty nothing; with REPLICA_URL set, erasure
    leaves the WAL to Litestream and says nothing is wrong."""
    app = create_app({**app_config, "REPLICA_URL": f"file://{tmp_path / 'replica'}"})
    worker = client_for(app, "worker")
    contact_id = contact_id_from(add_contact(worker, name="Ottoline"))
    reader = sqlite3.connect(database_path)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM events").fetchone()  # a read lock, as Litestream holds
    try:
        with caplog.at_level(logging.INFO):
            response = post_form(worker, f"/contacts/{contact_id}/erase", {"confirm": "y"})
    finally:
        reader.rollback()
        reader.close()
    assert response.status_code == 302
    assert "could not be emptied" not in caplog.text
    db = connect(database_path)
    assert db.execute("SELECT preferred_name, erased_at IS NOT NULL FROM contacts WHERE id = ?",
                      [contact_id]).fetchone() == ("", 1)
    db.close()


def test_a_replica_whose_audit_log_was_altered_is_restored_but_not_prepared(
        tmp_path, folder_replica):
    primary = tmp_path / "mend.db"
    prepare_database(str(primary))
    tamper(str(primary), "UPDATE events SET detail = '{\"n\": 1}' WHERE id = 3")
    argv, env = replication.replicate_command(primary, folder_replica)
    once = subprocess.run([*argv, "-once"], env=env, capture_output=True, text=True, timeout=60)
    assert once.returncode == 0, once.stderr
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret-key",
                      "DATABASE_PATH": str(primary), "REPLICA_URL": folder_replica})

    result = restore_with(app, "--output", str(tmp_path / "new.db"))
    assert result.exit_code == 1
    assert ("The copy is NOT ready to run: The audit log in the copy does not check out: "
            "event 3 was altered") in result.output
    assert "nothing was changed in it" in result.output
    with sqlite3.connect(tmp_path / "new.db") as conn:
        assert conn.execute("SELECT count(*) FROM events WHERE action = 'database.restored'"
                            ).fetchone() == (0,)


def test_a_restore_test_never_lands_where_the_services_would_start_on_it(tmp_path):
    """On a fresh machine a real restore goes to DATABASE_PATH; a --check-only copy is
    left unprepared (no texts marked for a look-up), so it goes beside it instead."""
    from commands.db import default_output
    database_path = tmp_path / "mend.db"
    assert default_output(database_path) == database_path
    assert default_output(database_path, check_only=True) != database_path
    assert default_output(database_path, check_only=True).parent == tmp_path
