"""In a real browser, with no reload: a reply arrives on the dashboard, and a text
cancelled by STOP says it was not sent because they texted STOP."""
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.test_browser_replies import log_in, twilio_sends

pytestmark = pytest.mark.browser


@pytest.fixture
def app_config(app_config):
    from tests.harness.twilio_signing import TEST_AUTH_TOKEN
    return {**app_config, "TWILIO_AUTH_TOKEN": TEST_AUTH_TOKEN}


def test_the_dashboard_and_the_message_page_change_without_a_reload(page, server):
    log_in(page, server)
    add_alex(page, server)
    page.get_by_role("link", name="Write a text to Alex").click()
    page.get_by_label("Template").select_option(label="The door stays open")
    page.get_by_label("Choose a date and time").check()
    page.get_by_label("Date and time", exact=True).fill(
        f"{date.today() + timedelta(days=2):%Y-%m-%d}T11:00")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Schedule text").click()
    expect(page.locator("#message-status")).to_have_text("Scheduled")
    page.evaluate("window.notReloaded = true")

    assert twilio_sends(server, "STOP", sid=1)[0] == 200
    expect(page.locator("#message-status")).to_have_text("Cancelled", timeout=15_000)
    expect(page.locator("#message-outcome")).to_have_text(
        "This text was not sent because they texted STOP.")
    expect(page.get_by_text("left the queue")).to_have_count(0)
    assert page.evaluate("window.notReloaded") is True

    page.goto(f"{server.url}/dashboard")
    expect(page.locator("#unread-count")).to_have_text("1 unread")  # their STOP
    page.evaluate("window.notReloaded = true")
    assert twilio_sends(server, "Sorry about today", sid=2)[0] == 200
    expect(page.get_by_text("Sorry about today")).to_be_visible(timeout=15_000)
    expect(page.locator("#unread-count")).to_have_text("2 unread")
    assert page.evaluate("window.notReloaded") is True


def add_alex(page, server):
    page.goto(f"{server.url}/contacts/new")
    page.get_by_label("Preferred name").fill("Alex")
    page.get_by_label("Mobile number").fill("07911 123456")
    page.get_by_label("How did they agree to be texted?").select_option("in_person")
    page.get_by_label("I checked with them today that this number is safe to text").check()
    page.get_by_role("button", name="Add person").click()


def test_without_javascript_a_refresh_link_shows_the_latest(browser, server):
    context = browser.new_context(java_script_enabled=False, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    log_in(page, server)
    add_alex(page, server)
    page.goto(f"{server.url}/dashboard")
    expect(page.get_by_text("No unread texts.")).to_be_visible()
    twilio_sends(server, "See you soon", sid=3)
    page.get_by_role("link", name="Refresh").click()
    expect(page.get_by_text("See you soon")).to_be_visible()
    context.close()
