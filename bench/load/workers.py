"""The simulated support workers: each, in its own thread and session, logs in, then
composes, previews, reviews and confirms texts until the time is up, as a browser would."""
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bench.load.browser import Browser
from bench.load.tally import LOCKED
from tests.harness.database import PASSWORD
from tests.harness.pages import (choices, confirmation, csrf_from, csrf_token,
                                 message_id_from)

TIMEZONE = "Europe/London"


class Worker:
    """One support worker in a browser: log in, then compose, preview, review, confirm."""

    def __init__(self, base_url, email, tally, deadline, rng):
        self.email = email
        self.tally = tally
        self.deadline = deadline
        self.rng = rng
        self.session = Browser(base_url)

    def request(self, page, method, path, **kwargs):
        """The answer, timed as `page`; None (and a problem counted) for a 5xx or a lock."""
        started = time.perf_counter()
        response = self.session.request(method, path, **kwargs)
        self.tally.time(page, time.perf_counter() - started)
        if response.status_code >= 500 or LOCKED in response.text:
            self.tally.problem(f"{method} {path} answered {response.status_code}"
                               + (f" ({LOCKED})" if LOCKED in response.text else ""))
            return None
        return response

    def log_in(self):
        response = self.request("login", "POST", "/login", data={
            "csrf_token": csrf_token(self.session, "/login"), "email": self.email,
            "password": PASSWORD})
        if response is None or response.status_code != 302:
            self.tally.problem(f"login for {self.email} failed")
            return False
        return True

    def run(self):
        try:
            if not self.log_in():
                return
            while time.monotonic() < self.deadline:
                self.one_text()
        except Exception as error:  # noqa: BLE001 - counted, and the run goes on
            self.tally.problem(f"worker {self.email}: {type(error).__name__}: {error}")
        finally:
            self.session.close()

    def personal_line(self):
        """Varied, as people's texts are (the same text twice in minutes is kept as one)."""
        day = self.rng.choice(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"])
        hour = self.rng.randint(9, 17)
        return self.rng.choice([f"I'm around on {day} at {hour}:00 if that helps.",
                                f"Sorry I was late on {day}.", ""])

    def one_text(self):
        response = self.request("compose", "GET", "/compose/")
        if response is None or response.status_code != 200:
            return
        page = response.text
        people = choices(page, "contact_id")
        templates = choices(page, "template_version_id")
        if not people or not templates:
            self.tally.problem(f"{self.email}: no one or no template to choose")
            time.sleep(0.5)
            return
        contact_id = self.rng.choice(people)[0]
        template_id = self.rng.choice(templates)[0]
        meeting = (datetime.now(ZoneInfo(TIMEZONE)) + timedelta(days=2)).replace(
            hour=10, minute=30)
        form = {"csrf_token": csrf_from(page), "contact_id": contact_id,
                "situation": "", "template_version_id": template_id,
                "next_meeting_at": meeting.strftime("%Y-%m-%dT%H:%M"),
                "personal": self.personal_line(),
                "when": "now", "send_at_local": ""}
        preview = self.request("preview", "POST", "/compose/preview", data=form)
        if preview is None:
            return
        if preview.json().get("body") is None:
            # Nothing to send (the person withdrew, or this template needs a personal line).
            form["personal"] = "Sorry I was late on Tuesday."
        review = self.request("review", "POST", "/compose/", data={**form, "action": "review"})
        if review is None:
            return
        if "Check your text" not in review.text:
            with self.tally.lock:
                self.tally.refused += 1
            return
        confirm = self.request("confirm", "POST", "/compose/", data=confirmation(review.text))
        if confirm is None:
            return
        message_id = message_id_from(confirm)
        if confirm.status_code != 302 or message_id is None:
            if "Check your text" in confirm.text or "cannot be texted" in confirm.text:
                with self.tally.lock:
                    self.tally.refused += 1
                return
            self.tally.problem(f"confirm answered {confirm.status_code} without a message")
            return
        # The redirect, as a browser follows it.
        shown = self.request("message", "GET", f"/messages/{message_id}")
        with self.tally.lock:
            if shown is not None and "already scheduled" in shown.text:
                # The same text to the same person moments ago: Mend kept it as one.
                self.tally.repeats += 1
            else:
                self.tally.confirmed.append((message_id, int(contact_id)))
