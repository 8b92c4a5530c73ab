"""An admin audits in a real browser: the dashboard's charts draw under the CSP,
the history filters, and a number is revealed only with a reason from the list."""
import pytest
from playwright.sync_api import expect

from storage import contacts, users
from storage.connection import connect, utc_now
from tests.audit_helpers import place_text
from tests.browser.conftest import log_in, save_screenshot
from tests.harness.database import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def two_texts(live_server):
    db = connect(live_server.app.config["DATABASE_PATH"])
    worker = users.by_email(db, "worker@example.org")["id"]
    alex = contacts.create(db, preferred_name="Alex", phone="+447911123456",
                           key_worker_id=worker, created_by=worker)
    contacts.record_consent(db, contact_id=alex, state="granted", method="in_person",
                            recorded_by=worker)
    place_text(db, contact_id=alex, worker_id=worker, when=utc_now(), status="delivered",
               body="Hi Alex, it's Sam. I'm here when you want to talk.")
    place_text(db, contact_id=alex, worker_id=worker, when=utc_now(), status="expired",
               body="Hi Alex, it's Sam. Thinking of you.")
    db.close()


def test_an_admin_reads_the_charts_filters_history_and_reveals_a_number(live_server, page,
                                                                         two_texts):
    refused = []  # what the Content Security Policy blocked, reported on the console
    page.on("console", lambda message: refused.append(message.text)
            if "Content Security Policy" in message.text else None)
    log_in(page, live_server, "admin@example.org", PASSWORD)

    page.get_by_role("link", name="Reports").click()
    expect(page.get_by_role("heading", name="How repair texts are going")).to_be_visible()
    chart = page.get_by_role("img", name="Stacked bar chart of texts per week by outcome; "
                                         "the table below has the figures.")
    expect(chart).to_be_visible()
    assert chart.bounding_box()["width"] > 300
    assert page.locator(".pygal-chart .title").first.evaluate(
        "element => getComputedStyle(element).fontSize") == "16px"  # charts.css applied
    save_screenshot(page, "dashboard.png")

    page.get_by_role("link", name="History").click()
    page.get_by_label("Status").select_option("expired")
    page.get_by_role("button", name="Show texts").click()
    rows = page.locator("table.history tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Thinking of you.")
    expect(rows.first).to_contain_text("+44 7••• ••• 456")
    save_screenshot(page, "history.png")

    rows.first.get_by_role("link").first.click()
    expect(page.get_by_role("heading", name="Text to Alex")).to_be_visible()
    page.get_by_role("button", name="Show the full number").click()
    expect(page.get_by_text("Choose why you need to see the full number.").first).to_be_visible()
    # The error links to the list of reasons, which is on the page and visible.
    page.locator("#error-summary a").first.click()
    expect(page.get_by_label("Why do you need to see the full number?")).to_be_visible()
    page.get_by_label("Why do you need to see the full number?").select_option(
        "provider_refused")
    page.get_by_label("Note (optional)").fill("Checking the digits with the worker.")
    page.get_by_role("button", name="Show the full number").click()
    expect(page.locator("#number")).to_contain_text("+44 7911 123456")
    save_screenshot(page, "audit-message.png")
    assert refused == []
