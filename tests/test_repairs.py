"""The repair journey through the pages a worker uses: start a repair from a person's
page, reflect, write a text from the repair, a signed reply joins it, the dashboard
asks "did you meet", a follow-up plan and what stops it, closing, and who may see what.
"""
import logging
import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from markupsafe import escape

from actions import repairs as workflows
from scheduler.dispatcher import DispatchSettings, dispatch_due
from sms.gateways import ConsoleGateway
from sms.send_window import parse_window
from storage import events, messages, repairs
from tests.harness.pages import add_contact, contact_id_from, post_form
from tests.harness.twilio_signing import TEST_AUTH_TOKEN, TEST_PUBLIC_BASE_URL, post_signed

NUMBER = "+447911123456"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "TWILIO_AUTH_TOKEN": TEST_AUTH_TOKEN,
            "PUBLIC_BASE_URL": TEST_PUBLIC_BASE_URL}


def version_id(db, template_id):
    return db.execute("SELECT max(id) FROM template_versions WHERE template_id = ?",
                      [template_id]).fetchone()[0]


def start_repair(worker, contact_id, situation="went-quiet", note="", happened_at=""):
    response = post_form(worker, "/repairs/new", {
        "contact_id": str(contact_id), "situation": situation, "happened_at": happened_at,
        "note": note}, page=f"/repairs/new?contact={contact_id}")
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(re.search(r"/repairs/(\d+)$", response.headers["Location"]).group(1))


def text_from_repair(worker, db, repair_id, contact_id, template="door-stays-open", **fields):
    page = worker.get(f"/compose/?repair={repair_id}").get_data(as_text=True)
    repair_field = re.search(r'name="repair_id" type="hidden" value="(\d*)"', page)
    data = {"contact_id": str(contact_id), "template_version_id": str(version_id(db, template)),
            "personal": "", "next_meeting_at": "", "when": "now", "send_at_local": "",
            "action": "confirm", "repair_id": repair_field.group(1), **fields}
    return post_form(worker, "/compose/", data, page=f"/compose/?repair={repair_id}")


def reply(client, body, sid, from_number=NUMBER):
    return post_signed(client, "/webhooks/twilio/inbound", {
        "MessageSid": f"SM{sid:032x}", "From": from_number, "To": "+447400123456",
        "Body": body})


def send_due(db, now=None):
    return dispatch_due(db, ConsoleGateway(),
                        now=now or datetime.now(timezone.utc),
                        settings=DispatchSettings(zone="Europe/London",
                                                  window=parse_window("00:00-24:00")))


def repair_actions(db, repair_id):
    return [event["action"] for event in events.for_subject(db, "repair", repair_id)]


@pytest.fixture
def alex(worker):
    return contact_id_from(add_contact(worker, name="Alex"))


def test_a_repair_started_from_a_persons_page_records_what_happened_and_its_kind(
        worker, db, alex):
    page = worker.get(f"/contacts/{alex}").get_data(as_text=True)
    assert f'href="/repairs/new?contact={alex}"' in page
    form = worker.get(f"/repairs/new?contact={alex}").get_data(as_text=True)
    assert re.search(rf'<option selected value="{alex}">Alex</option>', form)
    assert "They left angry or upset (confrontation)" in form and "They went quiet or withdrew (withdrawal)" in form
    repair_id = start_repair(worker, alex, situation="left-angry", note="Left before the end.")
    repair = repairs.get(db, repair_id)
    assert (repair["situation"], repair["kind"], repair["note"]) == (
        "left-angry", "confrontation", "Left before the end.")
    page = worker.get(f"/repairs/{repair_id}").get_data(as_text=True)
    assert "Repair with Alex" in page and "They left angry" in page
    [started] = events.for_subject(db, "repair", repair_id)
    assert started["detail"] == {"contact_id": alex, "situation": "left-angry",
                                 "kind": "confrontation", "has_note": True}


@pytest.mark.parametrize("typed, message", [
    ("2020-01-01T10:00", "Give when it happened: a date and time in the last 90 days."),
    ("next tuesday", "Give when it happened: a date and time in the last 90 days."),
])
def test_a_start_time_that_cannot_be_right_is_explained_and_nothing_is_saved(
        worker, db, alex, typed, message):
    response = post_form(worker, "/repairs/new", {"contact_id": str(alex),
                                                  "situation": "went-quiet",
                                                  "happened_at": typed, "note": ""})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.execute("SELECT count(*) FROM repairs").fetchone()[0] == 0


