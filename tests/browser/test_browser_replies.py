"""In a real browser: record a person's agreement, a signed reply arrives, and the
worker sees it unread on their dashboard."""
import urllib.parse
import urllib.request

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.harness.database import ACCOUNTS, PASSWORD
from tests.harness.twilio_signing import TEST_AUTH_TOKEN, signature_for


@pytest.fixture
def app_config(app_config):
    return {**app_config, "TWILIO_AUTH_TOKEN": TEST_AUTH_TOKEN}


def twilio_sends(server, body, sid, from_number="+447911123456"):
    """POST a signed inbound text to the live server, as Twilio would."""
    url = f"{server.url}/webhooks/twilio/inbound"
    params = {"MessageSid": f"SM{sid:032x}", "AccountSid": "AC" + "0" * 32,
              "From": from_number, "To": "+447400123456", "Body": body}
    request = urllib.request.Request(
        url, data=urllib.parse.urlencode(params).encode(), method="POST",
        headers={"X-Twilio-Signature": signature_for(url, params),
                 "Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.read().decode()


def log_in(page, server, who="worker"):
    page.goto(f"{server.url}/login")
    page.get_by_label("Email address").fill(ACCOUNTS[who][0])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Hello Sam")).to_be_visible()


@pytest.mark.browser
def test_a_worker_records_agreement_and_sees_a_signed_reply_unread_on_the_dashboard(
        page, server):
    log_in(page, server)
    page.get_by_role("link", name="Add a person").first.click()
    page.get_by_label("Preferred name").fill("Alex")
    page.get_by_label("Mobile number").fill("07911 123456")
    page.get_by_label("How did they agree to be texted?").select_option(
        "confirm_by_text")
    page.get_by_label("I checked with them today that this number is safe to text").check()
    page.get_by_role("button", name="Add person").click()
    expect(page.locator("#consent-state")).to_have_text("Waiting for them to confirm")

    assert twilio_sends(server, "Yes", sid=1)[0] == 200
    page.reload()
    expect(page.locator("#consent-state")).to_have_text("Agreed to texts")

    status, twiml = twilio_sends(server, "Thanks Sam. See you Tuesday x", sid=2)
    assert (status, twiml) == (200, '<?xml version="1.0" encoding="UTF-8"?><Response></Response>')
    page.get_by_role("link", name="Dashboard").click()
    expect(page.locator("#unread-count")).to_have_text("2 unread")
    expect(page.get_by_text("Thanks Sam. See you Tuesday x")).to_be_visible()
    expect(page.get_by_text("Alex texted YES.")).to_be_visible()

    page.locator("li.card", has_text="See you Tuesday").get_by_role(
        "button", name="Mark as read").click()
    expect(page.get_by_text("Marked as read.")).to_be_visible()
    expect(page.locator("#unread-count")).to_have_text("1 unread")
    expect(page.get_by_text("Thanks Sam. See you Tuesday x")).to_have_count(0)


def assert_accessible(page, name):
    results = Axe().run(page)
    assert results.violations_count == 0, f"{name}:\n{results.generate_report()}"


@pytest.mark.browser
@pytest.mark.parametrize("width", [360, 1280])
def test_the_pages_for_replies_consent_and_erasure_are_accessible(browser, server, width):
    context = browser.new_context(viewport={"width": width, "height": 800}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    log_in(page, server)
    page.goto(f"{server.url}/contacts/new")
    page.get_by_label("Preferred name").fill("Alex")
    page.get_by_label("Mobile number").fill("07911 123456")
    page.get_by_label("Safe to text from (optional)").fill("10:00")
    page.get_by_label("How did they agree to be texted?").select_option("in_person")
    page.get_by_role("button", name="Add person").click()
    expect(page.locator("#error-summary")).to_be_visible()  # the page has come back
    assert_accessible(page, "add a person, with a safe-hours error")
    page.get_by_label("Safe to text until (optional)").fill("16:00")
    page.get_by_role("button", name="Add person").click()
    expect(page.get_by_role("heading", name="Alex")).to_be_visible()
    twilio_sends(server, "Thanks Sam.\nPlease leave me alone for a bit though", sid=1)
    twilio_sends(server, "HELP", sid=2)
    twilio_sends(server, "who is this", sid=3, from_number="+447922654321")
    page.reload()
    expect(page.get_by_text("who is this")).to_have_count(0)
    expect(page.get_by_text("Please leave me alone for a bit though")).to_be_visible()
    assert_accessible(page, "their page, with the thread")
    page.goto(f"{server.url}/dashboard")
    expect(page.get_by_text("This may be a request to stop texting.")).to_be_visible()
    assert_accessible(page, "dashboard with unread texts")
    page.get_by_role("link", name="Alex").first.click()
    page.get_by_role("link", name="Change details").click()
    expect(page.get_by_role("button", name="Save")).to_be_visible()
    assert_accessible(page, "change their details")
    page.get_by_role("link", name="Cancel").click()
    page.get_by_role("link", name="Erase Alex's details").click()
    page.get_by_role("button", name="Erase their details").click()
    expect(page.get_by_text("Nothing has been erased.").first).to_be_visible()
    assert_accessible(page, "erase, without confirming")
    context.close()

    context = browser.new_context(viewport={"width": width, "height": 800}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{server.url}/login")
    page.get_by_label("Email address").fill(ACCOUNTS["admin"][0])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Unknown numbers").click()
    expect(page.get_by_text("who is this")).to_be_visible()
    assert_accessible(page, "texts from unknown numbers")
    context.close()
