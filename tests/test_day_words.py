"""A text never names a day that may be wrong: `{day}` is written by Mend from when the
thing happened and when the text arrives, again whenever the time changes, and the
dispatcher never sends it on another day than the one its words were written for."""
from datetime import date, datetime, timedelta, timezone

import pytest
import time_machine

from actions import templates as template_workflows
from actions.repairs import start_repair
from scheduler.dispatcher import dispatch_due
from sms import send_window
from sms.days import HappensLater, day_phrase
from sms.library import body_findings
from storage import messages
from tests.harness.database import add_message, add_person
from tests.harness.delivery import settings
from tests.harness.pages import add_contact, client_for, contact_id_from, post_form
from tests.test_compose import compose, schedule_text

LONDON = "Europe/London"
DAY_BODY = ("Hi {name}, it's {worker}. I got something wrong when we met {day}, and I'm "
            "sorry. {personal} No need to reply.")


def utc(*parts):
    return datetime(*parts, tzinfo=timezone.utc)


# --- the words, on the service's clock -------------------------------------------

@pytest.mark.parametrize("happened, arrives, words", [
    # the same evening, and just after midnight: the date on the clock decides
    (utc(2026, 12, 1, 23, 30), utc(2026, 12, 1, 23, 50), "today"),
    (utc(2026, 12, 1, 23, 30), utc(2026, 12, 2, 0, 10), "yesterday"),
    (utc(2026, 12, 2, 0, 5), utc(2026, 12, 2, 23, 55), "today"),
    # in summer time, 00:30 in London is 23:30 the day before in UTC: London's date counts
    (utc(2026, 7, 13, 23, 30), utc(2026, 7, 14, 10, 0), "today"),
    # the clocks go back (25 October 2026): 24 h 45 min later is still only "yesterday"
    (utc(2026, 10, 24, 22, 30), utc(2026, 10, 25, 23, 15), "yesterday"),
    # the clocks go forward (28 March 2027): 23 h 15 min later is already the next day
    (utc(2027, 3, 27, 23, 30), utc(2027, 3, 28, 22, 45), "yesterday"),
    (utc(2026, 11, 29, 15, 0), utc(2026, 12, 1, 9, 0), "on Sunday"),
    (utc(2026, 11, 25, 15, 0), utc(2026, 12, 1, 9, 0), "on Wednesday"),
    (utc(2026, 11, 24, 15, 0), utc(2026, 12, 1, 9, 0), "on Tuesday 24 November"),
    (utc(2026, 12, 29, 15, 0), utc(2027, 1, 6, 9, 0), "on Tuesday 29 December 2026"),
])
def test_the_day_is_written_from_the_dates_on_the_services_clock(happened, arrives, words):
    assert day_phrase(happened, arrives, LONDON) == words


def test_a_day_after_the_text_arrives_is_refused():
    with pytest.raises(HappensLater):
        day_phrase(date(2026, 12, 2), utc(2026, 12, 1, 12, 0), LONDON)


@pytest.mark.parametrize("language, words", [
    ("en", ["today", "yesterday", "on Tuesday", "on Tuesday 24 November"]),
    ("cy", ["heddiw", "ddoe", "ddydd Mawrth", "ddydd Mawrth 24 Tachwedd"]),
    ("pl", ["dzisiaj", "wczoraj", "we wtorek", "we wtorek 24 listopada"]),
])
def test_the_day_is_written_in_the_texts_language(language, words):
    arrives = utc(2026, 12, 3, 10, 0)  # a Thursday
    assert [day_phrase(arrives - timedelta(days=back), arrives, LONDON, language)
            for back in (0, 1, 2, 9)] == words


# --- templates ------------------------------------------------------------------

def test_a_template_may_let_mend_write_the_day_but_not_name_one_itself():
    assert body_findings(DAY_BODY, service_name="Riverside Outreach") == []
    named = body_findings(DAY_BODY.replace("{day}", "today"), service_name="Riverside Outreach")
    assert [finding.code for finding in named] == ["names-a-day"]
    assert "{day} for when it happened" in named[0].message


