"""A person's details (safe hours, a number confirmed safe, editing), double opt-in,
and what the compose form refuses without consent."""
import re
from datetime import datetime, timedelta, timezone

import pytest
import time_machine

from scheduler.dispatcher import DispatchSettings, dispatch_due
from sms.gateways import ConsoleGateway
from sms.send_window import parse_window
from storage import contacts, events, messages
from storage.connection import from_db_time
from tests.harness.pages import add_contact, client_for, contact_id_from, post_form
from tests.harness.twilio_signing import TEST_AUTH_TOKEN, TEST_PUBLIC_BASE_URL, post_signed


@pytest.fixture
def app_config(app_config):
    return {**app_config, "SEND_WINDOW": "09:00-20:00", "TWILIO_AUTH_TOKEN": TEST_AUTH_TOKEN,
            "PUBLIC_BASE_URL": TEST_PUBLIC_BASE_URL, "SERVICE_NAME": "Mend"}


def visible_text(page):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)).replace(" .", ".")


def page_text(client, url):
    return visible_text(client.get(url).get_data(as_text=True))


def text_in(client, body, sid, from_number="+447911123456"):
    return post_signed(client, "/webhooks/twilio/inbound", {
        "MessageSid": f"SM{sid:032x}", "From": from_number, "To": "+447400123456",
        "Body": body})


ANY_TIME = DispatchSettings(zone="Europe/London", window=parse_window("00:00-24:00"))


# --- Safe hours --------------------------------------------------------------------------

@pytest.mark.parametrize("start, end, message", [
    ("10:00", "", "Give both a start and an end for their safe hours, or leave both empty."),
    ("10am", "6pm", "Enter safe hours as times of day, like 10:00 and 18:30."),
    ("18:00", "10:00", "Safe hours must end later in the day than they start."),
    ("07:00", "12:00", "Safe hours must be inside the service&#39;s send window, 09:00 to 20:00."),
    ("09:00", "20:00", "These are the same as the service&#39;s send window (09:00 to 20:00). "
                       "Make them narrower, or leave both empty."),
])
def test_safe_hours_that_are_not_narrower_than_the_send_window_are_explained(
        worker, db, start, end, message):
    response = add_contact(worker, name="Alex", safe_hours_start=start, safe_hours_end=end,
                           consent_note="met at the drop-in")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in page
    assert 'value="Alex"' in page and "met at the drop-in" in page
    assert f'value="{start}"' in page
    assert contacts.listing(db) == []


def test_safe_hours_are_kept_and_shown_on_their_page(worker, db):
    contact_id = contact_id_from(add_contact(worker, safe_hours_start="10:00",
                                             safe_hours_end="14:30"))
    contact = contacts.get(db, contact_id)
    assert (contact["safe_hours_start"], contact["safe_hours_end"]) == ("10:00", "14:30")
    assert "Safe hours 10:00 to 14:30" in page_text(worker, f"/contacts/{contact_id}")


def test_without_safe_hours_the_page_says_the_send_window_applies(worker):
    contact_id = contact_id_from(add_contact(worker))
    assert ("Safe hours Not set: any time in the service's send window (09:00 to 20:00)"
            in page_text(worker, f"/contacts/{contact_id}").replace("&#39;", "'"))


# --- Editing -----------------------------------------------------------------------------

