"""A text's own page: its timeline, and changing or cancelling it while it waits."""
import re

import pytest

from storage import events, messages
from tests.harness.pages import add_contact, contact_id_from, post_form
from tests.test_compose import compose, version_id


@pytest.fixture
def scheduled(worker, db):
    alex = contact_id_from(add_contact(worker, name="Alex"))
    response = compose(worker, alex, version_id(db, "door-stays-open"), action="confirm",
                       when="tomorrow_morning", personal="Hope the week went ok.")
    return int(response.headers["Location"].rsplit("/", 1)[1])


def test_the_message_page_shows_the_text_and_who_scheduled_it(worker, scheduled):
    page = worker.get(f"/messages/{scheduled}").get_data(as_text=True)
    assert "Hope the week went ok." in page
    assert "<strong>Scheduled</strong>" in page and "Sam Worker" in page
    assert "Change this text" in page and "Cancel text" in page


def test_cancelling_needs_a_reason_and_records_it(worker, db, scheduled):
    page_url = f"/messages/{scheduled}"
    refused = post_form(worker, f"{page_url}/cancel", {"reason": ""}, page=page_url)
    assert refused.status_code == 400
    assert "Choose why you are cancelling it." in refused.get_data(as_text=True)
    assert messages.get(db, scheduled)["status"] == "scheduled"
    response = post_form(worker, f"{page_url}/cancel",
                         {"reason": "talked_in_person", "note": ""}, page=page_url)
    page = worker.get(response.headers["Location"]).get_data(as_text=True)
    assert "The text is cancelled. It will not be sent." in page
    assert "We talked in person, so it is not needed" in page
    message = messages.get(db, scheduled)
    assert message["status"] == "cancelled"
    assert [e["action"] for e in events.for_subject(db, "message", scheduled)] == [
        "message.scheduled", "message.cancelled"]
    assert "Change this text" not in page


def test_editing_re_renders_and_records_a_new_event(worker, db, scheduled):
    page_url = f"/messages/{scheduled}/edit"
    form = worker.get(page_url).get_data(as_text=True)
    assert 'value="Hope the week went ok."' in form
    message = messages.get(db, scheduled)
    response = post_form(worker, page_url, {
        "contact_id": message["contact_id"], "template_version_id": message["template_version_id"],
        "personal": "Hope the week went well.", "next_meeting_at": "", "when": "tomorrow_morning",
        "send_at_local": "", "action": "save"})
    assert response.status_code == 302
    edited = messages.get(db, scheduled)
    assert "Hope the week went well." in edited["body"] and "Hope today" not in edited["body"]
    assert [e["action"] for e in events.for_subject(db, "message", scheduled)][-1] == "message.edited"


def test_a_sent_text_is_read_only(worker, db, scheduled):
    db.execute("UPDATE messages SET status = 'sent' WHERE id = ?", [scheduled])
    page = worker.get(f"/messages/{scheduled}").get_data(as_text=True)
    assert "can no longer be changed" in page and "Cancel text" not in page
    response = worker.get(f"/messages/{scheduled}/edit")
    assert response.status_code == 302
    refused = post_form(worker, f"/messages/{scheduled}/cancel", {"reason": "other"},
                        page="/dashboard")
    assert "can no longer be cancelled" in worker.get(refused.headers["Location"]).get_data(as_text=True)
    assert messages.get(db, scheduled)["status"] == "sent"


def test_another_worker_cannot_open_change_or_cancel_it(other_worker, db, scheduled):
    assert other_worker.get(f"/messages/{scheduled}").status_code == 404
    assert other_worker.get(f"/messages/{scheduled}/edit").status_code == 404
    response = post_form(other_worker, f"/messages/{scheduled}/cancel", {"reason": "other"},
                         page="/dashboard")
    assert response.status_code == 404
    assert messages.get(db, scheduled)["status"] == "scheduled"


