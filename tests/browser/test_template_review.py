"""In a real browser: a draft needs a second reviewer before a worker can use it."""
import threading

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from tests.harness.database import ACCOUNTS, PASSWORD

pytestmark = pytest.mark.browser

BODY = "Hi {name}, it's {worker}. I was glad we met. {personal} No need to reply."


@pytest.fixture
def live_url(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


def logged_in_page(browser, live_url, account):
    page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    page.goto(f"{live_url}/login")
    page.fill("#email", ACCOUNTS[account][0])
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{live_url}/dashboard")
    return page


def test_a_template_goes_from_draft_to_a_workers_preview_on_a_phone(browser, live_url):
    author = logged_in_page(browser, live_url, "reviewer")
    author.click("text=Templates")
    author.click("text=Write a new template")
    author.fill("#title", "Glad to see you")
    author.select_option("#situation", "after-a-break")
    author.select_option("#strategy", "validate")
    author.fill("#when_to_use", "You saw them again after a while.")
    author.fill("#body", BODY.replace("I was glad", "You need to come in. I was glad"))
    author.click("text=Save draft")
    expect(author.locator("#error-summary")).to_contain_text("“You need to” reads as a demand.")
    expect(author.locator("#title")).to_have_value("Glad to see you")
    author.fill("#body", BODY)
    author.click("text=Save draft")
    expect(author.locator("#version-status")).to_have_text("Waiting for review")
    expect(author.locator("#own-draft")).to_be_visible()

    second = logged_in_page(browser, live_url, "second_reviewer")
    second.goto(f"{live_url}/templates/")
    second.click("#drafts-heading ~ ul >> text=Glad to see you")
    second.check("text=Approve: workers can use it straight away")
    second.click("text=Record decision")
    expect(second.locator(".notice")).to_contain_text("Workers can use it now.")

    worker = logged_in_page(browser, live_url, "worker")
    worker.goto(f"{live_url}/contacts/new")
    worker.fill("#preferred_name", "Alex")
    worker.fill("#phone", "07911 123456")
    worker.select_option("#consent_method", "in_person")
    worker.click("button:has-text('Add person')")
    worker.goto(f"{live_url}/compose/")
    worker.select_option("#contact_id", label="Alex")
    worker.select_option("#template_version_id", label="Glad to see you")
    worker.fill("#personal", "Hope the hostel is OK.")
    worker.click("text=Preview")
    expect(worker.locator("#preview-body")).to_have_text(
        "Hi Alex, it's Sam. I was glad we met. Hope the hostel is OK. "
        "No need to reply.")
    expect(worker.locator("#preview-warnings li")).to_have_text([
        "“hostel” could tell anyone who sees this phone about their situation. Phones are "
        "often shared or checked by others: leave it out."])
