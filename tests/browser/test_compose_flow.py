"""The compose page in a real browser: phone and desk widths, the live preview,
the send window, cancelling, and an accessibility check of every page on the way."""
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from app import create_app
from tests.browser.conftest import LiveServer, add_person, log_in
from tests.harness.database import PASSWORD

pytestmark = pytest.mark.browser
axe = Axe()


def assert_accessible(page, name):
    results = axe.run(page)
    assert results.violations_count == 0, f"{name}:\n{results.generate_report()}"


@pytest.mark.parametrize("width", [360, 1280])
def test_the_full_flow_works_and_is_accessible_at_phone_and_desk_widths(live_server, browser, width):
    context = browser.new_context(viewport={"width": width, "height": 800}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    log_in(page, live_server, "worker@example.org", PASSWORD)
    assert_accessible(page, "dashboard")
    add_person(page, live_server)
    assert_accessible(page, "contact page")

    page.get_by_role("link", name="Write a text to Alex").click()
    page.get_by_label("What happened?").select_option(label="They went quiet or withdrew")
    page.get_by_label("Template").select_option(label="The door stays open")
    expect(page.locator("#when-to-use")).to_contain_text("They have gone quiet")
    expect(page.locator("#preview-body")).to_contain_text("Hi Alex, it's Sam.")
    assert_accessible(page, "compose page")
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scrolling

    page.get_by_label("Tomorrow morning").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Check your text")).to_be_visible()
    expect(page.get_by_text("Alex (+44 7••• ••• 456)")).to_be_visible()
    assert_accessible(page, "confirm page")
    page.get_by_role("button", name="Schedule text").click()
    expect(page.locator("#message-status")).to_have_text("Scheduled")
    assert_accessible(page, "message page")
    context.close()


def test_the_live_preview_counts_parts_as_the_worker_types(live_server, page):
    log_in(page, live_server, "worker@example.org", PASSWORD)
    add_person(page, live_server)
    page.get_by_role("link", name="Write a text to Alex").click()
    page.get_by_label("Template").select_option(label="The door stays open")
    expect(page.locator("#preview-count")).to_have_text("GSM-7 · 91 characters · 1 part")
    personal = page.get_by_label("Personal line (optional)")
    personal.press_sequentially("I am sorry the day ended the way it did. " * 2)
    expect(page.locator("#preview-count")).to_have_text(re.compile(r"GSM-7 · 1\d\d characters · 2 parts"))
    # The budget counts the whole text, and warns the moment it becomes 2 parts.
    expect(page.locator("#personal-budget")).to_have_text(re.compile(
        r"^This text is now 2 parts, so it costs twice as much\. \d+ characters before it "
        r"becomes 3 parts\.$"))
    expect(page.locator("#personal-budget")).to_have_class(re.compile("budget--over"))
    expect(page.locator("#preview-body")).to_contain_text("I am sorry the day ended the way it did.")


@pytest.fixture
def closed_window_server(app_config, user_ids):
    """A server whose send window opens two hours from now, so 'now' is refused."""
    hour = datetime.now(ZoneInfo("Europe/London")).hour
    start = (hour + 2) % 24
    end = "24:00" if start == 23 else f"{start + 1:02d}:00"
    app = create_app({**app_config, "SEND_WINDOW": f"{start:02d}:00-{end}"})
    server = LiveServer(app).start()
    yield server, f"{start:02d}:00"
    server.stop()


def test_a_time_outside_the_window_is_refused_and_the_next_allowed_time_chosen(closed_window_server, page):
    server, opens = closed_window_server
    log_in(page, server, "worker@example.org", PASSWORD)
    add_person(page, server)
    page.get_by_role("link", name="Write a text to Alex").click()
    page.get_by_label("Template").select_option(label="The door stays open")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert")).to_contain_text("The service sends texts only between")
    # The error links to the choice the worker made ("Now"), which is on screen.
    page.get_by_role("alert").get_by_role("link").first.click()
    expect(page.locator("#when")).to_be_visible()
    offer = page.locator("#use-next-allowed")
    hour = int(opens[:2])
    expect(offer).to_contain_text({0: "midnight", 12: "noon"}.get(hour, f"{hour % 12 or 12}:00"))
    offer.click()
    expect(page.get_by_role("heading", name="Check your text")).to_be_visible()
    page.get_by_role("button", name="Schedule text").click()
    expect(page.locator("#message-status")).to_have_text("Scheduled")


def test_a_worker_cancels_a_scheduled_text(live_server, page):
    log_in(page, live_server, "worker@example.org", PASSWORD)
    add_person(page, live_server)
    page.get_by_role("link", name="Write a text to Alex").click()
    page.get_by_label("Template").select_option(label="I got something wrong")
    page.get_by_label("Tomorrow morning").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Schedule text").click()
    page.goto(f"{live_server.url}/dashboard")
    page.get_by_role("link", name="Cancel the text to Alex").click()
    page.get_by_label("Why cancel it?").select_option(label="We talked in person, so it is not needed")
    page.get_by_role("button", name="Cancel text").click()
    expect(page.get_by_role("status")).to_have_text("The text is cancelled. It will not be sent.")
    expect(page.locator("#message-status")).to_have_text("Cancelled")


def test_a_time_that_is_not_for_a_text_shows_guidance_and_offers_no_template(live_server,
                                                                              page):
    log_in(page, live_server, "worker@example.org", PASSWORD)
    add_person(page, live_server)
    page.get_by_role("link", name="Write a text to Alex").click()
    expect(page.locator("#not-a-text-complaint")).to_be_hidden()
    page.get_by_label("What happened?").select_option(label="They made a complaint about me")
    expect(page.locator("#not-a-text-complaint")).to_be_visible()
    expect(page.locator("#not-a-text-complaint")).to_contain_text(
        "Reply through your service's complaints process")
    offered = page.locator("#template_version_id option:not([disabled])")
    expect(offered).to_have_count(1)  # only "Choose a template"
    page.get_by_label("What happened?").select_option(label="They went quiet or withdrew")
    expect(page.locator("#not-a-text-complaint")).to_be_hidden()