def test_composing_from_a_repair_preselects_its_situation_and_links_the_text(worker, db, alex):
    repair_id = start_repair(worker, alex, situation="missed-meeting")
    page = worker.get(f"/compose/?repair={repair_id}").get_data(as_text=True)
    assert '<option selected value="missed-meeting">' in page
    assert f'name="repair_id" type="hidden" value="{repair_id}"' in page
    response = text_from_repair(worker, db, repair_id, alex, template="still-here-next-meeting",
                                next_meeting_at="2030-01-08T14:00")
    assert response.headers["Location"] == f"/repairs/{repair_id}"
    [linked] = repairs.texts(db, repair_id)
    repair = repairs.get(db, repair_id)
    assert (linked["role"], repair["template_version_id"]) == (
        "repair", version_id(db, "still-here-next-meeting"))
    assert repair["next_meeting_at"] == "2030-01-08T14:00:00+00:00"  # the text's meeting
    assert "repair.text_linked" in repair_actions(db, repair_id)
    assert str(escape(linked["body"])) in worker.get(f"/repairs/{repair_id}").get_data(as_text=True)


def test_a_text_cannot_be_linked_to_someone_elses_repair(worker, other_worker, db, alex):
    repair_id = start_repair(worker, alex)
    assert other_worker.get(f"/repairs/{repair_id}").status_code == 404
    page = other_worker.get(f"/compose/?repair={repair_id}").get_data(as_text=True)
    assert f'value="{repair_id}"' not in page
    assert repairs.texts(db, repair_id) == []


def test_a_reply_while_the_repair_is_open_is_linked_and_counted_within_72_hours(
        worker, client, db, alex):
    repair_id = start_repair(worker, alex)
    text_from_repair(worker, db, repair_id, alex)
    assert send_due(db).sent == 1
    assert repairs.get(db, repair_id)["texts_sent"] == 1
    assert reply(client, "thanks Sam, see you soon", sid=1).status_code == 200
    repair = repairs.get(db, repair_id)
    assert (repair["replies"], repair["replied_72h"]) == (1, 1)
    assert "thanks Sam, see you soon" in worker.get(f"/repairs/{repair_id}").get_data(as_text=True)
    assert "repair.reply_linked" in repair_actions(db, repair_id)


def test_a_reply_after_the_repair_is_closed_is_not_linked(worker, client, db, alex):
    repair_id = start_repair(worker, alex)
    post_form(worker, f"/repairs/{repair_id}/close", {"ending": "better"},
              page=f"/repairs/{repair_id}")
    reply(client, "hello", sid=2)
    assert repairs.replies(db, repair_id) == []


def local_input(moment):
    return moment.astimezone(ZoneInfo("Europe/London")).strftime("%Y-%m-%dT%H:%M")


def test_the_dashboard_asks_once_after_the_meeting_and_the_answer_is_recorded(
        worker, db, alex):
    repair_id = start_repair(worker, alex)
    now = datetime.now(timezone.utc)
    post_form(worker, f"/repairs/{repair_id}/meeting",
              {"meeting_at": local_input(now + timedelta(days=2))}, page=f"/repairs/{repair_id}")
    assert "Did you meet" not in worker.get("/dashboard").get_data(as_text=True)
    yesterday = now - timedelta(days=1)
    post_form(worker, f"/repairs/{repair_id}/meeting", {"meeting_at": local_input(yesterday)},
              page=f"/repairs/{repair_id}")
    day = yesterday.astimezone(ZoneInfo("Europe/London")).strftime("%A")
    dashboard = worker.get("/dashboard").get_data(as_text=True)
    assert dashboard.count(f"Did you meet Alex on {day}?") == 1
    response = post_form(worker, f"/repairs/{repair_id}/met",
                         {"outcome": "talked", "back_to": "dashboard", "new_time": ""},
                         page="/dashboard")
    assert response.headers["Location"] == "/dashboard"
    assert "Did you meet" not in worker.get("/dashboard").get_data(as_text=True)
    repair = repairs.get(db, repair_id)
    assert (repair["talked"], repair["came_14d"], repair["next_meeting_at"]) == (1, 1, None)
    [meeting] = repairs.meetings(db, repair_id)
    assert (meeting["outcome"], meeting["planned_for"][:16]) == (
        "talked", yesterday.isoformat()[:16])


