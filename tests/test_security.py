"""Security properties that cut across features: CSRF on every form, the idle timeout,
hostile input shown inert and stored unchanged, and logs free of personal data."""
import logging
import re
from datetime import datetime, timedelta, timezone

import pytest
import time_machine

from scheduler.dispatcher import dispatch_due
from scheduler.runner import gateway_from_config
from sms.send_window import parse_window
from storage import contacts, inbound, messages
from tests.harness.database import ACCOUNTS, PASSWORD
from tests.harness.delivery import settings as delivery_settings
from tests.harness.fake_twilio import ACCOUNT_SID, AUTH_TOKEN
from tests.harness.pages import add_contact, client_for, contact_id_from, post_form
from tests.harness.twilio_signing import TEST_PUBLIC_BASE_URL, post_signed
from tests.test_compose import schedule_text, version_id


@pytest.mark.parametrize("role", ["worker", "reviewer", "admin"])
def test_every_state_changing_form_refuses_a_post_without_a_csrf_token(app, role):
    client = client_for(app, role)
    refused, accepted = [], []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.endpoint.startswith("webhooks."):
            continue
        url = re.sub(r"<(?:\w+:)?(\w+)>", "1", rule.rule)
        response = client.post(url, data={"anything": "x"})
        (refused if response.status_code == 400 else accepted).append(
            f"{rule.endpoint}: {response.status_code}")
    assert accepted == []
    assert len(refused) >= 15


def test_a_session_ends_after_30_idle_minutes(app):
    start = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)
    with time_machine.travel(start, tick=False) as clock:
        client = client_for(app, "worker")
        clock.move_to(start + timedelta(minutes=29))
        assert client.get("/dashboard").status_code == 200  # activity renews the session
        clock.move_to(start + timedelta(minutes=29 + 31))
        response = client.get("/dashboard")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_a_login_renewed_less_than_a_minute_ago_is_not_renewed_again(app):
    """The cookie is written again at most once a minute, so the idle timeout counts
    from the last renewal: a request 30 s after it does not move it."""
    start = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)
    with time_machine.travel(start, tick=False) as clock:
        client = client_for(app, "worker")
        clock.move_to(start + timedelta(minutes=20))
        assert "Set-Cookie" in client.get("/dashboard").headers  # renewed at 10:20
        clock.move_to(start + timedelta(minutes=20, seconds=30))
        page = client.get("/dashboard")
        assert page.status_code == 200 and "Set-Cookie" not in page.headers
        clock.move_to(start + timedelta(minutes=50, seconds=5))  # 29 min 35 s after it
        response = client.get("/dashboard")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


HOSTILE = [
    "<script>alert('x')</script>",
    "<img src=x onerror=alert(1)>",
    "{{ config.SECRET_KEY }}",
    "{% raw %}{{ 7*7 }}{% endraw %}",
    "=HYPERLINK(\"http://evil.example\")",
]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_text_in_every_field_is_inert_on_every_page_and_stored_unchanged(
        app, db, worker, hostile):
    app.config.update(TWILIO_AUTH_TOKEN=AUTH_TOKEN, PUBLIC_BASE_URL=TEST_PUBLIC_BASE_URL)
    contact_id = contact_id_from(add_contact(worker, name=f"Alex {hostile}",
                                             consent_note=f"note {hostile}"))
    response = schedule_text(worker, contact_id, version_id(db, "door-stays-open"),
                             personal=f"Line {hostile}", when="tomorrow_morning")
    message_id = int(response.headers["Location"].rsplit("/", 1)[1])
    post_signed(app.test_client(), "/webhooks/twilio/inbound", {
        "MessageSid": "SM" + "7" * 32, "AccountSid": ACCOUNT_SID, "From": "+447911123456",
        "To": "+447400123456", "Body": f"Reply {hostile}"}, token=AUTH_TOKEN)

    assert contacts.get(db, contact_id)["preferred_name"] == f"Alex {hostile}"
    assert contacts.consent_history(db, contact_id)[-1]["note"] == f"note {hostile}"
    assert f"Line {hostile}" in messages.get(db, message_id)["body"]
    assert inbound.for_contact(db, contact_id)[0]["body"] == f"Reply {hostile}"
    for page in ("/dashboard", "/contacts/", f"/contacts/{contact_id}", f"/messages/{message_id}",
                 f"/compose/?contact={contact_id}", f"/messages/{message_id}/edit"):
        html = worker.get(page).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html, page
        assert "test-secret-key" not in html and ">49<" not in html, page


def test_logs_of_a_whole_flow_hold_no_number_text_password_or_token(
        app, db, user_ids, fake_twilio, caplog):
    app.config.update(TWILIO_AUTH_TOKEN=AUTH_TOKEN, PUBLIC_BASE_URL=TEST_PUBLIC_BASE_URL)
    personal = "Hope the walk by the canal helped"
    with caplog.at_level(logging.DEBUG):
        worker = app.test_client()
        post_form(worker, "/login", {"email": ACCOUNTS["worker"][0], "password": "wrong guess"})
        post_form(worker, "/login", {"email": ACCOUNTS["worker"][0], "password": PASSWORD})
        contact_id = contact_id_from(add_contact(worker, name="Alexandra", phone="07911 123456"))
        schedule_text(worker, contact_id, version_id(db, "door-stays-open"), personal=personal)
        gateway = gateway_from_config({**app.config, "SMS_BACKEND": "twilio",
                                       "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
                                       "TWILIO_FROM_NUMBER": "+447400123456",
                                       "TWILIO_API_BASE_URL": fake_twilio.base_url})
        result = dispatch_due(db, gateway, datetime.now(timezone.utc),
                              delivery_settings(window=parse_window("00:00-24:00")))
        post_signed(app.test_client(), "/webhooks/twilio/inbound", {
            "MessageSid": "SM" + "8" * 32, "AccountSid": ACCOUNT_SID, "From": "+447911123456",
            "To": "+447400123456", "Body": "thank you for the message"}, token=AUTH_TOKEN)
        post_signed(app.test_client(), "/webhooks/twilio/inbound", {
            "MessageSid": "SM" + "9" * 32, "AccountSid": ACCOUNT_SID, "From": "+447911123456",
            "To": "+447400123456", "Body": "STOP"}, token=AUTH_TOKEN)
    assert result.sent == 1 and fake_twilio.created  # the flow really ran
    logged = caplog.text
    assert logged  # something was logged, so the checks below mean something
    for secret in ("447911123456", "07911 123456", "7911123456", "Alexandra", personal,
                   "thank you for the message", PASSWORD, "wrong guess", AUTH_TOKEN,
                   "test-secret-key"):
        assert secret not in logged, secret
