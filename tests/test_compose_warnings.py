"""A worker's own words get the template checks as warnings, shown before sending and
kept with the text sent."""
import html
import re

import pytest

from storage import events, messages
from tests.harness.pages import add_contact, contact_id_from, post_form
from tests.test_compose import compose, version_id


def page_text(response):
    return html.unescape(response.get_data(as_text=True))


def warnings_on(response):
    return re.findall(r'<li data-code="([a-z-]+)">', response.get_data(as_text=True))


@pytest.fixture
def alex(worker):
    return contact_id_from(add_contact(worker, name="Alex"))


def write(client, db, contact_id, personal, action="preview", template="door-stays-open", **extra):
    return compose(client, contact_id, version_id(db, template), action=action,
                   personal=personal, **extra)


@pytest.mark.parametrize("personal, codes", [
    ("Hope the hostel is OK.", ["privacy"]),
    ("You need to come in by Friday.", ["demand", "deadline"]),
    ("Your behaviour was fine really.", ["blame"]),
    ("The form is at www.example.org", ["link"]),
    ("See you at Riverside Outreach.", ["demand", "service-named"]),
    ("Enjoy the crêpes.", ["non-gsm"]),
    ("Hope the week went well.", []),
])
def test_the_preview_warns_about_the_workers_own_words(worker, db, alex, personal, codes):
    response = write(worker, db, alex, personal)
    assert response.status_code == 200
    assert warnings_on(response) == codes


def test_the_live_preview_returns_the_same_warnings(worker, db, alex):
    body = post_form(worker, "/compose/preview", {
        "contact_id": alex, "template_version_id": version_id(db, "door-stays-open"),
        "personal": "Hope the hostel is OK."}, page="/compose/").get_json()
    assert [w["code"] for w in body["warnings"]] == ["privacy"]


def test_the_preview_names_the_cost_of_a_non_gsm_character(worker, db, alex):
    page = page_text(write(worker, db, alex, "Enjoy the crêpes we had, and the walk."))
    assert ("ê makes this 2 parts instead of 1. It is not in the plain text alphabet, "
            "and each part is billed. Use a plain letter if you can.") in page


def test_the_preview_says_what_smart_encoding_replaced(worker, db, alex):
    page = page_text(write(worker, db, alex, "It\u2019s been good \u2013 really\u200b."))
    assert ("Replaced so it sends as plain text: “\u2019” with “'”, “\u2013” with “-”, "
            "an invisible character (U+200B) removed") in page
    assert "It's been good - really." in page


def test_confirming_with_unseen_warnings_shows_them_first_and_schedules_nothing(worker, db, alex):
    response = write(worker, db, alex, "Hope the hostel is OK.", action="confirm")
    assert response.status_code == 200
    assert "Read these before you send" in page_text(response)
    assert messages.for_contact(db, alex) == []


def test_warnings_the_worker_saw_are_stored_on_the_message_and_its_event(worker, db, alex):
    shown = write(worker, db, alex, "Hope the hostel is OK.", action="review")
    seen = re.search(r'name="seen_warnings" value="([0-9a-f]+)"',
                     shown.get_data(as_text=True)).group(1)
    response = write(worker, db, alex, "Hope the hostel is OK.", action="confirm",
                     seen_warnings=seen)
    assert response.status_code == 302
    [message] = messages.for_contact(db, alex)
    expected = [{"code": "privacy",
                 "message": "“hostel” could tell anyone who sees this phone about their "
                            "situation. Phones are often shared or checked by others: "
                            "leave it out."}]
    assert message["warnings"] == expected
    assert message["template_id"] == "door-stays-open"
    [scheduled] = [e for e in events.for_subject(db, "message", message["id"])
                   if e["action"] == "message.scheduled"]
    assert scheduled["detail"]["warnings"] == ["privacy"]  # codes: the log is never erased
    assert "“hostel” could tell anyone" in page_text(worker.get(f"/messages/{message['id']}"))


def test_a_changed_personal_line_after_the_check_is_shown_again(worker, db, alex):
    shown = write(worker, db, alex, "Hope the hostel is OK.", action="review")
    seen = re.search(r'name="seen_warnings" value="([0-9a-f]+)"',
                     shown.get_data(as_text=True)).group(1)
    response = write(worker, db, alex, "Hope the hostel is OK, and probation.",
                     action="confirm", seen_warnings=seen)
    assert response.status_code == 200
    assert warnings_on(response) == ["privacy", "privacy"]
    assert messages.for_contact(db, alex) == []


def test_a_text_without_warnings_is_scheduled_with_none_stored(worker, db, alex):
    response = write(worker, db, alex, "Hope the week went well.", action="confirm")
    assert response.status_code == 302
    [message] = messages.for_contact(db, alex)
    assert message["warnings"] == []
    assert message["body"] == ("Hi Alex, it's Sam. I wanted to say hello. Hope the week "
                               "went well. I'm here when you want to talk. No need to reply.")