def test_rearranging_asks_again_after_the_new_time(worker, db, alex):
    repair_id = start_repair(worker, alex)
    now = datetime.now(timezone.utc)
    post_form(worker, f"/repairs/{repair_id}/meeting",
              {"meeting_at": local_input(now - timedelta(hours=2))}, page=f"/repairs/{repair_id}")
    refused = post_form(worker, f"/repairs/{repair_id}/met",
                        {"outcome": "rearranged", "new_time": ""}, page="/dashboard")
    assert "Give the new time you rearranged to." in refused.get_data(as_text=True)
    post_form(worker, f"/repairs/{repair_id}/met",
              {"outcome": "rearranged", "new_time": local_input(now + timedelta(days=2))},
              page="/dashboard")
    assert "Did you meet" not in worker.get("/dashboard").get_data(as_text=True)
    assert repairs.get(db, repair_id)["next_meeting_at"][:16] == (
        now + timedelta(days=2)).isoformat()[:16]
    assert workflows.repairs.meetings_due(db, repairs.get(db, repair_id)["worker_id"],
                                          now + timedelta(days=2, minutes=1))


def plan(worker, db, repair_id, **fields):
    return post_form(worker, f"/repairs/{repair_id}/plan", {
        "template_version_id": str(version_id(db, "door-stays-open")), "first_days": "7",
        "second_days": "30", **fields}, page=f"/repairs/{repair_id}")


def test_a_follow_up_plan_schedules_two_reviewed_texts_a_week_then_a_month_later(
        worker, db, alex):
    repair_id = start_repair(worker, alex)
    before = datetime.now(timezone.utc).replace(microsecond=0)
    assert plan(worker, db, repair_id).status_code == 302
    follow_ups = [m for m in repairs.texts(db, repair_id) if m["role"] == "follow_up"]
    assert [m["status"] for m in follow_ups] == ["scheduled", "scheduled"]
    due = [datetime.fromisoformat(m["scheduled_for"]) - before for m in follow_ups]
    assert timedelta(days=7) <= due[0] < timedelta(days=7, minutes=1)
    assert timedelta(days=37) <= due[1] < timedelta(days=37, minutes=1)
    assert all(m["template_version_id"] == version_id(db, "door-stays-open") for m in follow_ups)
    assert "repair.plan_set" in repair_actions(db, repair_id)
    again = plan(worker, db, repair_id)
    assert "A follow-up plan is already set." in again.get_data(as_text=True)


def test_a_plan_submitted_twice_at_once_schedules_its_follow_ups_once(worker, db, alex,
                                                                      user_ids):
    """Two requests that both read the repair before either saved (a double click on a
    busy server): the second finds the plan already on, inside its transaction."""
    from actions import repairs as repair_workflows
    from sms.service import Service
    repair_id = start_repair(worker, alex)
    stale = repairs.get(db, repair_id)
    service = Service.from_config(worker.application.config)
    first, second = (repair_workflows.set_plan(
        db, stale, version_id=version_id(db, "door-stays-open"), first_days=7,
        second_days=30, worker_id=user_ids["worker"], worker_first_name="Sam",
        service=service) for _ in range(2))
    assert (first.done, second.done, second.problem) == (
        True, False, repair_workflows.PLAN_ALREADY_SET)
    assert len([m for m in repairs.texts(db, repair_id) if m["role"] == "follow_up"]) == 2


def test_only_door_stays_open_templates_without_a_meeting_time_are_offered(worker, db, alex):
    repair_id = start_repair(worker, alex)
    refused = plan(worker, db, repair_id,
                   template_version_id=str(version_id(db, "okay-to-be-angry")))
    assert "Choose one of the reviewed" in refused.get_data(as_text=True)
    assert repairs.texts(db, repair_id) == []


def follow_up_statuses(db, repair_id):
    return [(m["status"], m["status_reason"]) for m in repairs.texts(db, repair_id)
            if m["role"] == "follow_up"]


