"""Kill the web process (gunicorn and its workers, SIGKILL) while workers are adding
people and scheduling texts, restart it, and do it again. Nothing is half written:
every person has their consent and its event, every text its `message.scheduled`
event, every text a worker was told about exists, and the audit chain verifies.
"""
import json
import os
import re
import signal
import threading
import time
from collections import Counter
from pathlib import Path

import requests

from bench import load
from storage import events
from storage import messages as message_store
from storage.connection import connect
from tests.harness.database import ACCOUNTS, PASSWORD, prepare_database
from tests.harness.pages import Site, confirmation, csrf_from, key_worker_on, message_id_from

KILLS = 2
TEXTS_BETWEEN_KILLS = 5
PATIENCE = 60  # seconds; never reached when all is well
CLIENTS = ("worker", "other_worker", "reviewer", "admin")


class Client(threading.Thread):
    """A person in a browser: add someone, then schedule a text to them, again and again.
    A connection refused or reset (the server was killed) is counted, and they carry on."""

    def __init__(self, number, email, base_url, stop):
        super().__init__(daemon=True)
        self.number = number
        self.email = email
        self.stop = stop
        self.session = Site(base_url, timeout=30)
        self.contacts = []
        self.messages = []
        self.interrupted = 0
        self.problems = []
        self.logged_in = False

    def call(self, method, path, **kwargs):
        response = self.session.request(method, path, **kwargs)
        if response.status_code >= 500:
            self.problems.append(f"{method} {path}: {response.status_code}")
        return response

    def log_in(self):
        page = self.call("GET", "/login").text
        response = self.call("POST", "/login", data={
            "csrf_token": csrf_from(page), "email": self.email, "password": PASSWORD})
        self.logged_in = response.status_code == 302

    def add_person(self, n):
        page = self.call("GET", "/contacts/new").text
        key_worker = key_worker_on(page)
        response = self.call("POST", "/contacts/new", data={
            "csrf_token": csrf_from(page), "preferred_name": f"Person {self.number}-{n}",
            "phone": f"+4479111{self.number}{n:04d}", "consent_method": "in_person",
            "number_confirmed": "y", "key_worker_id": key_worker})
        match = re.search(r"/contacts/(\d+)$", response.headers.get("Location", ""))
        if match:
            self.contacts.append(int(match.group(1)))
            return int(match.group(1))
        return None

    def schedule(self, contact_id):
        page = self.call("GET", f"/compose/?contact={contact_id}").text
        [template] = re.findall(r'<option[^>]*value="(\d+)">Saying hello after a break', page)
        form = {"csrf_token": csrf_from(page), "contact_id": str(contact_id), "situation": "",
                "template_version_id": template, "next_meeting_at": "",
                "personal": "Sorry I was late.", "when": "now", "send_at_local": ""}
        review = self.call("POST", "/compose/", data={**form, "action": "review"})
        confirm = self.call("POST", "/compose/", data=confirmation(review.text))
        message_id = message_id_from(confirm)
        if message_id is not None:
            self.messages.append(message_id)

    def run(self):
        n = 0
        deadline = time.monotonic() + 4 * PATIENCE
        while not self.stop.is_set() and time.monotonic() < deadline:
            try:
                if not self.logged_in:
                    self.log_in()
                    continue
                n += 1
                contact_id = self.add_person(n)
                if contact_id is not None:
                    self.schedule(contact_id)
            except (requests.ConnectionError, requests.Timeout,
                    requests.exceptions.ChunkedEncodingError, AttributeError,
                    ValueError) as error:
                # The server died under the request (or answered with half a page).
                self.interrupted += 1
                self.errors = (getattr(self, "errors", []) + [repr(error)])[-3:]
                self.stop.wait(0.05)
        self.session.close()


def texts_scheduled(clients):
    return sum(len(client.messages) for client in clients)


def wait_for_texts(clients, at_least, web, log_path):
    deadline = time.monotonic() + PATIENCE
    while texts_scheduled(clients) < at_least:
        assert web.poll() is None, Path(log_path).read_text()
        assert time.monotonic() < deadline, (f"only {texts_scheduled(clients)} texts scheduled: "
                                             f"{[getattr(c, 'errors', []) for c in clients]}")
        time.sleep(0.02)


def test_killing_the_web_process_mid_request_leaves_nothing_half_written(tmp_path):
    database_path = str(tmp_path / "mend.db")
    prepare_database(database_path)
    port = load.free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {**load.environment(database_path, port, "http://127.0.0.1:9"),
           "SMS_BACKEND": "console", "WEB_CONCURRENCY": "2"}
    log_path = tmp_path / "web.log"
    stop = threading.Event()
    clients = [Client(n, ACCOUNTS[key][0], base_url, stop) for n, key in enumerate(CLIENTS)]
    web = load.start_web(env, log_path)
    try:
        load.wait_until_serving(base_url, web, log_path)
        for client in clients:
            client.start()
        for kill in range(KILLS):
            wait_for_texts(clients, (kill + 1) * TEXTS_BETWEEN_KILLS, web, log_path)
            os.killpg(web.pid, signal.SIGKILL)  # gunicorn and its workers, mid-request
            web.wait(timeout=30)
            web = load.start_web(env, log_path)
            load.wait_until_serving(base_url, web, log_path)
        wait_for_texts(clients, (KILLS + 1) * TEXTS_BETWEEN_KILLS, web, log_path)
    finally:
        stop.set()
        for client in clients:
            client.join(timeout=PATIENCE)
        load.stop_process(web)

    problems = [problem for client in clients for problem in client.problems]
    assert problems == []
    assert sum(client.interrupted for client in clients) >= KILLS  # the kills hit requests
    output = log_path.read_text()
    assert "database is locked" not in output and "Traceback" not in output

    db = connect(database_path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert events.verify_chain(db)[1] is None
    events_by = Counter((row["action"], row["subject_id"]) for row in db.query(
        "SELECT action, subject_id FROM events WHERE subject_type IN ('contact', 'message')"))
    consent_events = {json.loads(row["detail"]).get("consent_id") for row in db.query(
        "SELECT detail FROM events WHERE action LIKE 'consent.%'")}
    contacts = [row["id"] for row in db.query("SELECT id FROM contacts")]
    assert len(contacts) >= len({c for client in clients for c in client.contacts}) > 0
    for contact_id in contacts:
        assert events_by[("contact.created", contact_id)] == 1
        consents = [row["id"] for row in db.query(
            "SELECT id FROM consents WHERE contact_id = ?", [contact_id])]
        assert consents, f"contact {contact_id} has no consent row"
        assert set(consents) <= consent_events, f"contact {contact_id}: consent without event"
    stored = {row["id"]: row for row in db.query("SELECT * FROM messages")}
    told = [m for client in clients for m in client.messages]
    assert set(told) <= set(stored)
    for message_id, row in stored.items():
        assert row["status"] in message_store.STATUSES
        assert row["status"] == "scheduled"  # no dispatcher runs here
        assert events_by[("message.scheduled", message_id)] == 1
        assert row["contact_id"] in contacts
    db.close()
