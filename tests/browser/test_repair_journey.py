"""A whole repair in a real browser at phone width: start it from the person's page,
reflect, write a text from it (sent by the in-process dispatcher), a signed reply
arrives and joins it, the dashboard asks "did you meet", close it, and a reviewer
sees it in the ledger and prints the reflective-practice page. Axe checks every page
on the way at 360 px."""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.browser.conftest import add_person, log_in
from tests.browser.test_browser_replies import twilio_sends
from tests.harness.database import PASSWORD
from tests.harness.twilio_signing import TEST_AUTH_TOKEN

pytestmark = pytest.mark.browser
axe = Axe()
WIDTH = 360


@pytest.fixture
def app_config(app_config):
    return {**app_config, "TWILIO_AUTH_TOKEN": TEST_AUTH_TOKEN}


def assert_accessible(page, name):
    results = axe.run(page)
    assert results.violations_count == 0, f"{name}:\n{results.generate_report()}"
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH, name


def test_a_whole_repair_from_that_went_badly_to_the_ledger(server, browser):
    context = browser.new_context(viewport={"width": WIDTH, "height": 800}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    log_in(page, server, "worker@example.org", PASSWORD)
    add_person(page, server)

    page.get_by_role("link", name="Start a repair with Alex").click()
    assert_accessible(page, "start a repair")
    page.get_by_label("What happened?").select_option(
        label="They went quiet or withdrew (withdrawal)")
    page.get_by_label("A short factual note").fill("Did not come on Tuesday.")
    page.get_by_role("button", name="Start the repair").click()
    expect(page.get_by_role("heading", name="Repair with Alex")).to_be_visible()
    assert_accessible(page, "the repair")

    page.get_by_role("link", name="Reflect on what happened").click()
    page.get_by_label("How did the conversation make you feel?").fill(
        "Worried that I had pushed too hard.")
    page.get_by_role("button", name="Save my reflection").click()
    expect(page.get_by_text("Your reflection is saved.")).to_be_visible()
    page.get_by_label("Share it with").select_option(label="Rita Reviewer")
    page.get_by_label("Show them my first name").check()
    page.get_by_role("button", name="Save who sees it").click()
    expect(page.locator("#shared-state")).to_have_text("Shared for supervision.")
    assert_accessible(page, "the reflection")

    page.get_by_role("link", name="Back to the repair").click()
    page.get_by_role("link", name="Write a text for this repair").click()
    expect(page.locator("#for-repair")).to_be_visible()
    expect(page.get_by_label("What happened?")).to_have_value("went-quiet")
    page.get_by_label("Template").select_option(label="The door stays open")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Schedule text").click()
    expect(page.get_by_role("heading", name="Repair with Alex")).to_be_visible()
    for _ in range(20):  # the in-process dispatcher ticks every second
        page.reload()
        if page.locator("#repair-timeline .status").first.inner_text() != "Scheduled":
            break
        page.wait_for_timeout(500)
    expect(page.locator("#repair-timeline .status").first).to_have_text("Sent")

    assert twilio_sends(server, "thanks Sam, I'm ok", sid=41)[0] == 200
    page.reload()
    expect(page.locator("#repair-timeline")).to_contain_text("thanks Sam, I'm ok")

    yesterday = datetime.now(timezone.utc).astimezone(ZoneInfo("Europe/London")) - \
        timedelta(days=1)
    page.get_by_label("When do you expect to meet next?").fill(
        yesterday.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Save the meeting time").click()
    page.get_by_role("link", name="Dashboard").click()
    question = f"Did you meet Alex on {yesterday:%A}?"
    expect(page.get_by_text(question)).to_be_visible()
    assert_accessible(page, "the dashboard asking")
    page.get_by_label("They came and we talked about what happened").check()
    page.get_by_role("button", name="Save").first.click()
    expect(page.get_by_text("Thank you: recorded.")).to_be_visible()
    expect(page.get_by_text(question)).to_have_count(0)

    page.get_by_role("link", name="Repairs").click()
    page.get_by_role("link", name="Alex: They went quiet or withdrew").click()
    page.get_by_label("Better").check()
    page.get_by_role("button", name="Close the repair").click()
    expect(page.locator("#repair-status")).to_have_text("Closed: Better")
    assert_accessible(page, "the closed repair")
    page.get_by_role("button", name="Log out Sam").click()

    log_in(page, server, "reviewer@example.org", PASSWORD)
    page.get_by_role("link", name="Ledger").click()
    row = page.locator("#ledger-table tr", has_text="They went quiet or withdrew")
    expect(row).to_contain_text("Fewer than 10 repairs: no figures shown")
    expect(page.locator("main")).not_to_contain_text("Alex")
    assert_accessible(page, "the ledger")
    page.get_by_role("link", name="Reflective practice").click()
    expect(page.get_by_text("Worried that I had pushed too hard.")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("Alex")
    assert_accessible(page, "reflective practice")
    page.emulate_media(media="print")
    assert page.locator("header.site-header").is_hidden()
    assert page.locator("form.search").is_hidden()
    expect(page.get_by_text("Worried that I had pushed too hard.")).to_be_visible()
    context.close()
