"""Retention: after RETENTION_DAYS the words of texts and replies are removed,
and everything an audit needs (ids, times, statuses, versions, consent) stays."""
from datetime import timedelta

import pytest
import time_machine
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

import settings
from scheduler.runner import Ticker, add_jobs
from storage import events
from tests.audit_helpers import dispatch, new_contact, place_reply, place_text, send_text, utc
from tests.harness.pages import client_for

SENT_ON = utc(2026, 1, 10, 12)
STATUS_COLUMNS = ("id, contact_id, worker_id, template_version_id, status, scheduled_for,"
                  " sent_at, created_at, parts")


@pytest.fixture
def old_and_new(worker, db, user_ids):
    """A year-old text and reply, a recent text, and an old text still scheduled."""
    alex = new_contact(worker, "Alex", "07911 123456")
    ids = {
        "old": place_text(db, contact_id=alex, worker_id=user_ids["worker"], when=SENT_ON,
                          body="Hi Alex, thinking of you."),
        "recent": place_text(db, contact_id=alex, worker_id=user_ids["worker"],
                             when=SENT_ON + timedelta(days=300), body="Hi Alex, still here."),
        "stuck": place_text(db, contact_id=alex, worker_id=user_ids["worker"],
                            when=SENT_ON, status="scheduled", body="Hi Alex, not gone yet."),
        "old_reply": place_reply(db, contact_id=alex, when=SENT_ON + timedelta(hours=2),
                                 body="thanks, I'm at my sister's"),
        "recent_reply": place_reply(db, contact_id=alex, when=SENT_ON + timedelta(days=301),
                                    body="see you friday"),
    }
    return alex, ids


def body_of(db, table, row_id):
    return db.execute(f"SELECT body FROM {table} WHERE id = ?", [row_id]).fetchone()[0]


def run_retention(app):
    return app.test_cli_runner().invoke(args=["retention", "run"])


def test_words_older_than_the_retention_period_are_removed_and_the_rest_kept(
        app, db, old_and_new):
    alex, ids = old_and_new
    before = {row["id"]: row for row in db.query(f"SELECT {STATUS_COLUMNS} FROM messages")}
    consents_before = list(db.query("SELECT * FROM consents"))
    with time_machine.travel(SENT_ON + timedelta(days=366), tick=False):
        result = run_retention(app)
    assert result.exit_code == 0, result.output
    assert ("Removed the words of 1 text(s) and 1 repl(ies) older than 365 days "
            "(before 2026-01-11T12:00:00+00:00).") in result.output
    assert body_of(db, "messages", ids["old"]) == "[removed after 365 days]"
    assert body_of(db, "inbound_messages", ids["old_reply"]) == "[removed after 365 days]"
    assert body_of(db, "messages", ids["recent"]) == "Hi Alex, still here."
    assert body_of(db, "messages", ids["stuck"]) == "Hi Alex, not gone yet."
    assert body_of(db, "inbound_messages", ids["recent_reply"]) == "see you friday"
    after = {row["id"]: row for row in db.query(f"SELECT {STATUS_COLUMNS} FROM messages")}
    assert after == before
    assert list(db.query("SELECT * FROM consents")) == consents_before


def test_removed_words_can_no_longer_be_found_by_search(app, reviewer, db, old_and_new):
    _, ids = old_and_new
    assert f"/audit/messages/{ids['old']}" in reviewer.get("/audit/history?q=thinking").text
    with time_machine.travel(SENT_ON + timedelta(days=366), tick=False):
        run_retention(app)
    page = reviewer.get("/audit/history?q=thinking").text
    assert "No texts match these filters." in page
    assert f"/audit/messages/{ids['old']}" in reviewer.get("/audit/history?status=sent").text


def test_each_run_is_an_audit_event_and_the_chain_still_verifies(app, db, old_and_new):
    with time_machine.travel(SENT_ON + timedelta(days=366), tick=False):
        run_retention(app)
        run_retention(app)
    runs = [events.decode(row) for row in db.query(
        "SELECT * FROM events WHERE action = 'retention.run' ORDER BY id")]
    assert [(run["detail"]["messages"], run["detail"]["replies"]) for run in runs] == [
        (1, 1), (0, 0)]
    assert runs[0]["detail"]["retention_days"] == 365
    assert app.test_cli_runner().invoke(args=["audit", "verify"]).exit_code == 0


def test_the_retention_period_comes_from_the_setting(app, db, old_and_new):
    _, ids = old_and_new
    app.config["RETENTION_DAYS"] = 30
    with time_machine.travel(SENT_ON + timedelta(days=31), tick=False):
        run_retention(app)
    assert body_of(db, "messages", ids["old"]) == "[removed after 30 days]"
    assert body_of(db, "messages", ids["recent"]) == "Hi Alex, still here."


def test_the_scheduler_runs_retention_every_day_at_half_past_three(app, db, old_and_new):
    _, ids = old_and_new
    scheduler = BackgroundScheduler(timezone="UTC")
    add_jobs(scheduler, Ticker(app.config), app.config)
    job = scheduler.get_job("retention")
    assert isinstance(job.trigger, CronTrigger)
    assert str(job.trigger) == "cron[hour='3', minute='30']"
    assert str(job.trigger.timezone) == "Europe/London"
    with time_machine.travel(SENT_ON + timedelta(days=366), tick=False):
        job.func()
    assert body_of(db, "messages", ids["old"]) == "[removed after 365 days]"


@pytest.mark.parametrize("value, message", [
    ("0", "RETENTION_DAYS must be a number of days from 1 to 36500, not 0."),
    ("a year", "RETENTION_DAYS must be a whole number, not 'a year'."),
])
def test_a_bad_retention_setting_stops_the_app_with_a_clear_message(tmp_path, value, message):
    with pytest.raises(settings.SettingsError) as error:
        config = settings.from_environment(str(tmp_path), {"RETENTION_DAYS": value,
                                                           "SECRET_KEY": "x"})
        settings.validate(config)
    assert str(error.value) == message


def test_the_personal_line_a_worker_typed_is_removed_with_the_words(app, db):
    with time_machine.travel(SENT_ON, tick=False):
        worker = client_for(app, "worker")
        alex = new_contact(worker, "Alex", "07911 123456")
        message_id = send_text(worker, db, alex, personal="Say hi to your sister for me.")
        dispatch(db)
    stored = db.execute("SELECT body, template_fields FROM messages WHERE id = ?",
                        [message_id]).fetchone()
    assert "sister" in stored[0] and "sister" in stored[1]
    with time_machine.travel(SENT_ON + timedelta(days=366), tick=False):
        run_retention(app)
    assert db.execute("SELECT body, template_fields, status FROM messages WHERE id = ?",
                      [message_id]).fetchone() == ("[removed after 365 days]", "{}", "sent")
