"""Bad input the fuzz tests (test_fuzz_forms.py, test_fuzz_webhooks.py) found breaking
Mend, each pinned by a plain test named for what must happen instead."""
import pytest

from tests.harness.pages import csrf_token
from tests.harness.twilio_signing import TEST_AUTH_TOKEN, TEST_PUBLIC_BASE_URL, post_signed


@pytest.fixture
def app_config(app_config):
    return {**app_config, "TWILIO_AUTH_TOKEN": TEST_AUTH_TOKEN,
            "PUBLIC_BASE_URL": TEST_PUBLIC_BASE_URL}


def test_a_form_too_large_to_accept_gets_the_413_page_not_a_500(client, worker):
    """The error page's logout button must not re-read the refused body (it re-raised 413)."""
    for who, page, url in ((client, "/login", "/login"),
                           (worker, "/contacts/new", "/contacts/new")):
        response = who.post(url, data={"csrf_token": csrf_token(who, page),
                                       "preferred_name": "x" * 300_000})
        assert response.status_code == 413
        assert "That was too much to send at once" in response.get_data(as_text=True)


def test_an_id_in_a_url_too_big_for_sqlite_is_not_found_not_a_500(app, worker, reviewer):
    """Ids past SQLite's largest integer (2**63 - 1) raised OverflowError in the query."""
    too_big = 2 ** 63
    for who, url in ((worker, f"/contacts/{too_big}"), (worker, f"/messages/{too_big}"),
                     (worker, f"/contacts/{10 ** 30}/edit"),
                     (reviewer, f"/templates/still-here-next-meeting/v{too_big}")):
        assert who.get(url).status_code == 404, url
    token = csrf_token(worker, "/contacts/new")
    for url in (f"/contacts/{too_big}/consent", f"/messages/{too_big}/cancel",
                f"/inbox/{too_big}/read", f"/inbox/contact/{too_big}/read"):
        assert worker.post(url, data={"csrf_token": token}).status_code == 404, url
    # the largest id SQLite can hold is still a well-formed URL: simply not found
    assert worker.get(f"/contacts/{too_big - 1}").status_code == 404


CALENDAR_EDGES = ["0001-01-01T00:00+01:00", "0001-01-01T00:00+23:59", "9999-12-31T23:59-01:00"]


def test_a_date_at_the_ends_of_the_calendar_is_unreadable_not_a_500(worker, db):
    """A forged datetime-local value whose offset pushes it past year 1 or 9999 raised
    OverflowError in the compose form and the live preview."""
    from sms.scheduling import parse_local
    from storage import sms_templates
    from tests.harness.pages import add_contact, contact_id_from, post_form

    contact_id = contact_id_from(add_contact(worker))
    version = next(v for v in sms_templates.usable_versions(db) if "next_meeting" in v["body"])
    for typed in CALENDAR_EDGES:
        assert parse_local(typed, "Europe/London") is None
        assert parse_local(typed.replace("T", " "), "Asia/Tokyo") is None
        form = {"contact_id": contact_id, "template_version_id": version["id"], "when": "at",
                "send_at_local": typed, "next_meeting_at": typed, "action": "review",
                "number_reconfirmed": "y"}
        page = post_form(worker, "/compose/", form)
        assert page.status_code == 200
        assert "That meeting date and time could not be read" in page.get_data(as_text=True)
        preview = post_form(worker, "/compose/preview", form, page="/compose/")
        assert preview.status_code == 200
        assert preview.get_json()["errors"]["next_meeting_at"] == [
            "That meeting date and time could not be read. Choose it again."]
        form["next_meeting_at"] = "2026-12-03T14:00"
        page = post_form(worker, "/compose/", form)
        assert "That date and time could not be read" in page.get_data(as_text=True)


def test_a_person_link_with_a_non_ascii_digit_opens_compose_with_no_one_chosen(worker):
    """`/compose/?contact=²`: "²".isdigit() is True but int("²") raises ValueError (a 500)."""
    from tests.harness.pages import add_contact
    from web.compose import optional_int

    add_contact(worker)
    for odd in ("²", "١", "𝟗", "1²"):
        assert optional_int(odd) is None
        response = worker.get(f"/compose/?contact={odd}")
        assert response.status_code == 200
        assert "Who is this text for?" in response.get_data(as_text=True)
    assert optional_int(" 12 ") == 12


def test_a_signed_status_callback_with_an_absurd_message_id_or_error_code_is_applied_by_sid(
        client, db, user_ids):
    """`?m=` or ErrorCode past SQLite's largest integer raised OverflowError (a 500, so
    Twilio retried it for hours). Such a value is ignored; the SID still finds the text."""
    from storage import messages
    from tests.harness.database import add_message, add_person

    contact_id = add_person(db, user_ids["worker"])

    def sent_text(sid):
        message_id = add_message(db, user_ids["worker"], contact_id)
        db.execute("UPDATE messages SET status = 'sent', provider_sid = ? WHERE id = ?",
                   [sid, message_id])
        return message_id

    delivered = sent_text("SM" + "b" * 32)
    for m in (2 ** 63, 10 ** 40):
        response = post_signed(client, f"/webhooks/twilio/status?m={m}",
                               {"MessageSid": "SM" + "b" * 32, "MessageStatus": "delivered"})
        assert response.status_code == 200
    assert messages.get(db, delivered)["status"] == "delivered"
    failed = sent_text("SM" + "c" * 32)
    params = {"MessageSid": "SM" + "c" * 32, "MessageStatus": "failed", "ErrorCode": "9" * 40}
    assert post_signed(client, f"/webhooks/twilio/status?m={failed}", params).status_code == 200
    row = messages.get(db, failed)
    assert row["status"] == "failed" and row["error_code"] is None
