"""Signed audit checkpoints prove the record to its end: deleting the newest events, or
rebuilding the chain from scratch with fresh hashes (both invisible to the chain
alone), make `audit verify` fail and name the last good checkpoint."""
import json
import logging
import sqlite3

import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from app import create_app
from scheduler import runner
from scheduler.jobs import CheckpointJob
from settings import SettingsError, from_environment, validate
from storage import checkpoints, events
from storage.events import GENESIS_HASH, event_hash
from tests.audit_helpers import tamper

KEY = "k" * 16 + "0123456789abcdef0123"


@pytest.fixture
def checkpoint_dir(tmp_path):
    return tmp_path / "beside-the-replica" / "checkpoints"


@pytest.fixture
def app_config(app_config, checkpoint_dir):
    return {**app_config, "AUDIT_CHECKPOINT_KEY": KEY,
            "AUDIT_CHECKPOINT_DIR": str(checkpoint_dir)}


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def add_events(db, how_many):
    for number in range(how_many):
        events.record(db, action="alert.raised", subject_type="alert", subject_id=number,
                      detail={"n": number})
    return events.count(db)


def sign(app):
    result = run(app, "audit", "checkpoint")
    assert result.exit_code == 0, result.output
    return result


def lines(checkpoint_dir):
    return [json.loads(line) for line in
            checkpoints.file_in(checkpoint_dir).read_text().splitlines()]


def rebuild_chain(database_path, *statements):
    """What someone with the file and the code (but not the key) can do: change the
    events, then recompute every hash from the first event so the chain checks out."""
    conn = sqlite3.connect(database_path)
    conn.row_factory = sqlite3.Row
    triggers = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
                            " AND tbl_name = 'events'").fetchall()
    for trigger in triggers:
        conn.execute(f"DROP TRIGGER {trigger['name']}")
    for statement in statements:
        conn.execute(statement)
    prev = GENESIS_HASH
    for row in conn.execute("SELECT * FROM events ORDER BY id").fetchall():
        new_hash = event_hash(dict(row), prev)
        conn.execute("UPDATE events SET prev_hash = ?, hash = ? WHERE id = ?",
                     [prev, new_hash, row["id"]])
        prev = new_hash
    for trigger in triggers:
        conn.execute(trigger["sql"])
    conn.commit()
    conn.close()


def test_a_checkpoint_signs_the_head_outside_the_database_and_verify_names_it(
        app, db, checkpoint_dir, caplog):
    count = add_events(db, 3)
    with caplog.at_level(logging.INFO, logger="mend.audit"):
        result = sign(app)
    [line] = lines(checkpoint_dir)
    head = checkpoints.chain_head(db)
    assert (line["count"], line["head_hash"], line["kind"]) == (count, head[1], "manual")
    assert line["key_id"] == checkpoints.key_id(KEY) and KEY not in json.dumps(line)
    assert "Signed checkpoint: line 1 (manual)" in result.output
    assert f"audit checkpoint (manual): {count} event(s), head {head[1]}" in caplog.text
    verified = run(app, "audit", "verify")
    assert verified.exit_code == 0, verified.output
    assert f"Last good checkpoint: line 1 (manual), signed {line['at']}: {count} event(s)" \
        in verified.output


def test_deleting_the_newest_events_fails_verify_and_names_the_last_good_checkpoint(
        app, db, database_path):
    first = add_events(db, 3)
    sign(app)
    second = add_events(db, 4)
    sign(app)
    assert events.verify_chain(db) == (second, None)
    tamper(database_path, f"DELETE FROM events WHERE id > {second - 2}")
    assert events.verify_chain(db) == (second - 2, None)  # the chain alone cannot tell

    result = run(app, "audit", "verify")
    assert result.exit_code == 1
    assert ("The newest events were deleted: the checkpoint on line 2 (manual)" in result.output
            and f"covered {second} event(s), and the log now holds {second - 2}."
            in result.output)
    assert "Last good checkpoint: line 1 (manual)" in result.output
    assert f": {first} event(s)" in result.output


@pytest.mark.parametrize("statements", [
    ["UPDATE events SET detail = '{\"n\": 99}' WHERE id = 2"],
    ["DELETE FROM events WHERE id > 3"],
    ["DELETE FROM events"],
], ids=["one event rewritten", "the tail replaced", "every event replaced"])
def test_a_chain_rebuilt_from_scratch_fails_verify(app, db, database_path, statements):
    signed = add_events(db, 3)
    sign(app)
    add_events(db, 2)
    rebuild_chain(database_path, *statements)
    # Whatever was left, grow it back past the checkpoint with fresh, valid events.
    add_events(db, signed + 5 - events.count(db))
    assert events.verify_chain(db)[1] is None  # a rebuilt chain checks out on its own

    result = run(app, "audit", "verify")
    assert result.exit_code == 1
    assert "The log was rebuilt or altered: event" in result.output
    assert "is not the one signed on line 1 (manual)" in result.output
    assert "No good checkpoint yet" in result.output