# --- compose: the preview shows the words as they will arrive -----------------------

@pytest.fixture
def day_version(db, user_ids):
    """A template using {day}, written by one reviewer and approved by another."""
    proposed = template_workflows.propose_version(db, {
        "title": "I got it wrong (says when)", "situation": "i-got-it-wrong",
        "strategy": "own my part", "when_to_use": "You got something wrong.",
        "body": DAY_BODY, "notes": "Mend writes the day."},
        author_id=user_ids["reviewer"])
    version = next(v for v in template_workflows.sms_templates.versions_of(
        db, proposed.template_id))
    template_workflows.review_version(db, version, status="approved", note="Reads well.",
                                      reviewer_id=user_ids["second_reviewer"],
                                      reviewer_name="Ravi Reviewer")
    return version["id"]


TUESDAY_EVENING = utc(2026, 12, 1, 17, 0)  # Tuesday 1 December, 17:00 in London


@pytest.mark.parametrize("when, send_at_local, words", [
    ("now", "", "when we met today"),
    ("tomorrow_morning", "", "when we met yesterday"),
    ("at", "2026-12-04T10:00", "when we met on Tuesday"),
])
def test_the_preview_shows_the_day_as_it_will_read_when_the_text_arrives(
        app, db, day_version, when, send_at_local, words):
    with time_machine.travel(TUESDAY_EVENING, tick=False):
        worker = client_for(app, "worker")
        alex = contact_id_from(add_contact(worker, name="Alex"))
        body = post_form(worker, "/compose/preview", {
            "contact_id": alex, "template_version_id": day_version,
            "happened_on": "2026-12-01", "when": when, "send_at_local": send_at_local},
            page="/compose/").get_json()
    assert words in body["body"]
    assert body["day_note"].startswith("Mend wrote when it happened for a text arriving on ")


@pytest.mark.parametrize("when, warned", [("now", False), ("tomorrow_morning", True)])
def test_a_day_in_the_workers_own_line_is_questioned_when_the_text_goes_another_day(
        app, db, when, warned):
    door = next(v["id"] for v in template_workflows.sms_templates.usable_versions(db)
                if v["template_id"] == "door-stays-open")
    with time_machine.travel(TUESDAY_EVENING, tick=False):
        worker = client_for(app, "worker")
        alex = contact_id_from(add_contact(worker, name="Alex"))
        body = post_form(worker, "/compose/preview", {
            "contact_id": alex, "template_version_id": door, "when": when,
            "personal": "Thanks for today."}, page="/compose/").get_json()
    expected = [{"code": "names-a-day", "message": "Your line says “today”, but the text "
                 "arrives on Wednesday 2 December: check it will still be right then, or "
                 "leave the day out."}]
    assert [w for w in body["warnings"] if w["code"] == "names-a-day"] == (
        expected if warned else [])


def test_the_date_it_happened_is_asked_for_when_the_template_uses_it(app, db, day_version):
    with time_machine.travel(TUESDAY_EVENING, tick=False):
        worker = client_for(app, "worker")
        alex = contact_id_from(add_contact(worker, name="Alex"))
        missing = post_form(worker, "/compose/preview", {
            "contact_id": alex, "template_version_id": day_version}, page="/compose/").get_json()
        later = post_form(worker, "/compose/preview", {
            "contact_id": alex, "template_version_id": day_version,
            "happened_on": "2026-12-05", "when": "now"}, page="/compose/").get_json()
        unreadable = compose(worker, alex, day_version, action="review",
                             happened_on="2026-02-30").get_data(as_text=True)
        last_year = post_form(worker, "/compose/preview", {
            "contact_id": alex, "template_version_id": day_version,
            "happened_on": "2025-12-01", "when": "now"}, page="/compose/").get_json()
    assert missing["errors"] == {"happened_on": ["Fill in the date it happened: this "
                                                 "template uses it."]}
    assert later["errors"] == {"happened_on": ["That date is after the text would arrive. "
                                               "Choose the day it happened."]}
    assert "That date could not be read. Choose it again." in unreadable
    assert last_year["errors"] == {"happened_on": [
        "That date is more than 90 days before the text arrives. Check the year, or "
        "choose a template that names no day."]}
    assert messages.for_contact(db, alex) == []


