"""Writing a text from a template: the preview is exactly what is scheduled and sent."""
import re
from datetime import datetime, timedelta, timezone

import pytest
import time_machine

from storage import contacts, events, messages, sms_templates
from storage.connection import to_db_time
from tests.harness.pages import add_contact, client_for, contact_id_from, post_form


def version_id(db, template_id):
    return next(v["id"] for v in sms_templates.usable_versions(db) if v["template_id"] == template_id)


def compose(client, contact_id, template_version_id, action="preview", **fields):
    data = {"contact_id": contact_id, "template_version_id": template_version_id,
            "next_meeting_at": "", "personal": "", "when": "now", "send_at_local": "",
            "action": action, **fields}
    return post_form(client, "/compose/", data)


def schedule_text(client, contact_id, template_version_id, **fields):
    """Continue, then confirm what was shown (warnings included), as a worker would."""
    review = compose(client, contact_id, template_version_id, action="review", **fields)
    seen = re.search(r'name="seen_warnings" value="([0-9a-f]*)"', review.get_data(as_text=True))
    return compose(client, contact_id, template_version_id, action="confirm",
                   seen_warnings=seen.group(1) if seen else "", **fields)


@pytest.fixture
def alex(worker):
    return contact_id_from(add_contact(worker, name="Alex"))


def test_preview_shows_the_exact_text_with_its_parts(worker, db, alex):
    page = compose(worker, alex, version_id(db, "door-stays-open")).get_data(as_text=True)
    assert ("Hi Alex, it&#39;s Sam. I wanted to say hello. I&#39;m here when you "
            "want to talk. No need to reply.") in page
    assert "GSM-7 · 91 characters · 1 part" in page
    assert "They have gone quiet or stopped coming." in page  # when to use


def test_the_live_preview_returns_the_same_text_as_json(worker, db, alex):
    response = post_form(worker, "/compose/preview", {
        "contact_id": alex, "template_version_id": version_id(db, "door-stays-open"),
        "personal": "x" * 70}, page="/compose/")
    body = response.get_json()
    assert body["body"].startswith("Hi Alex, it's Sam. I wanted to say hello. xxxx")
    assert (body["encoding"], body["characters"], body["parts"]) == ("GSM-7", 162, 2)
    assert body["warnings"] == []


def test_the_live_preview_reports_a_missing_field(worker, db, alex):
    body = post_form(worker, "/compose/preview", {
        "contact_id": alex, "template_version_id": version_id(db, "still-here-next-meeting")},
        page="/compose/").get_json()
    assert body["body"] is None
    assert body["errors"] == {"next_meeting_at": ["Fill in the next meeting: this template uses it."]}


def test_the_service_is_named_only_when_the_person_agreed(worker, db):
    named = contact_id_from(add_contact(worker, name="Kim", phone="07912 345678",
                                        ok_to_name_service="y"))
    page = compose(worker, named, version_id(db, "door-stays-open")).get_data(as_text=True)
    assert "it&#39;s Sam from Riverside Outreach." in page


def test_the_next_meeting_is_picked_in_local_time_and_written_out(worker, db, alex):
    page = compose(worker, alex, version_id(db, "still-here-next-meeting"),
                   next_meeting_at="2026-12-03T14:00").get_data(as_text=True)
    assert "I&#39;ll be there on Thursday 3 December at 2pm, or we can pick another time." in page


@pytest.mark.parametrize("fields, message", [
    ({"next_meeting_at": ""}, "Fill in the next meeting: this template uses it."),
    ({"next_meeting_at": "2026-02-30T10:00"}, "That meeting date and time could not be read. Choose it again."),
    ({"personal": "x" * 161}, "Keep the personal line to 160 characters or fewer."),
])
def test_bad_fields_are_named_and_nothing_typed_is_lost(worker, db, alex, fields, message):
    data = {"personal": "I hope the week is going ok.", **fields}
    page = compose(worker, alex, version_id(db, "still-here-next-meeting"), action="review",
                   **data).get_data(as_text=True)
    assert message in page
    assert "There is a problem" in page
    assert f'value="{data["personal"]}"' in page
    assert messages.for_contact(db, alex) == []


@pytest.mark.parametrize("typed", ["{{ ''.__class__ }}", "{% for x in range(3) %}x{% endfor %}",
                                   "<script>alert(1)</script>"])
def test_what_a_worker_types_is_sent_literally_never_evaluated(worker, db, alex, typed):
    response = schedule_text(worker, alex, version_id(db, "door-stays-open"), personal=typed)
    assert response.status_code == 302
    sent = messages.for_contact(db, alex)[0]
    assert typed in sent["body"]
    for page in (f"/contacts/{alex}", f"/messages/{sent['id']}"):
        assert "<script>alert(1)</script>" not in worker.get(page).get_data(as_text=True)