def test_editing_a_person_saves_the_changes_and_audits_which_fields_changed(worker, db):
    contact_id = contact_id_from(add_contact(worker, name="Alex"))
    page = worker.get(f"/contacts/{contact_id}/edit").get_data(as_text=True)
    assert 'value="Alex"' in page and 'value="+44 7911 123456"' in page
    response = post_form(worker, f"/contacts/{contact_id}/edit", {
        "preferred_name": "Lex", "phone": "+44 7911 123456", "key_worker_id": "1",
        "ok_to_name_service": "y", "safe_hours_start": "12:00", "safe_hours_end": "17:00"})
    assert response.status_code == 302
    contact = contacts.get(db, contact_id)
    assert (contact["preferred_name"], contact["ok_to_name_service"],
            contact["safe_hours_start"], contact["safe_hours_end"]) == ("Lex", 1, "12:00", "17:00")
    assert contact["number_confirmed_on"] is not None  # same number: still confirmed
    [updated] = [e for e in events.for_subject(db, "contact", contact_id)
                 if e["action"] == "contact.updated"]
    assert updated["detail"] == {"changed": ["ok_to_name_service", "preferred_name",
                                             "safe_hours_end", "safe_hours_start"],
                                 "key_worker_id": 1}


def test_a_new_number_is_not_confirmed_safe_until_someone_checks(worker, db):
    contact_id = contact_id_from(add_contact(worker))
    post_form(worker, f"/contacts/{contact_id}/edit", {
        "preferred_name": "Alex", "phone": "07922 000111", "key_worker_id": "1"})
    contact = contacts.get(db, contact_id)
    assert (contact["phone"], contact["number_confirmed_on"]) == ("+447922000111", None)
    assert "No one has checked yet that this number is safe to text." in page_text(
        worker, f"/contacts/{contact_id}")


@pytest.mark.parametrize("phone, message", [
    ("0207 946 0000", "That looks like a landline. Mend can only text mobile numbers."),
    ("07911 222333", "Another person already has this number."),
])
def test_an_edit_with_a_bad_or_shared_number_is_explained_and_keeps_what_was_typed(
        worker, db, phone, message):
    add_contact(worker, name="Jamie", phone="07911 222333")
    contact_id = contact_id_from(add_contact(worker, name="Alex"))
    response = post_form(worker, f"/contacts/{contact_id}/edit", {
        "preferred_name": "Alexandra", "phone": phone, "key_worker_id": "1"})
    page = response.get_data(as_text=True)
    assert message in page
    assert 'value="Alexandra"' in page
    assert contacts.get(db, contact_id)["preferred_name"] == "Alex"


def test_another_worker_cannot_edit_or_erase_someone_outside_their_caseload(
        worker, other_worker, reviewer):
    contact_id = contact_id_from(add_contact(worker))
    assert other_worker.get(f"/contacts/{contact_id}/edit").status_code == 404
    assert other_worker.get(f"/contacts/{contact_id}/erase").status_code == 404
    assert reviewer.get(f"/contacts/{contact_id}/erase").status_code == 403


# --- A number confirmed safe -------------------------------------------------------------

def test_the_page_asks_to_reconfirm_a_number_older_than_the_setting_and_records_it(app, db):
    with time_machine.travel("2027-06-01 12:00:00+00:00", tick=False):
        contact_id = contact_id_from(add_contact(client_for(app, "worker")))
    with time_machine.travel("2027-06-30 12:00:00+00:00", tick=False):
        page = page_text(client_for(app, "worker"), f"/contacts/{contact_id}")
        assert "Number last confirmed safe Tue 1 Jun 2027, 1:00pm" in page
        assert "since anyone checked" not in page
    with time_machine.travel("2027-07-02 12:00:00+00:00", tick=False):
        worker = client_for(app, "worker")
        page = page_text(worker, f"/contacts/{contact_id}")
        assert "It is more than 30 days since anyone checked this number is safe to text." in page
        response = post_form(worker, f"/contacts/{contact_id}/number-confirmed", {},
                             page=f"/contacts/{contact_id}")
        assert "Recorded: you checked today that their number is safe to text." in page_text(
            worker, response.headers["Location"])
    assert contacts.get(db, contact_id)["number_confirmed_on"] == "2027-07-02T12:00:00+00:00"
    assert "contact.number_confirmed" in [
        e["action"] for e in events.for_subject(db, "contact", contact_id)]


