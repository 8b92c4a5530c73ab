"""Browser tests: a real Mend server in a thread, driven by Debian's Chromium."""
import os
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from app import create_app
from tests.harness.processes import ThreadedServer

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


class LiveServer(ThreadedServer):
    def stop(self):
        super().stop()
        scheduler = self.app.extensions.get("mend_scheduler")
        if scheduler is not None:
            scheduler.shutdown(wait=True)
            scheduler.mend_lock.release()


@pytest.fixture
def live_server(app_config, user_ids):
    """Mend served on a free port, with the in-process dispatcher ticking every second."""
    app = create_app({**app_config, "RUN_SCHEDULER_IN_PROCESS": True, "SCHEDULER_INTERVAL": 1})
    server = LiveServer(app).start()
    yield server
    server.stop()


@pytest.fixture
def server(live_server):
    """The live server as the public address: Twilio signs the public URL, so
    webhooks sent to it are signed for it."""
    live_server.app.config["PUBLIC_BASE_URL"] = live_server.url
    return live_server


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Browser tests need Debian's Chromium at {CHROMIUM}: "
                    "run `make test` (it installs it) or `apt-get install chromium`.")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def save_screenshot(page, name):
    """Refresh the README's screenshots with MEND_UPDATE_SCREENSHOTS=1 make test."""
    if os.environ.get("MEND_UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def log_in(page, server, email, password):
    page.goto(f"{server.url}/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def add_person(page, server, name="Alex", phone="07911 123456"):
    """Add a person who agreed in person, through the form, and land on their page."""
    page.goto(f"{server.url}/contacts/new")
    page.get_by_label("Preferred name").fill(name)
    page.get_by_label("Mobile number").fill(phone)
    page.get_by_label("How did they agree to be texted?").select_option("in_person")
    page.get_by_label("I checked with them today that this number is safe to text").check()
    page.get_by_role("button", name="Add person").click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()