def test_continue_shows_the_confirm_step_with_the_masked_number_and_local_time(app, db):
    with time_machine.travel(datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc), tick=False):
        worker = client_for(app, "worker")
        alex = contact_id_from(add_contact(worker, name="Alex"))
        page = compose(worker, alex, version_id(db, "door-stays-open"), action="review",
                       when="in_2_hours").get_data(as_text=True)
    assert "Check your text" in page
    assert "Alex (+44 7••• ••• 456)" in page
    assert "Tue 1 Dec 2026, 2:00pm" in page
    assert messages.for_contact(db, alex) == []


def test_confirm_schedules_the_text_and_records_who_and_which_version(worker, db, alex, user_ids):
    version = version_id(db, "feelings-made-sense")
    response = compose(worker, alex, version, action="confirm", personal="Thank you for today.")
    assert response.status_code == 302
    [message] = messages.for_contact(db, alex)
    assert response.headers["Location"] == f"/messages/{message['id']}"
    assert message["status"] == "scheduled"
    assert message["template_version_id"] == version
    assert message["worker_id"] == user_ids["worker"]
    assert message["body"].startswith(
        "Hi Alex, it's Sam. However you felt last time, it made sense. "
                                      "Thank you for today.")
    assert message["template_fields"] == {"personal": "Thank you for today.", "next_meeting_at": ""}
    [event] = events.for_subject(db, "message", message["id"])
    assert event["action"] == "message.scheduled"
    assert event["detail"]["template_id"] == "feelings-made-sense"
    assert "Alex" not in str(event["detail"]) and "Thank you" not in str(event["detail"])


LATE_EVENING = datetime(2026, 12, 1, 21, 30, tzinfo=timezone.utc)


def test_outside_the_send_window_the_next_allowed_time_is_one_click_away(app, db):
    app.config["SEND_WINDOW"] = "09:00-20:00"
    version = version_id(db, "door-stays-open")
    with time_machine.travel(LATE_EVENING, tick=False):
        worker = client_for(app, "worker")
        alex = contact_id_from(add_contact(worker, name="Alex"))
        page = compose(worker, alex, version, action="review").get_data(as_text=True)
        assert "The service sends texts only between 09:00 and 20:00." in page
        assert "Send at Wed 2 Dec 2026, 9:00am instead" in page
        offered = re.search(r'name="use_next_allowed"\s+value="([^"]+)"', page).group(1)
        assert offered == "2026-12-02T09:00"
        confirm = post_form(worker, "/compose/", {
            "contact_id": alex, "template_version_id": version, "when": "now",
            "use_next_allowed": offered}, page="/compose/").get_data(as_text=True)
        assert "Check your text" in confirm
        assert "Wed 2 Dec 2026, 9:00am" in confirm
        response = compose(worker, alex, version, action="confirm", when="at",
                           send_at_local=offered)
    assert response.status_code == 302
    [message] = messages.for_contact(db, alex)
    assert message["scheduled_for"] == "2026-12-02T09:00:00+00:00"


def test_safe_hours_narrow_the_window(app, db):
    with time_machine.travel(datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc), tick=False):
        worker = client_for(app, "worker")
        alex = contact_id_from(add_contact(worker, name="Alex"))
        db.execute("UPDATE contacts SET safe_hours_start = '14:00', safe_hours_end = '17:00' "
                   "WHERE id = ?", [alex])
        page = compose(worker, alex, version_id(db, "door-stays-open"), action="review").get_data(as_text=True)
    assert "Alex asked for texts only between 14:00 and 17:00." in page
    assert "Send at Tue 1 Dec 2026, 2:00pm instead" in page
    # The problem is on the choice the worker made ("Now"), and the summary links to it.
    assert 'id="when-error"' in page and '<a href="#when">' in page


@pytest.mark.parametrize("fields, message", [
    ({"when": "at", "send_at_local": "2026-11-30T10:00"}, "That time has already passed."),
    ({"when": "at", "send_at_local": "2027-01-15T10:00"}, "Texts can be scheduled up to 30 days ahead."),
    ({"when": "at", "send_at_local": ""}, "Choose the date and time for the text."),
    ({"when": "at", "send_at_local": "soon"}, "That date and time could not be read."),
])
def test_impossible_times_are_refused_with_a_reason(app, db, fields, message):
    with time_machine.travel(datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc), tick=False):
        worker = client_for(app, "worker")
        alex = contact_id_from(add_contact(worker, name="Alex"))
        page = compose(worker, alex, version_id(db, "door-stays-open"), action="confirm",
                       **fields).get_data(as_text=True)
    assert message in page
    assert messages.for_contact(db, alex) == []