def compose_data(contact_id, db, **extra):
    version = db.execute("SELECT id FROM template_versions WHERE template_id = "
                         "'door-stays-open'").fetchone()[0]
    return {"contact_id": str(contact_id), "template_version_id": str(version),
            "next_meeting_at": "", "personal": "", "when": "now", "send_at_local": "",
            "action": "confirm", **extra}


def test_the_reconfirm_period_is_a_setting(app, db):
    app.config["NUMBER_RECONFIRM_DAYS"] = 7
    with time_machine.travel("2027-06-01 12:00:00+00:00", tick=False):
        contact_id = contact_id_from(add_contact(client_for(app, "worker")))
    with time_machine.travel("2027-06-09 12:00:00+00:00", tick=False):
        assert "It is more than 7 days since anyone checked" in page_text(
            client_for(app, "worker"), f"/contacts/{contact_id}")


# --- Without consent nothing is scheduled --------------------------------------------------

def test_compose_refuses_someone_still_waiting_to_confirm_and_says_why(worker, db):
    contact_id = contact_id_from(add_contact(worker, consent="confirm_by_text"))
    page = post_form(worker, "/compose/", compose_data(contact_id, db)).get_data(as_text=True)
    assert ("Alex cannot be texted now: waiting for them to confirm. Nothing was sent."
            in page)
    assert [m["purpose"] for m in messages.for_contact(db, contact_id)] == ["consent_request"]


# --- Double opt-in -----------------------------------------------------------------------

@pytest.mark.parametrize("name_service, body", [
    ("", "Hi Alex, it's Sam. I'd like to text you now and then about our meetings, with no "
            "need to reply. Reply YES if that's OK, or STOP at any time."),
    ("y", "Hi Alex, it's Sam from Mend. I'd like to text you now and then about our "
          "meetings, with no need to reply. Reply YES if that's OK, or STOP at any time."),
])
def test_double_opt_in_sends_a_confirmation_text_and_waits_for_yes(
        app, client, db, name_service, body):
    with time_machine.travel("2027-06-01 11:00:00+00:00", tick=False):
        worker = client_for(app, "worker")
        response = add_contact(worker, consent="confirm_by_text",
                               ok_to_name_service=name_service)
        contact_id = contact_id_from(response)
        assert ("Added Alex. Mend will send the confirmation text now, and nothing else until "
                "they reply YES.") in page_text(worker, response.headers["Location"])
        assert contacts.current_consent(db, contact_id) == "pending"
        [request] = messages.for_contact(db, contact_id)
        assert (request["body"], request["purpose"], request["template_version_id"]) == (
            body, "consent_request", None)
        dispatch_due(db, ConsoleGateway(), now=datetime.now(timezone.utc), settings=ANY_TIME)
        assert messages.get(db, request["id"])["status"] == "sent"

        text_in(client, "yes", sid=1)
        assert "Alex texted YES. They agreed to get texts." in page_text(worker, "/dashboard")
    assert contacts.current_consent(db, contact_id) == "granted"
    latest = contacts.consent_history(db, contact_id)[0]
    assert (latest["state"], latest["method"], latest["note"]) == (
        "granted", "text_reply", "They texted YES. This confirms the request sent to them.")


def test_the_confirmation_text_waits_for_the_send_window_and_their_safe_hours(app, db):
    with time_machine.travel("2027-06-01 21:30:00+00:00", tick=False):  # 22:30 in London
        worker = client_for(app, "worker")
        response = add_contact(worker, consent="confirm_by_text",
                               safe_hours_start="11:00", safe_hours_end="15:00")
        assert ("Mend will send the confirmation text at Wed 2 Jun 2027, 11:00am"
                in page_text(worker, response.headers["Location"]))
    [request] = messages.for_contact(db, contact_id_from(response))
    assert request["scheduled_for"] == "2027-06-02T10:00:00+00:00"