def test_the_dashboard_lists_upcoming_texts_with_a_way_to_cancel(worker, scheduled):
    page = worker.get("/dashboard").get_data(as_text=True)
    assert f'href="/messages/{scheduled}#cancel"' in page


def test_a_person_records_what_happened_to_an_unknown_text(worker, db, scheduled):
    db.execute("UPDATE messages SET status = 'unknown' WHERE id = ?", [scheduled])
    page_url = f"/messages/{scheduled}"
    assert "will not send it again on its own" in worker.get(page_url).get_data(as_text=True)
    refused = post_form(worker, f"{page_url}/settle", {"outcome": ""}, page=page_url)
    assert "Choose what you found." in refused.get_data(as_text=True)
    response = post_form(worker, f"{page_url}/settle", {"outcome": "not_sent"}, page=page_url)
    assert "Recorded. Thank you for checking." in worker.get(response.headers["Location"]).get_data(as_text=True)
    message = messages.get(db, scheduled)
    assert (message["status"], message["status_reason"]) == ("failed", "Checked: it did not go out.")
    assert events.for_subject(db, "message", scheduled)[-1]["action"] == "message.failed"


def edit_form(message, **fields):
    return {"contact_id": message["contact_id"],
            "template_version_id": message["template_version_id"], "personal": "",
            "next_meeting_at": "", "when": "tomorrow_morning", "send_at_local": "",
            "action": "save", **fields}


def test_a_text_mend_already_tried_once_cannot_be_changed(worker, db, scheduled):
    """The look-up before a resend matches the text that was tried: changing it could
    mean a second, different text to someone who already got the first."""
    db.execute("UPDATE messages SET attempts = 1, ambiguous_at = '2026-11-25T11:00:00+00:00' "
               "WHERE id = ?", [scheduled])
    message = messages.get(db, scheduled)
    assert "Change this text" not in worker.get(f"/messages/{scheduled}").get_data(as_text=True)
    response = post_form(worker, f"/messages/{scheduled}/edit",
                         edit_form(message, personal="Different words."),
                         page=f"/messages/{scheduled}")
    assert "can no longer be changed" in worker.get(response.headers["Location"]).get_data(as_text=True)
    assert "Different words." not in messages.get(db, scheduled)["body"]


def test_editing_re_checks_consent(worker, db, scheduled):
    message = messages.get(db, scheduled)
    from storage import contacts
    contacts.record_consent(db, contact_id=message["contact_id"], state="pending",
                            method="in_person", recorded_by=message["worker_id"])
    page = post_form(worker, f"/messages/{scheduled}/edit",
                     edit_form(message, personal="Hope the week went well.")).get_data(as_text=True)
    assert "cannot be texted now" in page
    assert "Hope the week went well." not in messages.get(db, scheduled)["body"]


def test_a_consent_request_cannot_be_turned_into_another_text(worker, db, scheduled):
    db.execute("UPDATE messages SET purpose = 'consent_request' WHERE id = ?", [scheduled])
    assert worker.get(f"/messages/{scheduled}/edit").status_code == 404
    assert "Change this text" not in worker.get(f"/messages/{scheduled}").get_data(as_text=True)


def test_saving_an_edit_with_unseen_warnings_shows_them_first(worker, db, scheduled):
    message = messages.get(db, scheduled)
    url = f"/messages/{scheduled}/edit"
    held = post_form(worker, url, edit_form(message, personal="Hope the hostel is OK."))
    assert held.status_code == 200
    assert "Read the warnings above before you save" in held.get_data(as_text=True)
    assert "hostel" not in messages.get(db, scheduled)["body"]
    seen = re.search(r'name="seen_warnings" value="([0-9a-f]+)"', held.get_data(as_text=True)).group(1)
    saved = post_form(worker, url, edit_form(message, personal="Hope the hostel is OK.",
                                             seen_warnings=seen))
    assert saved.status_code == 302
    assert "hostel" in messages.get(db, scheduled)["body"]