@pytest.mark.parametrize("what, reason", [
    ("reply", "They replied, so the follow-up texts were cancelled."),
    ("stop", "They texted STOP, so the follow-up texts were cancelled."),
    ("meeting", "You recorded that you are in touch again, so the follow-up texts were "
                "cancelled."),
    ("close", "The repair was closed, so the follow-up texts were cancelled."),
    ("worker", "You cancelled the follow-up texts."),
])
def test_a_reply_stop_meeting_or_closing_cancels_what_is_left_of_the_plan_with_a_reason(
        worker, client, db, alex, what, reason):
    repair_id = start_repair(worker, alex)
    plan(worker, db, repair_id)
    page = f"/repairs/{repair_id}"
    if what == "reply":
        reply(client, "I'm ok", sid=3)
    elif what == "stop":
        reply(client, "STOP", sid=4)
    elif what == "meeting":
        post_form(worker, f"/repairs/{repair_id}/met", {"outcome": "came", "new_time": ""},
                  page=page)
    elif what == "close":
        post_form(worker, f"/repairs/{repair_id}/close", {"ending": "same"}, page=page)
    else:
        post_form(worker, f"/repairs/{repair_id}/plan/cancel", {}, page=page)
    # STOP itself cancels every text waiting for them, with its own reason
    stopped = "They texted STOP, so Mend will not text them."
    assert follow_up_statuses(db, repair_id) == [
        ("cancelled", stopped if what == "stop" else reason)] * 2
    [ended] = [e for e in events.for_subject(db, "repair", repair_id)
               if e["action"] == "repair.plan_cancelled"]
    assert ended["detail"]["reason"] == reason
    assert len(ended["detail"]["cancelled_messages"]) == (0 if what == "stop" else 2)
    assert events.verify_chain(db)[1] is None


def test_a_failed_delivery_reported_by_twilio_cancels_the_plan(worker, client, db, alex):
    repair_id = start_repair(worker, alex)
    text_from_repair(worker, db, repair_id, alex)
    send_due(db)
    plan(worker, db, repair_id)
    first = repairs.texts(db, repair_id)[0]
    response = post_signed(client, f"/webhooks/twilio/status?message_id={first['id']}", {
        "MessageSid": first["provider_sid"], "MessageStatus": "undelivered",
        "ErrorCode": "30003"}, signed_url=f"{TEST_PUBLIC_BASE_URL}/webhooks/twilio/status"
                                          f"?message_id={first['id']}")
    assert response.status_code == 200
    assert follow_up_statuses(db, repair_id) == [
        ("cancelled", "A text to them could not be delivered, so the follow-up texts were "
                      "cancelled.")] * 2


def test_a_failure_the_dispatcher_records_stops_the_plan_at_the_next_sweep(worker, db, alex):
    repair_id = start_repair(worker, alex)
    text_from_repair(worker, db, repair_id, alex)
    plan(worker, db, repair_id)
    first = repairs.texts(db, repair_id)[0]
    messages.transition(db, first["id"], from_statuses=("scheduled",), to_status="failed",
                        status_reason="The number is not a mobile.")
    swept = workflows.sweep(db)
    assert swept.plans_ended == [repair_id]
    assert [status for status, _ in follow_up_statuses(db, repair_id)] == ["cancelled"] * 2


def test_a_repair_nobody_closes_closes_itself_after_60_days_as_not_recorded(worker, db, alex):
    repair_id = start_repair(worker, alex)
    assert workflows.sweep(db, now=datetime.now(timezone.utc) + timedelta(days=59)).closed == []
    swept = workflows.sweep(db, now=datetime.now(timezone.utc) + timedelta(days=60, minutes=1))
    assert swept.closed == [repair_id]
    repair = repairs.get(db, repair_id)
    assert (repair["ending"], repair["closed_by"]) == ("not_recorded", None)
    [closed] = [e for e in events.for_subject(db, "repair", repair_id)
                if e["action"] == "repair.closed"]
    assert (closed["actor_type"], closed["detail"]) == ("system", {"ending": "not_recorded",
                                                                   "automatic": True})


def test_closing_records_how_the_relationship_feels_now(worker, db, alex):
    repair_id = start_repair(worker, alex)
    refused = post_form(worker, f"/repairs/{repair_id}/close", {"ending": "fixed"},
                        page=f"/repairs/{repair_id}")
    assert refused.status_code == 400
    assert "Choose how the relationship feels now." in refused.get_data(as_text=True)
    assert repairs.get(db, repair_id)["closed_at"] is None
    post_form(worker, f"/repairs/{repair_id}/close", {"ending": "better"},
              page=f"/repairs/{repair_id}")
    page = worker.get(f"/repairs/{repair_id}").get_data(as_text=True)
    assert "Closed: Better" in page and "Close the repair" not in page


