"""A number that is no longer theirs: failures that say so hold every text to the
person, their page says why, and nothing goes until a worker checks the number with
them in person. Signed status callbacks and the real twilio client against the fake."""
from datetime import timedelta

import pytest

from actions import number_hold
from scheduler.dispatcher import dispatch_due
from storage import contacts, events, messages
from tests.harness.database import NOON_ISH, add_message, add_person, status_of
from tests.harness.delivery import settings
from tests.harness.pages import add_contact, post_form
from tests.harness.twilio_signing import TEST_AUTH_TOKEN, TEST_PUBLIC_BASE_URL
from tests.test_inbound_webhook import visible_text
from tests.test_status_callbacks import callback

LATER = NOON_ISH + timedelta(hours=1)


@pytest.fixture
def app_config(app_config):
    return {**app_config, "PUBLIC_BASE_URL": TEST_PUBLIC_BASE_URL,
            "TWILIO_AUTH_TOKEN": TEST_AUTH_TOKEN}


@pytest.fixture
def alex(db, user_ids):
    return add_person(db, user_ids["worker"])


def send_one(db, gateway, worker_id, contact_id, at, body="Hi Alex, it's Sam. No need to reply."):
    message_id = add_message(db, worker_id, contact_id, body=body, due=at)
    dispatch_due(db, gateway, at, settings())
    return message_id, messages.get(db, message_id)["provider_sid"]


def contact_actions(db, contact_id):
    return [e["action"] for e in events.for_subject(db, "contact", contact_id)]


def test_a_number_the_network_does_not_know_holds_every_text_until_checked_in_person(
        client, worker, db, user_ids, alex, fake_twilio, gateway):
    first, sid = send_one(db, gateway, user_ids["worker"], alex, NOON_ISH)
    waiting = add_message(db, user_ids["worker"], alex, body="Hi Alex, it's Sam. Thinking of "
                          "you. No need to reply.", due=LATER)

    callback(client, first, "failed", sid=sid, error_code=30005)

    page = visible_text(worker.get(f"/contacts/{alex}").get_data(as_text=True))
    assert ("Texts to Alex are held. The network does not know this number; it may no "
            "longer be in use. Nothing is sent to this number until someone checks it with "
            "them in person.") in page
    held = events.for_subject(db, "contact", alex)[-1]
    assert (held["action"], held["actor_type"], held["detail"]["held_messages"]) == (
        "contact.number_held", "twilio", [waiting])

    dispatch_due(db, gateway, LATER, settings())
    assert status_of(db, waiting) == "scheduled"
    assert len(fake_twilio.created) == 1  # only the first text ever reached the provider
    assert "until someone checks the number with them in person" in \
        messages.get(db, waiting)["status_reason"]

    unticked = post_form(worker, f"/team/people/{alex}/number-checked", {},
                         page=f"/contacts/{alex}")
    assert unticked.status_code == 302
    assert contacts.get(db, alex)["number_flag"] is not None  # nothing changed

    post_form(worker, f"/team/people/{alex}/number-checked", {"confirm": "y"},
              page=f"/contacts/{alex}")
    assert contacts.get(db, alex)["number_flag"] is None
    lifted = events.for_subject(db, "contact", alex)[-1]
    assert (lifted["action"], lifted["actor_id"], lifted["detail"]["released_messages"]) == (
        "contact.number_hold_lifted", user_ids["worker"], [waiting])

    dispatch_due(db, gateway, LATER + timedelta(minutes=1), settings())
    assert status_of(db, waiting) == "sent"


def test_unreachable_twice_is_not_enough_three_times_in_a_row_is(
        client, db, user_ids, alex, fake_twilio, gateway):
    for attempt in range(3):
        at = NOON_ISH + timedelta(minutes=10 * attempt)
        message_id, sid = send_one(db, gateway, user_ids["worker"], alex, at,
                                   body=f"Hi Alex, it's Sam ({attempt}). No need to reply.")
        callback(client, message_id, "undelivered", sid=sid, error_code=30003)
        held = contacts.get(db, alex)["number_flag"] is not None
        assert held == (attempt == 2)
    assert contacts.get(db, alex)["number_flag"] == (
        "The last texts to this number could not reach the phone, 3 times in a row; it may "
        "no longer be theirs.")


