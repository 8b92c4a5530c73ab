"""Writing a text from a template: the preview is exactly what is sent."""
import re
from datetime import datetime, timezone

import pytest
import time_machine

from storage import events, messages, sms_templates
from tests.conftest import add_contact, client_for, contact_id_from, post_form


def version_id(db, template_id):
    return next(v["id"] for v in sms_templates.usable_versions(db) if v["template_id"] == template_id)


def compose(client, contact_id, template_version_id, action="preview", **fields):
    data = {"contact_id": contact_id, "template_version_id": template_version_id,
            "next_meeting": "", "personal": "", "action": action, **fields}
    return post_form(client, "/compose/", data)


@pytest.fixture
def alex(worker):
    return contact_id_from(add_contact(worker, name="Alex"))


def test_preview_shows_the_exact_text_with_its_parts(worker, db, alex):
    page = compose(worker, alex, version_id(db, "door-stays-open")).get_data(as_text=True)
    assert ("Hi Alex, it&#39;s Sam. I&#39;ve been thinking of you. I&#39;m here when you "
            "want to talk. No need to reply.") in page
    assert "GSM-7 · 95 characters ·\n      1 part" in page


def test_the_service_is_named_only_when_the_person_agreed(worker, db):
    named = contact_id_from(add_contact(worker, name="Kim", phone="07912 345678",
                                        ok_to_name_service="y"))
    page = compose(worker, named, version_id(db, "door-stays-open")).get_data(as_text=True)
    assert "it&#39;s Sam from Mend." in page


def test_a_template_field_left_empty_is_named_and_nothing_typed_is_lost(worker, db, alex):
    page = compose(worker, alex, version_id(db, "still-here-next-meeting"),
                   personal="I hope the week is going ok.").get_data(as_text=True)
    assert "Fill in the next meeting: this template uses it." in page
    assert 'value="I hope the week is going ok."' in page


@pytest.mark.parametrize("typed", ["{{ ''.__class__ }}", "{% for x in range(3) %}x{% endfor %}",
                                   "<script>alert(1)</script>"])
def test_what_a_worker_types_is_sent_literally_never_evaluated(worker, db, alex, typed):
    response = compose(worker, alex, version_id(db, "door-stays-open"), action="send",
                       personal=typed)
    assert response.status_code == 302
    sent = messages.for_contact(db, alex)[0]
    assert typed in sent["body"]
    page = worker.get(f"/contacts/{alex}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page


def test_send_now_schedules_the_text_and_records_who_and_which_version(worker, db, alex, user_ids):
    version = version_id(db, "feelings-made-sense")
    response = compose(worker, alex, version, action="send", personal="Thank you for today.")
    assert response.status_code == 302
    [message] = messages.for_contact(db, alex)
    assert message["status"] == "scheduled"
    assert message["template_version_id"] == version
    assert message["worker_id"] == user_ids["worker"]
    assert message["body"].startswith("Hi Alex, it's Sam. It makes sense you felt angry today. "
                                       "Thank you for today.")
    [event] = events.for_subject(db, "message", message["id"])
    assert event["action"] == "message.scheduled"
    assert event["detail"]["template_id"] == "feelings-made-sense"
    assert "Alex" not in str(event["detail"])


def test_outside_the_send_window_the_next_allowed_time_is_offered(app, db):
    app.config["SEND_WINDOW"] = "09:00-20:00"
    version = version_id(db, "door-stays-open")
    with time_machine.travel(datetime(2026, 12, 1, 21, 30, tzinfo=timezone.utc), tick=False):
        worker = client_for(app, "worker")
        alex = contact_id_from(add_contact(worker, name="Alex"))
        page = compose(worker, alex, version, action="send").get_data(as_text=True)
        assert ("Texts to this person only go out between 09:00 and 20:00, so this one "
                "cannot go now.") in page
        assert "Schedule for Wed 2 Dec 2026, 9:00am" in page
        offered = re.search(r'name="send_at" value="([^"]+)"', page).group(1)
        assert offered == "2026-12-02T09:00:00+00:00"
        assert messages.for_contact(db, alex) == []
        response = compose(worker, alex, version, send_at=offered)
    assert response.status_code == 302
    [message] = messages.for_contact(db, alex)
    assert message["scheduled_for"] == "2026-12-02T09:00:00+00:00"


def test_only_people_who_agreed_can_be_chosen(worker, db):
    contact_id = contact_id_from(add_contact(worker, name="Alex"))
    post_form(worker, f"/contacts/{contact_id}/consent",
              {"change": "withdrawn:withdrawn_by_worker"}, page=f"/contacts/{contact_id}")
    page = worker.get("/compose/").get_data(as_text=True)
    assert "No one you support has agreed to texts yet." in page
    response = compose(worker, contact_id, version_id(db, "door-stays-open"), action="send",
                       personal="See you soon.")
    page = response.get_data(as_text=True)
    assert "Alex cannot be texted now: does not want texts. Nothing was sent." in page
    assert 'value="See you soon."' in page
    assert messages.for_contact(db, contact_id) == []


def test_a_worker_cannot_text_another_workers_person(worker, other_worker, db):
    contact_id = contact_id_from(add_contact(worker, name="Alex"))
    response = compose(other_worker, contact_id, version_id(db, "door-stays-open"), action="send")
    assert "Choose who the text is for." in response.get_data(as_text=True)
    assert "Alex" not in response.get_data(as_text=True)
    assert messages.for_contact(db, contact_id) == []
