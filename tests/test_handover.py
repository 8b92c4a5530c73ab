"""Handover: an admin or a team lead moves a person to a new key worker, with their
thread, unread replies and waiting texts (signed again by the new worker, or
cancelled with a reason), and optionally the reviewed "I am moving on" text."""
import pytest

from actions import handover
from sms.service import Service
from storage import contacts, events, messages
from tests.harness.pages import add_contact, contact_id_from, post_form
from tests.harness.twilio_signing import TEST_AUTH_TOKEN, TEST_PUBLIC_BASE_URL
from tests.test_compose import schedule_text, version_id
from tests.test_inbound_webhook import text_in, visible_text


@pytest.fixture
def app_config(app_config):
    return {**app_config, "TWILIO_AUTH_TOKEN": TEST_AUTH_TOKEN,
            "PUBLIC_BASE_URL": TEST_PUBLIC_BASE_URL}


@pytest.fixture
def alex(worker):
    return contact_id_from(add_contact(worker, name="Alex", phone="07911 123456"))


@pytest.fixture
def waiting(worker, db, alex):
    """A text Sam scheduled for tomorrow morning, with a personal line."""
    response = schedule_text(worker, alex, version_id(db, "door-stays-open"),
                             when="tomorrow_morning", personal="I liked our chat about music.")
    return int(response.headers["Location"].rsplit("/", 1)[1])


def hand_over(client, contact_id, user_ids, **fields):
    data = {"new_worker_id": user_ids["other_worker"], "scheduled": "re_sign",
            "cancel_reason": "", **fields}
    return post_form(client, f"/team/people/{contact_id}/handover", data)


def test_the_person_their_replies_and_waiting_texts_move_to_the_new_worker(
        client, admin, worker, other_worker, user_ids, db, alex, waiting):
    text_in(client, "It was a hard day")
    before = messages.get(db, waiting)["body"]
    assert before.startswith("Hi Alex, it's Sam.")

    response = hand_over(admin, alex, user_ids)
    assert response.status_code == 302
    assert contacts.get(db, alex)["key_worker_id"] == user_ids["other_worker"]
    moved = messages.get(db, waiting)
    assert moved["body"] == before.replace("it's Sam", "it's Jo")
    assert "I liked our chat about music." in moved["body"]
    assert (moved["status"], moved["worker_id"]) == ("scheduled", user_ids["other_worker"])
    re_signed = events.for_subject(db, "message", waiting)[-1]
    assert (re_signed["action"], re_signed["detail"]["to_worker_id"]) == (
        "message.re_signed", user_ids["other_worker"])

    assert worker.get(f"/contacts/{alex}").status_code == 404  # no longer theirs
    dashboard = other_worker.get("/dashboard").get_data(as_text=True)
    assert "It was a hard day" in dashboard
    handed = events.for_subject(db, "contact", alex)[-1]
    assert (handed["action"], handed["actor_id"], handed["detail"]["re_signed"],
            handed["detail"]["unread_replies"]) == (
        "contact.handed_over", user_ids["admin"], [waiting], 1)


def test_the_previous_workers_open_repair_closes_and_their_replies_stay_with_the_new_worker(
        client, admin, worker, user_ids, db, alex):
    """A repair carries its worker's private reflection, so it does not pass on: it
    closes as "not recorded", and the person's later replies no longer reach it (or the
    previous worker)."""
    from actions.repairs import reflect, start_repair
    from storage import repairs
    from storage.connection import utc_now
    repair_id = start_repair(db, contact_id=alex, worker_id=user_ids["worker"],
                             situation="went-quiet", happened_at=utc_now(), note="")
    reflect(db, repairs.get(db, repair_id), answers={"how_it_felt": "Unsettled."},
            worker_id=user_ids["worker"])
    assert hand_over(admin, alex, user_ids).status_code == 302
    closed = repairs.get(db, repair_id)
    assert (closed["ending"], closed["worker_id"]) == ("not_recorded", user_ids["worker"])
    text_in(client, "Thanks for last week")
    assert repairs.replies(db, repair_id) == []
    handed = events.for_subject(db, "contact", alex)[-1]
    assert handed["detail"]["repairs"] == [repair_id]


def test_waiting_texts_can_be_cancelled_with_a_reason_instead(admin, user_ids, db, alex,
                                                               waiting):
    empty = hand_over(admin, alex, user_ids, scheduled="cancel")
    assert "Say why the waiting texts are cancelled." in visible_text(empty.get_data(as_text=True))
    assert contacts.get(db, alex)["key_worker_id"] == user_ids["worker"]  # nothing changed

    hand_over(admin, alex, user_ids, scheduled="cancel",
              cancel_reason="Jo will write her own after meeting them.")
    message = messages.get(db, waiting)
    assert (message["status"], message["status_reason"]) == (
        "cancelled", "Cancelled at the handover to a new key worker: Jo will write her own "
                     "after meeting them.")


def test_the_moving_on_text_comes_from_the_outgoing_worker_and_names_the_new_one(
        reviewer, user_ids, db, alex):
    response = hand_over(reviewer, alex, user_ids, send_notice="y")
    assert response.status_code == 302
    [notice] = [m for m in messages.for_contact(db, alex) if m["purpose"] == "handover"]
    assert notice["body"] == (
        "Hi Alex, it's Sam. I'm moving on from my role. Jo will be your worker now and will "
        "be in touch. No need to reply.")
    assert (notice["worker_id"], notice["status"]) == (user_ids["worker"], "scheduled")


def test_no_moving_on_text_to_someone_who_said_no_and_nothing_changes(admin, user_ids, db,
                                                                       worker):
    contact_id = contact_id_from(add_contact(worker, name="Bo", phone="07922 000111"))
    post_form(worker, f"/contacts/{contact_id}/consent",
              {"change": "withdrawn:withdrawn_by_worker"}, page=f"/contacts/{contact_id}")
    response = hand_over(admin, contact_id, user_ids, send_notice="y")
    assert response.status_code == 400
    assert "They have not agreed to texts, so Mend cannot send the moving-on text." in \
        visible_text(response.get_data(as_text=True))
    assert contacts.get(db, contact_id)["key_worker_id"] == user_ids["worker"]


def test_only_an_admin_or_team_lead_hands_over(worker, user_ids, db, alex, app):
    assert worker.get(f"/team/people/{alex}/handover").status_code == 403
    result = handover.hand_over(db, alex, new_worker_id=user_ids["other_worker"],
                                scheduled="re_sign", send_notice=False,
                                user_id=user_ids["worker"], role="worker",
                                service=Service.from_config(app.config))
    assert result.problem == "Only an admin or a team lead can hand a person over."
    assert contacts.get(db, alex)["key_worker_id"] == user_ids["worker"]


def test_the_key_worker_cannot_be_changed_by_editing_details(worker, admin, user_ids, db, alex):
    post_form(admin, f"/contacts/{alex}/edit", {
        "preferred_name": "Alex", "phone": "07911 123456",
        "key_worker_id": user_ids["other_worker"]})
    assert contacts.get(db, alex)["key_worker_id"] == user_ids["worker"]