def test_a_delivered_text_between_unreachable_ones_starts_the_count_again(
        client, db, user_ids, alex, fake_twilio, gateway):
    outcomes = [("undelivered", 30003), ("undelivered", 30003), ("delivered", None),
                ("undelivered", 30003), ("undelivered", 30003)]
    for index, (status, code) in enumerate(outcomes):
        at = NOON_ISH + timedelta(minutes=10 * index)
        message_id, sid = send_one(db, gateway, user_ids["worker"], alex, at,
                                   body=f"Hi Alex, it's Sam ({index}). No need to reply.")
        callback(client, message_id, status, sid=sid, error_code=code)
    assert contacts.get(db, alex)["number_flag"] is None
    assert "contact.number_held" not in contact_actions(db, alex)


def test_a_send_refused_as_not_a_mobile_holds_their_other_texts(
        db, user_ids, alex, fake_twilio, gateway):
    fake_twilio.reject_number("+447911123456", 21614)
    refused = add_message(db, user_ids["worker"], alex, due=NOON_ISH)
    later = add_message(db, user_ids["worker"], alex, body="Hi Alex, it's Sam again. "
                        "No need to reply.", due=LATER)
    dispatch_due(db, gateway, NOON_ISH, settings())
    assert status_of(db, refused) == "failed"
    assert contact_actions(db, alex)[-2:] == ["contact.number_flagged", "contact.number_held"]
    assert events.for_subject(db, "contact", alex)[-1]["detail"]["held_messages"] == [later]
    fake_twilio.number_errors.clear()
    dispatch_due(db, gateway, LATER, settings())
    assert status_of(db, later) == "scheduled"
    assert fake_twilio.created == []


def test_a_held_text_still_expires_rather_than_going_late(db, user_ids, alex, fake_twilio,
                                                          gateway):
    number_hold_flag(db, alex)
    waiting = add_message(db, user_ids["worker"], alex, due=NOON_ISH)
    dispatch_due(db, gateway, NOON_ISH, settings())
    assert status_of(db, waiting) == "scheduled"
    dispatch_due(db, gateway, NOON_ISH + timedelta(hours=3), settings())
    assert status_of(db, waiting) == "expired"
    assert fake_twilio.created == []


def number_hold_flag(db, contact_id):
    """Two failures that mean "not theirs", recorded as the provider reported them."""
    message_id = add_message(db, 1, contact_id, body="Hi Alex, it's Sam. Take care.",
                             due=NOON_ISH - timedelta(days=1))
    messages.transition(db, message_id, from_statuses=("scheduled",), to_status="failed",
                        error_code=30006)
    assert number_hold.after_failure(db, contact_id, error_code=30006) is not None


def test_spam_filtering_or_a_blocked_text_does_not_hold_the_number(db, user_ids, alex):
    message_id = add_message(db, user_ids["worker"], alex, due=NOON_ISH)
    messages.transition(db, message_id, from_statuses=("scheduled",), to_status="undelivered",
                        error_code=30007)
    assert number_hold.after_failure(db, alex, error_code=30007) is None
    assert contacts.get(db, alex)["number_flag"] is None


def test_only_someone_who_may_see_the_person_can_lift_the_hold(other_worker, db, alex):
    number_hold_flag(db, alex)
    response = post_form(other_worker, f"/team/people/{alex}/number-checked",
                         {"confirm": "y"}, page="/dashboard")
    assert response.status_code == 404
    assert contacts.get(db, alex)["number_flag"] is not None


@pytest.mark.parametrize("landline", ["020 7946 0000", "0161 496 0000"])
def test_a_landline_is_refused_when_a_number_is_entered(worker, landline):
    response = add_contact(worker, name="Lee", phone=landline)
    assert response.status_code == 200
    assert "That looks like a landline. Mend can only text mobile numbers." in \
        response.get_data(as_text=True)