def test_after_a_confrontation_a_cooling_off_gap_is_suggested_not_forced(worker, db, alex):
    page = compose(worker, alex, version_id(db, "feelings-made-sense"), action="review").get_data(as_text=True)
    assert "a text the next morning can be easier to take in" in page
    assert "Check your text" in page


def test_an_old_number_check_must_be_renewed_before_scheduling(worker, db, alex):
    contacts.mark_number_confirmed(db, alex, at=datetime.now(timezone.utc) - timedelta(days=45))
    version = version_id(db, "door-stays-open")
    page = compose(worker, alex, version, action="confirm").get_data(as_text=True)
    assert "It is a while since Alex&#39;s number was checked." in page
    assert messages.for_contact(db, alex) == []
    assert compose(worker, alex, version, action="confirm", number_reconfirmed="y").status_code == 302
    assert contacts.get(db, alex)["number_confirmed_on"] >= to_db_time(
        datetime.now(timezone.utc) - timedelta(minutes=1))


def test_only_people_who_agreed_can_be_chosen(worker, db):
    contact_id = contact_id_from(add_contact(worker, name="Alex"))
    post_form(worker, f"/contacts/{contact_id}/consent",
              {"change": "withdrawn:withdrawn_by_worker"}, page=f"/contacts/{contact_id}")
    page = worker.get("/compose/").get_data(as_text=True)
    assert "No one you support has agreed to texts yet." in page
    response = compose(worker, contact_id, version_id(db, "door-stays-open"), action="confirm",
                       personal="See you soon.")
    page = response.get_data(as_text=True)
    assert "Alex cannot be texted now: does not want texts. Nothing was sent." in page
    assert 'value="See you soon."' in page
    assert messages.for_contact(db, contact_id) == []


def test_a_template_retired_while_the_form_was_open_is_explained(worker, db, alex):
    version = version_id(db, "door-stays-open")
    db.execute("UPDATE sms_templates SET retired_at = '2026-01-01T00:00:00+00:00' WHERE id = ?",
               ["door-stays-open"])
    page = compose(worker, alex, version, action="confirm", personal="Kept.").get_data(as_text=True)
    assert "That template is no longer in use" in page
    assert 'value="Kept."' in page
    assert messages.for_contact(db, alex) == []


def test_a_worker_cannot_text_another_workers_person(worker, other_worker, db):
    contact_id = contact_id_from(add_contact(worker, name="Alex"))
    response = compose(other_worker, contact_id, version_id(db, "door-stays-open"), action="confirm")
    page = response.get_data(as_text=True)
    assert "Choose who the text is for." in page
    assert "Alex" not in page
    assert messages.for_contact(db, contact_id) == []


def test_recently_used_templates_come_first(worker, db, alex):
    compose(worker, alex, version_id(db, "i-got-it-wrong"), action="confirm")
    page = worker.get("/compose/").get_data(as_text=True)
    select = page[page.index('<select id="template_version_id"'):]
    select = select[:select.index("</select>")]
    titles = re.findall(r"<option[^>]*>([^<]+)</option>", select)
    assert titles[:2] == ["Choose a template", "I got something wrong"]
    assert select.index('label="Recently used by you"') < select.index("I got something wrong")


def test_a_double_click_on_schedule_schedules_the_text_once(worker, db, alex):
    """Under load the confirm page answers slowly and people click again: the same
    confirm form arriving twice must not text the person twice."""
    template = version_id(db, "door-stays-open")
    review = compose(worker, alex, template, action="review").get_data(as_text=True)
    seen = re.search(r'name="seen_warnings" value="([0-9a-f]*)"', review)
    confirm = dict(seen_warnings=seen.group(1) if seen else "")

    first = compose(worker, alex, template, action="confirm", **confirm)
    second = compose(worker, alex, template, action="confirm", **confirm)

    assert first.status_code == second.status_code == 302
    assert second.headers["Location"] == first.headers["Location"]
    assert len(messages.for_contact(db, alex)) == 1
    page = worker.get(second.headers["Location"]).get_data(as_text=True)
    assert "already scheduled" in page
    [scheduled] = [e for e in events.for_subject(db, "message", messages.for_contact(db, alex)[0]["id"])
                   if e["action"] == "message.scheduled"]
    assert scheduled["actor_id"] is not None


def test_the_same_text_again_later_is_a_new_text(worker, db, alex):
    template = version_id(db, "door-stays-open")
    assert schedule_text(worker, alex, template).status_code == 302
    ten_minutes_ago = to_db_time(datetime.now(timezone.utc) - timedelta(minutes=10))
    db.execute("UPDATE messages SET created_at = ?", [ten_minutes_ago])
    assert schedule_text(worker, alex, template).status_code == 302
    assert len(messages.for_contact(db, alex)) == 2