def test_a_pending_person_gets_only_the_confirmation_text_never_a_repair_text(worker, db,
                                                                             user_ids):
    contact_id = contact_id_from(add_contact(worker, consent="confirm_by_text"))
    [request] = messages.for_contact(db, contact_id)
    due = from_db_time(request["scheduled_for"])
    repair = messages.create(
        db, contact_id=contact_id, worker_id=user_ids["worker"], template_version_id=None,
        body="Hi Alex", encoding="GSM-7", characters=7, parts=1, warnings=[],
        scheduled_for=due)
    dispatch_due(db, ConsoleGateway(), now=due + timedelta(minutes=1), settings=ANY_TIME)
    statuses = {m["id"]: (m["purpose"], m["status"]) for m in messages.for_contact(db, contact_id)}
    assert statuses[repair] == ("repair", "cancelled")
    assert sorted(statuses.values()) == [("consent_request", "sent"), ("repair", "cancelled")]


def test_stop_before_the_confirmation_goes_cancels_it(app, client, db):
    with time_machine.travel("2027-06-01 21:30:00+00:00", tick=False):
        contact_id = contact_id_from(add_contact(client_for(app, "worker"), consent="confirm_by_text"))
        text_in(client, "STOP", sid=1)
    [request] = messages.for_contact(db, contact_id)
    assert (request["status"], request["status_reason"]) == (
        "cancelled", "They texted STOP, so Mend will not text them.")


def test_a_confirmation_text_is_not_sent_once_they_answered_in_person(worker, db):
    contact_id = contact_id_from(add_contact(worker, consent="confirm_by_text"))
    post_form(worker, f"/contacts/{contact_id}/consent", {"change": "granted:in_person"},
              page=f"/contacts/{contact_id}")
    [request] = messages.for_contact(db, contact_id)
    dispatch_due(db, ConsoleGateway(), settings=ANY_TIME,
                 now=from_db_time(request["scheduled_for"]) + timedelta(minutes=1))
    [request] = messages.for_contact(db, contact_id)
    assert (request["status"], request["status_reason"]) == (
        "cancelled", "They are no longer waiting to confirm, so it was not sent.")


@pytest.mark.parametrize("first, change, message", [
    ("STOP", "pending:text_reply",
     "They texted STOP, so Mend will not text them, not even to ask. If they want texts "
     "again, they can text START, or tell you in person."),
    (None, "pending:text_reply", None),
])
def test_mend_never_asks_someone_who_texted_stop_to_confirm(worker, client, db, first,
                                                            change, message):
    contact_id = contact_id_from(add_contact(worker))
    if first:
        text_in(client, first, sid=1)
    response = post_form(worker, f"/contacts/{contact_id}/consent", {"change": change},
                         page=f"/contacts/{contact_id}")
    if message:
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)
        assert all(m["purpose"] != "consent_request"
                   for m in messages.for_contact(db, contact_id))
    else:
        assert response.status_code == 302
        assert contacts.current_consent(db, contact_id) == "pending"


def test_asking_twice_while_a_confirmation_text_waits_is_refused(app, db):
    with time_machine.travel("2027-06-01 21:30:00+00:00", tick=False):
        worker = client_for(app, "worker")
        contact_id = contact_id_from(add_contact(worker, consent="confirm_by_text"))
        response = post_form(worker, f"/contacts/{contact_id}/consent",
                             {"change": "pending:text_reply"}, page=f"/contacts/{contact_id}")
    assert "A confirmation text is already waiting to go to them." in response.get_data(
        as_text=True)
    assert len(messages.for_contact(db, contact_id)) == 1


def test_recording_agreement_after_stop_warns_the_network_still_blocks(worker, client, db):
    contact_id = contact_id_from(add_contact(worker))
    text_in(client, "STOP", sid=1)
    response = post_form(worker, f"/contacts/{contact_id}/consent",
                         {"change": "granted:in_person"}, page=f"/contacts/{contact_id}")
    assert ("Recorded: they agreed to texts. They had texted STOP, so their phone network "
            "blocks texts until they text START to this number.") in page_text(
        worker, response.headers["Location"])
