"""In a real browser: Sam is on leave and Jo covers. A signed reply from Alex arrives;
Jo sees it on her dashboard, reads it in Alex's thread, and answers with a template,
signed with her own name."""
import pytest
from playwright.sync_api import expect

from storage import messages
from tests.browser.conftest import add_person, log_in
from tests.browser.test_browser_replies import assert_accessible, twilio_sends
from tests.harness.database import ACCOUNTS, PASSWORD
from tests.harness.twilio_signing import TEST_AUTH_TOKEN


@pytest.fixture
def app_config(app_config):
    return {**app_config, "TWILIO_AUTH_TOKEN": TEST_AUTH_TOKEN}


@pytest.mark.browser
def test_a_reply_while_the_key_worker_is_on_leave_is_seen_and_answered_by_the_cover_worker(
        page, server, db):
    log_in(page, server, ACCOUNTS["worker"][0], PASSWORD)
    add_person(page, server, name="Alex")
    page.get_by_role("link", name="Cover").click()
    page.get_by_label("Who covers them").select_option(label="Jo Other")
    today = page.evaluate("new Date().toISOString().slice(0, 10)")
    page.get_by_label("First day of cover").fill(today)
    page.get_by_label("Last day of cover").fill(today)
    page.get_by_role("button", name="Set cover").click()
    expect(page.get_by_text("Cover set.")).to_be_visible()
    expect(page.locator("#covers")).to_contain_text("Jo Other")
    assert_accessible(page, "cover page")
    page.get_by_role("button", name="Log out Sam").click()

    assert twilio_sends(server, "Is Sam around? Rough night", sid=7)[0] == 200

    log_in(page, server, ACCOUNTS["other_worker"][0], PASSWORD)
    expect(page.locator("#cover-heading")).to_contain_text("Covering for Sam Worker")
    expect(page.locator("#cover-unread-count")).to_have_text("1 unread")
    card = page.locator("li.card", has_text="Rough night")
    expect(card).to_be_visible()
    assert_accessible(page, "cover worker's dashboard")
    card.get_by_role("link", name="Alex").click()
    expect(page.get_by_text("Is Sam around? Rough night")).to_be_visible()
    page.get_by_role("button", name="Mark all as read").click()
    expect(page.get_by_text("Marked 1 text as read.")).to_be_visible()

    page.get_by_role("link", name="Write a text to Alex").click()
    page.get_by_label("Template").select_option(label="The door stays open")
    expect(page.locator("#preview-body")).to_contain_text("Hi Alex, it's Jo.", timeout=15_000)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Check your text")).to_be_visible()
    page.get_by_role("button", name="Schedule text").click()
    expect(page.locator("#message-status")).to_be_visible()
    [sent] = [m for m in messages.for_contact(db, 1) if m["purpose"] == "repair"]
    assert sent["worker_name"] == "Jo Other" and sent["body"].startswith("Hi Alex, it's Jo.")
