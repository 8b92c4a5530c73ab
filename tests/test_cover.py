"""Cover: while the key worker is away, the cover worker sees their people, threads and
unread replies, can read and reply, and everything they do is recorded as them. Cover
is one of only two ways (with handover) to widen the caseload rule."""
import re
from datetime import date, timedelta

import pytest

from actions import cover
from sms.people import in_caseload
from storage import events, messages, team
from tests.harness.pages import add_contact, contact_id_from, post_form
from tests.harness.twilio_signing import TEST_AUTH_TOKEN, TEST_PUBLIC_BASE_URL, post_signed
from tests.test_compose import schedule_text, version_id
from tests.test_inbound_webhook import text_in, visible_text

TODAY = date.today()  # the test app's zone is Europe/London; tests run near UTC


@pytest.fixture
def app_config(app_config):
    return {**app_config, "TWILIO_AUTH_TOKEN": TEST_AUTH_TOKEN,
            "PUBLIC_BASE_URL": TEST_PUBLIC_BASE_URL, "TIMEZONE": "UTC"}


@pytest.fixture
def alex(worker):
    return contact_id_from(add_contact(worker, name="Alex", phone="07911 123456"))


def set_cover(client, user_ids, *, starts_on=TODAY, ends_on=TODAY + timedelta(days=7),
              cover_worker="other_worker", key_worker=None):
    data = {"cover_worker_id": user_ids[cover_worker], "starts_on": starts_on.isoformat(),
            "ends_on": ends_on.isoformat()}
    if key_worker:
        data["key_worker_id"] = user_ids[key_worker]
    else:
        data["key_worker_id"] = user_ids["worker"]
    return post_form(client, "/team/cover", data)


def test_the_caseload_rule_widens_only_for_the_key_workers_covered():
    assert in_caseload(1, user_id=2, sees_everyone=False, covering=frozenset({1}))
    assert not in_caseload(3, user_id=2, sees_everyone=False, covering=frozenset({1}))
    assert not in_caseload(1, user_id=2, sees_everyone=False)


def test_without_cover_another_worker_gets_404_everywhere(worker, other_worker, db, alex):
    text_in(worker, "It was a hard day")
    reply_id = team.unread_replies(db)[0]["id"]
    for url in (f"/contacts/{alex}", f"/contacts/{alex}/edit"):
        assert other_worker.get(url).status_code == 404
    assert post_form(other_worker, f"/inbox/{reply_id}/read", {},
                     page="/dashboard").status_code == 404
    assert "It was a hard day" not in other_worker.get("/dashboard").get_data(as_text=True)


def test_during_cover_the_cover_worker_sees_the_person_and_unread_reply(
        worker, other_worker, user_ids, db, alex):
    assert set_cover(worker, user_ids).status_code == 302
    text_in(worker, "It was a hard day")
    dashboard = visible_text(other_worker.get("/dashboard").get_data(as_text=True))
    assert "Covering for Sam Worker 1 unread" in dashboard
    assert "It was a hard day" in dashboard
    assert "Alex" in other_worker.get("/contacts/").get_data(as_text=True)
    page = other_worker.get(f"/contacts/{alex}")
    assert page.status_code == 200 and "It was a hard day" in page.get_data(as_text=True)


def test_the_cover_worker_replies_as_themselves_and_it_is_audited_as_them(
        worker, other_worker, user_ids, db, alex):
    set_cover(worker, user_ids)
    text_in(worker, "It was a hard day")
    reply_id = team.unread_replies(db)[0]["id"]
    assert post_form(other_worker, f"/inbox/{reply_id}/read", {},
                     page="/dashboard").status_code == 302
    response = schedule_text(other_worker, alex, version_id(db, "door-stays-open"))
    message = messages.get(db, int(re.search(r"/messages/(\d+)", response.headers["Location"])
                                   .group(1)))
    assert message["worker_id"] == user_ids["other_worker"]
    assert "it's Jo" in message["body"]  # signed by the cover worker, never as Sam
    read = [e for e in events.for_subject(db, "inbound_message", reply_id)
            if e["action"] == "inbound.read"]
    assert [(e["actor_type"], e["actor_id"]) for e in read] == [("user", user_ids["other_worker"])]
    scheduled = events.for_subject(db, "message", message["id"])[0]
    assert (scheduled["action"], scheduled["actor_id"]) == ("message.scheduled",
                                                            user_ids["other_worker"])


