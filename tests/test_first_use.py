"""What a new worker hit on first use: times that say what they mean, a personal line
whose budget counts the whole text, and advice after a hard moment."""
import re
from datetime import datetime, timezone

import pytest
import time_machine

import settings
from tests.harness.pages import add_contact, client_for, contact_id_from, post_form
from tests.test_compose import compose, version_id


@pytest.fixture
def alex(worker):
    return contact_id_from(add_contact(worker, name="Alex"))


@pytest.mark.parametrize("moment, shown", [
    (datetime(2026, 12, 3, 0, 0, tzinfo=timezone.utc), "Thu 3 Dec 2026, midnight"),
    (datetime(2026, 12, 3, 12, 0, tzinfo=timezone.utc), "Thu 3 Dec 2026, noon"),
    (datetime(2026, 12, 3, 0, 30, tzinfo=timezone.utc), "Thu 3 Dec 2026, 12:30am"),
    (datetime(2026, 7, 3, 11, 0, tzinfo=timezone.utc), "Fri 3 Jul 2026, noon"),  # BST
    (datetime(2026, 12, 3, 14, 5, tzinfo=timezone.utc), "Thu 3 Dec 2026, 2:05pm"),
])
def test_times_are_never_ambiguous(app, moment, shown):
    from web.formatting import local_time
    with app.app_context():
        assert local_time(moment) == shown


def budget_of(worker, alex, version, personal):
    return post_form(worker, "/compose/preview", {
        "contact_id": alex, "template_version_id": version, "personal": personal},
        page="/compose/").get_json()


def test_the_personal_line_budget_counts_the_whole_text(worker, db, alex):
    version = version_id(db, "door-stays-open")  # 91 characters before the personal line
    short = budget_of(worker, alex, version, "Hope all is well.")
    assert (short["parts"], short["budget"], short["budget_over"]) == (
        1, "51 characters before this text becomes 2 parts.", False)
    longer = budget_of(worker, alex, version, "x" * 70)
    assert (longer["parts"], longer["budget"], longer["budget_over"]) == (
        2, "This text is now 2 parts, so it costs twice as much. 144 characters before it "
           "becomes 3 parts.", True)
    page = compose(worker, alex, version, personal="x" * 70).get_data(as_text=True)
    assert ('class="hint budget budget--over" id="personal-budget" aria-live="polite">This '
            'text is now 2 parts') in page
    assert "characters left" not in page


def test_after_they_left_angry_the_form_suggests_the_morning_and_the_worker_can_still_choose(
        worker, db, alex):
    page = worker.get("/compose/").get_data(as_text=True)
    assert 'data-cooling-off="ended-early-for-safety left-angry"' in page
    assert 'id="cooling-off" hidden>' in page  # there for the script to show at once
    chosen = compose(worker, alex, version_id(db, "feelings-made-sense"),
                     when="now").get_data(as_text=True)
    assert 'id="cooling-off">After a hard moment' in chosen
    assert re.search(r'<input checked id="when-\d" name="when" type="radio" value="now">', chosen)


@pytest.mark.parametrize("value", ["7am", "25:00", "", "10"])
def test_a_morning_time_that_is_not_a_time_of_day_is_refused(value):
    config = {**settings.DEFAULTS, "MORNING_TIME": value, "RETENTION_DAYS": 365}
    with pytest.raises(settings.SettingsError) as raised:
        settings.validate(config, serving=False)
    assert str(raised.value) == f"MORNING_TIME must be a time of day like 10:00, not {value!r}."


def test_tomorrow_morning_with_any_time_allowed_is_ten_not_midnight(app, db):
    app.config.update(SEND_WINDOW="00:00-24:00", MORNING_TIME="10:00")
    with time_machine.travel(datetime(2026, 12, 1, 22, 0, tzinfo=timezone.utc), tick=False):
        worker = client_for(app, "worker")
        alex = contact_id_from(add_contact(worker, name="Alex"))
        page = compose(worker, alex, version_id(db, "feelings-made-sense"), action="review",
                       when="tomorrow_morning").get_data(as_text=True)
    assert '<dd id="confirm-when">Wed 2 Dec 2026, 10:00am</dd>' in page


def test_polling_for_live_status_never_keeps_an_idle_session_alive(app):
    from datetime import timedelta
    start = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)
    with time_machine.travel(start, tick=False) as clock:
        worker = client_for(app, "worker")
        for minute in range(5, 35, 5):  # a page left open polls all along
            clock.move_to(start + timedelta(minutes=minute))
            response = worker.get("/dashboard/status.json")
            if minute < 30:
                assert response.status_code == 200 and "version" in response.get_json()
        clock.move_to(start + timedelta(minutes=31))
        assert worker.get("/dashboard").headers["Location"].startswith("/login")


def test_the_status_json_changes_when_the_text_does(worker, db, alex):
    from storage import messages
    from tests.test_compose import schedule_text
    schedule_text(worker, alex, version_id(db, "door-stays-open"), when="tomorrow_morning")
    [message] = messages.for_contact(db, alex)
    before = worker.get(f"/messages/{message['id']}/status.json").get_json()
    assert (before["status"], before["label"], before["final"]) == ("scheduled", "Scheduled",
                                                                   False)
    from actions import inbound
    inbound.receive_text(db, provider_sid="SM" + "1" * 32, from_number="+447911123456",
                         body="STOP")
    after = worker.get(f"/messages/{message['id']}/status.json").get_json()
    assert (after["status"], after["final"]) == ("cancelled", True)
    assert after["version"] != before["version"]
    page = worker.get(f"/messages/{message['id']}").get_data(as_text=True)
    assert "This text was not sent because they texted STOP." in page
    assert "left the queue" not in page


def test_retention_removes_an_old_reveal_note_and_keeps_the_reason(app, db, worker, user_ids):
    from actions.audit import reveal_number
    from storage import messages, reveals
    from tests.harness.database import add_message
    alex = contact_id_from(add_contact(worker, name="Alex"))
    message_id = add_message(db, user_ids["worker"], alex)
    with time_machine.travel(datetime(2025, 1, 6, 12, 0, tzinfo=timezone.utc), tick=False):
        reveal_number(db, contact_id=alex, message_id=message_id, user_id=user_ids["admin"],
                      reason="person_asked", note="Alex rang from the day centre")
    assert app.test_cli_runner().invoke(args=["retention", "run"]).exit_code == 0
    [reveal] = reveals.for_contact(db, alex)
    assert (reveal["reason"], reveal["note"]) == ("person_asked", "[removed after 365 days]")
    assert messages.get(db, message_id) is not None
