"""The whole path in a real browser: log in, add a person, send a text, see it sent."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import add_person, log_in, save_screenshot
from tests.harness.database import PASSWORD

pytestmark = pytest.mark.browser


def test_a_worker_adds_a_person_and_their_text_is_sent(live_server, page):
    log_in(page, live_server, "worker@example.org", PASSWORD)
    expect(page.get_by_role("heading", name="Hello Sam")).to_be_visible()

    page.get_by_role("link", name="Add a person").first.click()
    expect(page.get_by_role("heading", name="Add a person")).to_be_visible()
    add_person(page, live_server)
    expect(page.locator("#consent-state")).to_have_text("Agreed to texts")

    page.get_by_role("link", name="Write a text to Alex").click()
    page.get_by_label("Template").select_option(label="However you felt, it made sense")
    # A template for when they left angry: the suggestion shows at once, the morning is
    # chosen for the worker, and the worker can still choose.
    expect(page.locator("#cooling-off")).to_be_visible()
    expect(page.get_by_label("Tomorrow morning")).to_be_checked()
    page.get_by_label("Now").check()
    page.get_by_label("Personal line (optional)").fill("Thank you for staying as long as you did.")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#preview-body")).to_have_text(re.compile(
        r"^Hi Alex, it's Sam\. However you felt last time, it made sense\. Thank you for staying"))
    expect(page.locator("#preview-count")).to_contain_text("2 parts")
    save_screenshot(page, "compose.png")

    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Check your text")).to_be_visible()
    expect(page.locator("#confirm-body")).to_contain_text("Thank you for staying as long as you did.")
    # The dispatcher waits until the page has shown the text scheduled: ticking every
    # second, it could otherwise send it before the page is drawn.
    dispatcher = live_server.app.extensions["mend_scheduler"]
    dispatcher.pause()
    page.get_by_role("button", name="Schedule text").click()
    expect(page.get_by_role("status")).to_contain_text("Your text is scheduled.")
    expect(page.locator("#message-status")).to_have_text("Scheduled")
    # No reload: the page's script sees the dispatcher send it.
    page.evaluate("window.notReloaded = true")
    dispatcher.resume()
    expect(page.locator("#message-status")).to_have_text("Sent", timeout=20_000)
    expect(page.locator("#message-outcome")).to_have_text(
        "This text has gone to the phone network, so it can no longer be changed.")
    assert page.evaluate("window.notReloaded") is True
    page.get_by_role("link", name="Alex").click()
    expect(page.locator(".thread .bubble").first).to_contain_text("Thank you for staying")
