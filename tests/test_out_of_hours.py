"""The out-of-hours auto-reply: one reviewed text when a reply arrives while the service
is closed; never to a keyword, an unknown number or someone who has not agreed; at most
one per person in 24 hours; an ordinary text in the thread and the audit log."""
from datetime import datetime, timedelta, timezone

import pytest
import time_machine

from actions import templates as template_workflows
from scheduler.dispatcher import dispatch_due
from sms.library import read_library
from storage import events, messages, sms_templates
from tests.harness.database import ROOT, add_person
from tests.harness.delivery import settings
from tests.harness.twilio_signing import TEST_AUTH_TOKEN, TEST_PUBLIC_BASE_URL, post_signed
from tests.test_inbound_webhook import visible_text

SATURDAY_11 = datetime(2026, 11, 28, 11, 0, tzinfo=timezone.utc)
MONDAY_10 = datetime(2026, 11, 30, 10, 0, tzinfo=timezone.utc)
ALEX = "+447911123456"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "TWILIO_AUTH_TOKEN": TEST_AUTH_TOKEN,
            "PUBLIC_BASE_URL": TEST_PUBLIC_BASE_URL, "TIMEZONE": "UTC",
            "WORKING_HOURS": "Mon-Fri 09:00-17:00", "OUT_OF_HOURS_REPLY": True}


@pytest.fixture
def alex(db, user_ids):
    return add_person(db, user_ids["worker"])


def text_at(client, moment, body, sid, from_number=ALEX):
    with time_machine.travel(moment, tick=False):
        return post_signed(client, "/webhooks/twilio/inbound", {
            "MessageSid": f"SM{sid:032x}", "AccountSid": "AC" + "0" * 32,
            "From": from_number, "To": "+447400123456", "Body": body})


def auto_replies(db):
    return list(db.query("SELECT * FROM messages WHERE purpose = 'out_of_hours' ORDER BY id"))


def test_a_reply_on_saturday_gets_one_reviewed_auto_reply_in_the_thread(
        client, worker, db, alex):
    assert text_at(client, SATURDAY_11, "Are you there?", 1).status_code == 200
    [reply] = auto_replies(db)
    assert reply["body"] == (
        "Hi Alex, it's Sam. This is an automatic reply: thanks for your text. We're not in "
        "right now; I'll read it when we're back. To talk to someone now, Samaritans "
        "are free on 116 123 any time. Or text SHOUT to 85258.")
    assert (reply["status"], reply["scheduled_for"]) == ("scheduled", "2026-11-28T11:00:00+00:00")
    scheduled = events.for_subject(db, "message", reply["id"])[0]
    assert (scheduled["action"], scheduled["actor_type"], scheduled["detail"]["purpose"],
            scheduled["detail"]["template_id"]) == (
        "message.scheduled", "system", "out_of_hours", "out-of-hours-reply")
    page = visible_text(worker.get(f"/contacts/{alex}").get_data(as_text=True))
    assert "Automatic reply out of hours" in page


def test_the_auto_reply_is_sent_by_the_dispatcher_like_any_text(client, db, alex,
                                                                 fake_twilio, gateway):
    text_at(client, SATURDAY_11, "Are you there?", 1)
    dispatch_due(db, gateway, SATURDAY_11, settings(zone="UTC"))
    assert [message["body"][:20] for message in fake_twilio.created] == ["Hi Alex, it's Sam. T"]
    assert auto_replies(db)[0]["status"] == "sent"


def test_at_most_one_auto_reply_per_person_in_24_hours(client, db, alex):
    text_at(client, SATURDAY_11, "Are you there?", 1)
    text_at(client, SATURDAY_11 + timedelta(hours=3), "Hello?", 2)
    assert len(auto_replies(db)) == 1
    text_at(client, SATURDAY_11 + timedelta(hours=25), "Still nobody?", 3)
    assert len(auto_replies(db)) == 2


@pytest.mark.parametrize("body", ["STOP", "start", "HELP", "info", "Unsubscribe"])
def test_never_to_a_keyword(client, db, alex, body):
    text_at(client, SATURDAY_11, body, 1)
    assert auto_replies(db) == []


@pytest.mark.parametrize("body", ["Leave me alone", "wrong number", "stop texting me"])
def test_never_to_a_text_that_may_be_asking_mend_to_stop(client, db, alex, body):
    """Someone who writes "leave me alone" gets no automatic text back, out of hours."""
    assert text_at(client, SATURDAY_11, body, 1).status_code == 200
    assert auto_replies(db) == []