def test_the_repair_timeline_interleaves_its_steps_with_texts_and_replies(
        worker, client, db, alex):
    repair_id = start_repair(worker, alex)
    text_from_repair(worker, db, repair_id, alex)
    send_due(db)
    reply(client, "ok thank you", sid=5)
    page = worker.get(f"/repairs/{repair_id}").get_data(as_text=True)
    timeline = page[page.index('id="repair-timeline"'):]
    order = [timeline.index(words) for words in (
        "Repair started", "Text linked to the repair", "I wanted to say hello",
        "Their reply linked to the repair", "ok thank you")]
    assert order == sorted(order)


def test_a_worker_sees_only_their_own_repairs(worker, other_worker, reviewer, admin, db, alex):
    repair_id = start_repair(worker, alex)
    for someone in (other_worker, reviewer, admin):
        assert someone.get(f"/repairs/{repair_id}").status_code == 404
        assert someone.get(f"/repairs/{repair_id}/reflection").status_code == 404
        assert "Alex" not in someone.get("/repairs/").get_data(as_text=True)
    assert "Alex" in worker.get("/repairs/").get_data(as_text=True)


def test_logs_of_a_whole_repair_hold_no_note_reflection_or_reply(worker, client, db, alex,
                                                                 caplog):
    note, feeling, words = "argued about the hostel keys", "I felt flustered and small", \
        "leave me alone for now"
    with caplog.at_level(logging.DEBUG):
        repair_id = start_repair(worker, alex, note=note)
        post_form(worker, f"/repairs/{repair_id}/reflection", {"how_it_felt": feeling})
        text_from_repair(worker, db, repair_id, alex)
        send_due(db)
        reply(client, words, sid=6)
        post_form(worker, f"/repairs/{repair_id}/close", {"ending": "not_sure"},
                  page=f"/repairs/{repair_id}")
    assert repairs.get(db, repair_id)["ending"] == "not_sure"  # the flow really ran
    assert caplog.text
    for secret in (note, feeling, words, "Alex", "7911123456"):
        assert secret not in caplog.text, secret


@pytest.mark.parametrize("hostile", ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>',
                                     "{{ 7*7 }}"])
def test_hostile_words_in_a_repair_are_inert_on_every_repair_page(worker, reviewer, db,
                                                                  user_ids, hostile):
    contact_id = contact_id_from(add_contact(worker, name="Jo"))
    start_repair(worker, contact_id_from(add_contact(worker, name=f"Alex {hostile}",
                                                     phone="07922 654321")))
    repair_id = start_repair(worker, contact_id, note=f"note {hostile}")
    post_form(worker, f"/repairs/{repair_id}/reflection", {"how_it_felt": f"felt {hostile}"})
    post_form(worker, f"/repairs/{repair_id}/share", {"reviewer_id": str(user_ids["reviewer"])},
              page=f"/repairs/{repair_id}/reflection")
    post_form(worker, f"/repairs/{repair_id}/meeting",
              {"meeting_at": local_input(datetime.now(timezone.utc) - timedelta(hours=1))},
              page=f"/repairs/{repair_id}")
    assert repairs.get(db, repair_id)["note"] == f"note {hostile}"
    assert repairs.reflection(db, repair_id)["how_it_felt"] == f"felt {hostile}"
    month = f"{datetime.now(timezone.utc):%Y-%m}"
    for client, page in ((worker, f"/repairs/{repair_id}"), (worker, "/repairs/"),
                         (worker, f"/repairs/{repair_id}/reflection"), (worker, "/dashboard"),
                         (worker, f"/contacts/{contact_id}"),
                         (reviewer, f"/repairs/practice?month={month}")):
        text = client.get(page).get_data(as_text=True)
        assert "<script>alert" not in text and "<img src=x" not in text and ">49<" not in text
    assert "felt " in reviewer.get(f"/repairs/practice?month={month}").get_data(as_text=True)


def test_the_scheduler_sweeps_repairs_every_hour(app, worker, db, alex):
    from apscheduler.schedulers.background import BackgroundScheduler

    from scheduler.runner import Ticker, add_jobs

    repair_id = start_repair(worker, alex)
    db.execute("UPDATE repairs SET created_at = ? WHERE id = ?",
               [(datetime.now(timezone.utc) - timedelta(days=61)).isoformat(), repair_id])
    scheduler = BackgroundScheduler(timezone="UTC")
    add_jobs(scheduler, Ticker(app.config), app.config)
    job = scheduler.get_job("repair_sweep")
    assert job.trigger.interval == timedelta(hours=1)
    job.func()
    assert repairs.get(db, repair_id)["ending"] == "not_recorded"