def test_what_is_stored_is_what_the_preview_showed_and_a_new_time_rewrites_the_day(
        app, db, day_version):
    with time_machine.travel(TUESDAY_EVENING, tick=False):
        worker = client_for(app, "worker")
        alex = contact_id_from(add_contact(worker, name="Alex"))
        schedule_text(worker, alex, day_version, happened_on="2026-12-01",
                      when="tomorrow_morning")
        text = messages.for_contact(db, alex)[0]
        assert "when we met yesterday" in text["body"]
        assert text["day_written_for"] == "2026-12-02"
        assert text["template_fields"]["happened_on"] == "2026-12-01"

        edit_page = worker.get(f"/messages/{text['id']}/edit").get_data(as_text=True)
        assert 'value="2026-12-01"' in edit_page  # the date it happened is kept
        post_form(worker, f"/messages/{text['id']}/edit", {
            "contact_id": alex, "template_version_id": day_version,
            "happened_on": "2026-12-01", "when": "at", "send_at_local": "2026-12-04T10:00",
            "personal": "", "next_meeting_at": "", "action": "save"})
    changed = messages.get(db, text["id"])
    assert "when we met on Tuesday" in changed["body"]
    assert changed["day_written_for"] == "2026-12-04"


def test_a_text_from_a_repair_knows_when_it_happened(app, db, user_ids, day_version):
    with time_machine.travel(TUESDAY_EVENING, tick=False):
        worker = client_for(app, "worker")
        alex = contact_id_from(add_contact(worker, name="Alex"))
        repair = start_repair(db, contact_id=alex, worker_id=user_ids["worker"],
                              situation="i-got-it-wrong",
                              happened_at=utc(2026, 11, 30, 23, 30),  # Monday night
                              note="")
        page = worker.get(f"/compose/?repair={repair}").get_data(as_text=True)
    assert 'name="happened_on" type="date" value="2026-11-30"' in page


# --- sending: never on another day than the words were written for -------------------

def day_text(db, due, written_for):
    message_id = add_message(db, db.worker_id, add_person(db, db.worker_id),
                             body="Alex, I got something wrong when we met today. Sam",
                             due=due)
    db.execute("UPDATE messages SET day_written_for = ? WHERE id = ?", [written_for, message_id])
    return message_id


def test_a_text_late_past_midnight_is_not_sent_saying_today(delivery_db, fake_twilio, gateway):
    db = delivery_db
    all_day = settings(window=send_window.parse_window("00:00-24:00"))
    on_the_day = day_text(db, utc(2026, 12, 1, 23, 50), "2026-12-01")
    late = day_text(db, utc(2026, 12, 1, 23, 55), "2026-12-01")

    dispatch_due(db, gateway, utc(2026, 12, 1, 23, 52), all_day)
    dispatch_due(db, gateway, utc(2026, 12, 2, 0, 5), all_day)  # ten minutes late

    assert messages.get(db, on_the_day)["status"] == "sent"
    held = messages.get(db, late)
    assert held["status"] == "expired"
    assert "for a text arriving on Tuesday 1 December;" in held["status_reason"]
    assert len(fake_twilio.created) == 1


def test_a_text_waiting_for_tomorrows_window_is_not_held_with_todays_words(
        delivery_db, fake_twilio, gateway):
    db = delivery_db
    late = utc(2026, 12, 1, 19, 55)
    message_id = day_text(db, late, "2026-12-01")
    day_long = settings(stale_after=timedelta(hours=24))
    dispatch_due(db, gateway, utc(2026, 12, 1, 20, 5), day_long)  # the window has closed
    assert messages.get(db, message_id)["status"] == "expired"
    assert fake_twilio.created == []