def test_never_to_an_unknown_number(client, db, alex):
    text_at(client, SATURDAY_11, "Who is this?", 1, from_number="+447922654321")
    assert auto_replies(db) == []


@pytest.mark.parametrize("consent", ["pending", "withdrawn"])
def test_never_to_someone_who_has_not_agreed_to_texts(client, db, user_ids, consent):
    add_person(db, user_ids["worker"], consent=consent)
    text_at(client, SATURDAY_11, "Hi", 1)
    assert auto_replies(db) == []


def test_none_in_working_hours(client, db, alex):
    text_at(client, MONDAY_10, "Are you there?", 1)
    assert auto_replies(db) == []


def test_none_when_it_could_only_go_after_the_team_is_back(client, app, db, user_ids):
    """Their safe hours start at 10:00; a text on Sunday night could go no sooner than
    Monday 10:00, after the team is in at 09:00, so a person answers instead."""
    add_person(db, user_ids["worker"], safe_hours="10:00-18:00")
    text_at(client, datetime(2026, 11, 29, 22, 0, tzinfo=timezone.utc), "Hi", 1)
    assert auto_replies(db) == []


def test_it_waits_for_their_safe_hours_when_those_come_before_the_team(
        client, db, user_ids):
    add_person(db, user_ids["worker"], safe_hours="10:00-18:00")
    text_at(client, datetime(2026, 11, 28, 7, 0, tzinfo=timezone.utc), "Hi", 1)
    assert auto_replies(db)[0]["scheduled_for"] == "2026-11-28T10:00:00+00:00"


def test_off_by_default(app_config):
    import settings
    assert settings.DEFAULTS["OUT_OF_HOURS_REPLY"] == "0"
    assert settings.from_environment("/tmp", environ={})["OUT_OF_HOURS_REPLY"] is False


def test_switched_off_nothing_is_sent(client, app, db, alex):
    app.config["OUT_OF_HOURS_REPLY"] = False
    text_at(client, SATURDAY_11, "Are you there?", 1)
    assert auto_replies(db) == []


def test_the_template_is_not_offered_on_the_compose_page(worker, db, alex):
    page = worker.get(f"/compose/?contact={alex}").get_data(as_text=True)
    assert "automatic reply" not in page
    assert "moving on from my role" not in page


def test_turning_it_on_without_working_hours_is_refused_with_a_reason():
    import settings
    config = settings.from_environment("/tmp", environ={"OUT_OF_HOURS_REPLY": "1",
                                                        "SECRET_KEY": "x"})
    with pytest.raises(settings.SettingsError, match="WORKING_HOURS is not set"):
        settings.validate(config)


def test_a_retry_of_the_same_webhook_makes_no_second_auto_reply(client, db, alex):
    text_at(client, SATURDAY_11, "Are you there?", 1)
    text_at(client, SATURDAY_11, "Are you there?", 1)
    assert len(auto_replies(db)) == 1
    assert len(messages.for_contact(db, alex)) == 1


def test_the_auto_reply_goes_in_their_language_once_a_fluent_reviewer_approved_it(
        client, db, user_ids, alex):
    """A Welsh reply gets the Welsh auto-reply; until a reviewer who reads Welsh has
    approved it, the English one goes and the audit event says so."""
    db.execute("UPDATE contacts SET language = 'cy' WHERE id = ?", [alex])
    text_at(client, SATURDAY_11, "Helo?", 1)
    [english] = auto_replies(db)
    assert english["body"].startswith("Hi Alex, it's Sam.")
    assert events.for_subject(db, "message", english["id"])[0]["detail"]["language"] == "en"

    welsh_files = [t for t in read_library(ROOT / "templates_sms")[0]
                   if t["id"] == "out-of-hours-reply" and t["language"] == "cy"]
    template_workflows.load_library(db, welsh_files)
    db.execute("UPDATE users SET languages = 'en,cy' WHERE id = ?", [user_ids["reviewer"]])
    draft = sms_templates.pending_draft(db, "out-of-hours-reply", "cy")
    assert template_workflows.review_version(db, draft, status="approved", note="Darllenais.",
                                             reviewer_id=user_ids["reviewer"],
                                             reviewer_name="Rita Reviewer")
    text_at(client, SATURDAY_11 + timedelta(hours=25), "Helo eto?", 2)
    welsh = auto_replies(db)[-1]
    assert welsh["body"].startswith("Helo Alex") and welsh["language"] == "cy"
    assert "automatic reply" not in welsh["body"]