def test_cover_does_not_let_the_cover_worker_erase_or_take_the_person(
        worker, other_worker, user_ids, db, alex):
    set_cover(worker, user_ids)
    assert other_worker.get(f"/contacts/{alex}/erase").status_code == 403
    post_form(other_worker, f"/contacts/{alex}/edit", {
        "preferred_name": "Alex", "phone": "07911 123456",
        "key_worker_id": user_ids["other_worker"]})
    from storage import contacts
    assert contacts.get(db, alex)["key_worker_id"] == user_ids["worker"]


@pytest.mark.parametrize("starts, ends", [(1, 3), (-5, -1)])
def test_before_or_after_cover_the_person_is_not_theirs_to_see(
        other_worker, user_ids, db, alex, starts, ends):
    cover_id = team.create_cover(db, key_worker_id=user_ids["worker"],
                                 cover_worker_id=user_ids["other_worker"],
                                 starts_on=TODAY + timedelta(days=starts),
                                 ends_on=TODAY + timedelta(days=ends),
                                 created_by=user_ids["worker"])
    assert cover_id
    assert other_worker.get(f"/contacts/{alex}").status_code == 404


def test_ending_cover_ends_what_the_cover_worker_sees(worker, other_worker, user_ids, db, alex):
    set_cover(worker, user_ids)
    assert other_worker.get(f"/contacts/{alex}").status_code == 200
    cover_id = team.covers_not_over(db, today=TODAY)[0]["id"]
    assert post_form(worker, f"/team/cover/{cover_id}/end", {},
                     page="/team/cover").status_code == 302
    assert other_worker.get(f"/contacts/{alex}").status_code == 404
    assert [e["action"] for e in events.for_subject(db, "cover", cover_id)] == [
        "cover.set", "cover.ended"]


def test_a_worker_cannot_set_or_end_cover_for_someone_elses_people(
        worker, other_worker, user_ids, db, alex):
    response = set_cover(other_worker, user_ids, cover_worker="other_worker",
                         key_worker="worker")
    assert response.status_code == 400  # the only choice offered is themselves
    assert team.covers_not_over(db, today=TODAY) == []
    set_cover(worker, user_ids)
    cover_id = team.covers_not_over(db, today=TODAY)[0]["id"]
    third = cover.end_cover(db, cover_id, user_id=user_ids["reviewer"], role="reviewer")
    assert third.problem == "That cover is not yours to end."


def test_an_admin_sets_cover_for_a_worker(admin, other_worker, user_ids, db, alex):
    assert set_cover(admin, user_ids, key_worker="worker").status_code == 302
    assert other_worker.get(f"/contacts/{alex}").status_code == 200


@pytest.mark.parametrize("starts, ends, message", [
    (3, 1, "The last day of cover must be on or after the first day."),
    (-9, -2, "That cover has already ended. Choose dates from today onwards."),
    (0, 400, "Cover can last up to a year. For longer, hand their people over to a new "
             "key worker instead."),
])
def test_wrong_dates_get_a_clear_message_and_nothing_is_saved(
        worker, user_ids, db, starts, ends, message):
    response = set_cover(worker, user_ids, starts_on=TODAY + timedelta(days=starts),
                         ends_on=TODAY + timedelta(days=ends))
    assert response.status_code == 400
    assert message in visible_text(response.get_data(as_text=True))
    assert team.covers_not_over(db, today=TODAY - timedelta(days=30)) == []


def test_an_unreadable_date_is_refused_in_words(worker, user_ids):
    response = post_form(worker, "/team/cover", {
        "key_worker_id": user_ids["worker"], "cover_worker_id": user_ids["other_worker"],
        "starts_on": "next tuesday", "ends_on": ""})
    page = visible_text(response.get_data(as_text=True))
    assert response.status_code == 400
    assert "Enter a date, such as 2026-12-24." in page
    assert "Enter the last day of cover." in page


def test_nobody_covers_themselves(db, user_ids):
    result = cover.set_cover(db, key_worker_id=user_ids["worker"],
                             cover_worker_id=user_ids["worker"], starts_on=TODAY,
                             ends_on=TODAY, user_id=user_ids["worker"], role="worker",
                             today=TODAY)
    assert (result.cover_id, result.problem) == (
        None, "Choose someone else to cover: a worker cannot cover themselves.")


def test_a_signed_reply_during_cover_reaches_the_cover_workers_dashboard(
        client, worker, other_worker, user_ids, alex):
    set_cover(worker, user_ids)
    response = post_signed(client, "/webhooks/twilio/inbound", {
        "MessageSid": "SM" + "a" * 32, "From": "+447911123456", "To": "+447400123456",
        "Body": "Are you there?", "AccountSid": "AC" + "0" * 32})
    assert response.status_code == 200
    assert "Are you there?" in other_worker.get("/dashboard").get_data(as_text=True)