def test_since_checkpoint_checks_only_the_events_after_the_last_good_checkpoint(
        app, db, database_path):
    at_checkpoint = add_events(db, 5)
    sign(app)
    total = add_events(db, 3)
    result = run(app, "audit", "verify", "--since-checkpoint")
    assert result.exit_code == 0, result.output
    assert (f"The audit log is intact: {total - at_checkpoint} event(s) after the checkpoint "
            f"at event {at_checkpoint} checked ({total} in all).") in result.output

    tamper(database_path, f"UPDATE events SET detail = '{{}}' WHERE id = {total - 1}")
    result = run(app, "audit", "verify", "--since-checkpoint")
    assert result.exit_code == 1
    assert f"event {total - 1} was altered" in result.output


def test_since_checkpoint_after_a_deleted_tail_starts_from_the_last_good_one(
        app, db, database_path):
    first = add_events(db, 2)
    sign(app)
    second = add_events(db, 2)
    sign(app)
    tamper(database_path, f"DELETE FROM events WHERE id = {second}")
    result = run(app, "audit", "verify", "--since-checkpoint")
    assert result.exit_code == 1
    assert "The newest events were deleted: the checkpoint on line 2" in result.output
    assert f"{second - 1 - first} event(s) after the checkpoint at event {first}" in result.output


def test_an_edited_or_forged_checkpoint_is_reported(app, db, checkpoint_dir):
    add_events(db, 2)
    sign(app)
    path = checkpoints.file_in(checkpoint_dir)
    [line] = lines(checkpoint_dir)
    forged = {**line, "count": line["count"] - 1}
    path.write_text(json.dumps(line) + "\n" + json.dumps(forged) + "\nnot json\n")
    result = run(app, "audit", "verify")
    assert result.exit_code == 1
    assert ("The checkpoint on line 2 does not carry a valid signature: it was altered or "
            "forged.") in result.output
    assert f"Line 3 of {path} cannot be read" in result.output


def test_checkpoints_signed_with_another_key_are_set_aside_not_failed(
        app_config, user_ids, checkpoint_dir, db):
    add_events(db, 1)
    sign(create_app({**app_config, "AUDIT_CHECKPOINT_KEY": "another-key-" + "x" * 30}))
    result = run(create_app(app_config), "audit", "verify")
    assert result.exit_code == 0, result.output
    assert "1 checkpoint(s) were signed with another key and were not checked" in result.output


def test_a_broken_chain_is_never_signed(app, db, database_path, checkpoint_dir):
    add_events(db, 3)
    tamper(database_path, "UPDATE events SET detail = '{}' WHERE id = 2")
    result = run(app, "audit", "checkpoint")
    assert result.exit_code == 1
    assert "Not signed: event 2 was altered" in result.output
    assert not checkpoints.file_in(checkpoint_dir).exists()


def test_every_export_signs_a_checkpoint_after_its_own_event(app, db, reviewer, checkpoint_dir):
    sign(app)  # exports sign on from a first checkpoint (the scheduler's, in production)
    response = reviewer.get("/audit/history.csv")
    assert response.status_code == 200
    response.get_data()
    result = run(app, "audit", "export")
    assert result.exit_code == 0
    exports = [line for line in lines(checkpoint_dir) if line["kind"] == "export"]
    assert len(exports) == 2
    last_export = db.execute("SELECT max(id) FROM events WHERE action = 'audit.exported'"
                             ).fetchone()[0]
    assert exports[-1]["count"] == last_export  # the head includes the export itself


def test_the_scheduler_signs_at_intervals_and_only_a_changed_head(app, db, checkpoint_dir):
    scheduler = BackgroundScheduler(timezone="UTC")
    runner.add_jobs(scheduler, ticker=lambda: None, config=app.config)
    job = scheduler.get_job("audit_checkpoint")
    assert job is not None and job.trigger.interval.total_seconds() == 60 * 60

    CheckpointJob(app.config)()
    CheckpointJob(app.config)()  # nothing new happened: nothing new to sign
    add_events(db, 1)
    CheckpointJob(app.config)()
    assert [line["kind"] for line in lines(checkpoint_dir)] == ["interval", "interval"]


def test_no_key_no_checkpoint_job_and_verify_says_checkpoints_are_off(
        app_config, user_ids, tmp_path):
    app = create_app({**app_config, "AUDIT_CHECKPOINT_KEY": ""})
    scheduler = BackgroundScheduler(timezone="UTC")
    runner.add_jobs(scheduler, ticker=lambda: None, config=app.config)
    assert scheduler.get_job("audit_checkpoint") is None
    result = run(app, "audit", "verify")
    assert result.exit_code == 0
    assert "Checkpoints are off (AUDIT_CHECKPOINT_KEY is not set)" in result.output
    refused = run(app, "audit", "verify", "--since-checkpoint")
    assert refused.exit_code == 1
    assert "--since-checkpoint needs AUDIT_CHECKPOINT_KEY" in refused.output


def test_a_short_checkpoint_key_is_refused_with_how_to_make_one(tmp_path):
    config = from_environment(tmp_path, {"AUDIT_CHECKPOINT_KEY": "short"})
    with pytest.raises(SettingsError, match="AUDIT_CHECKPOINT_KEY is too short .* at least 32"):
        validate(config, serving=False)
