"""Load benchmark (not a test): `make bench`, or `python bench/load.py --seconds 60 --workers 30`.

Everything is real and runs on 127.0.0.1, each in its own process:

- the web app under gunicorn with the shipped `gunicorn.conf.py`;
- the dispatcher, `flask --app app scheduler run`, with SMS_BACKEND=twilio and the
  official `twilio` client pointed at the fake Twilio (`python -m tests.fake_twilio`);
- simulated support workers (threads, one `requests.Session` each) who log in, then
  over and over open the compose page, preview a text, review it and confirm it
  (carrying `seen_warnings` from the confirm page), every text going "now";
- "Twilio" (a thread here): signed status callbacks (sent, delivered, and now and then
  a duplicate or an out-of-order one) for every text the fake received, signed inbound
  replies, and a few STOPs from people being texted.

When the time is up it waits for the dispatcher to send everything, then checks:
no "database is locked" (or any traceback) in the server's or the scheduler's output
or in any response; no 5xx; every text a worker was told was scheduled exists, has its
`message.scheduled` event, and ended sent or delivered (or another end state with a
reason); what the fake received matches the database one to one; PRAGMA
integrity_check is ok; the audit chain verifies.

It prints a table of page times (p50, p95) per page type, then one JSON line, last.
`run_load()` is what `tests/test_load.py` calls, with a shorter duration.
"""
import argparse
import html
import json
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from twilio.request_validator import RequestValidator  # noqa: E402

from bench.measure import machine, percentile  # noqa: E402
from storage import contacts, events  # noqa: E402
from storage.connection import connect, to_db_time, utc_now  # noqa: E402
from tests.conftest import PASSWORD, prepare_database  # noqa: E402
from tests.fake_twilio import ACCOUNT_SID, AUTH_TOKEN  # noqa: E402

PAGES = ("login", "compose", "preview", "review", "confirm", "message")
CONTACTS_PER_WORKER = 3
STOPS = 3  # people who text STOP during the run
REPLIES_PER_SECOND = 2
FROM_NUMBER = "+447700900123"
TIMEZONE = "Europe/London"
FINAL_STATES = {"sent", "delivered"}
OTHER_END_STATES = {"cancelled", "failed", "expired", "undelivered", "unknown"}
DRAIN_PATIENCE = 90  # seconds for the dispatcher to send what was scheduled
START_PATIENCE = 60
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
LOCKED = "database is locked"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def select_block(page, name):
    start = page.find(f'<select id="{name}"')
    return page[start:page.find("</select>", start)] if start >= 0 else ""


def options(block):
    """(value, attributes text) of each non-empty option in a <select> block."""
    return [(value, attrs) for attrs, value in
            re.findall(r'<option([^>]*?)value="(\d+)"', block)]


# --- setting up ----------------------------------------------------------------

def make_people(database_path, workers):
    """Worker accounts and, for each, people who agreed to texts (numbers checked today)."""
    accounts = {f"w{n}": (f"worker{n}@example.org", f"Worker{n} Load", "worker")
                for n in range(workers)}
    ids = prepare_database(database_path, accounts=accounts)
    db = connect(database_path)
    phones = {}
    with db.atomic():
        for n in range(workers):
            for k in range(CONTACTS_PER_WORKER):
                phone = f"+4479115{n:03d}{k:02d}"
                contact_id = contacts.create(
                    db, preferred_name=f"Person {n}-{k}", phone=phone,
                    key_worker_id=ids[f"w{n}"], created_by=ids[f"w{n}"],
                    number_confirmed_on=to_db_time(utc_now()))
                contacts.record_consent(db, contact_id=contact_id, state="granted",
                                        method="in_person", recorded_by=ids[f"w{n}"])
                events.record(db, action="contact.created", subject_type="contact",
                              subject_id=contact_id, actor_type="user",
                              actor_id=ids[f"w{n}"])
                phones[contact_id] = phone
    db.close()
    return accounts, phones


def environment(database_path, port, fake_url):
    return {**os.environ, "MEND_ENV": "production", "SECRET_KEY": "load-test-secret",
            "DATABASE_PATH": database_path, "BIND": f"127.0.0.1:{port}",
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}", "SEND_WINDOW": "00:00-24:00",
            "TIMEZONE": TIMEZONE, "SMS_BACKEND": "twilio",
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_FROM_NUMBER": FROM_NUMBER, "TWILIO_API_BASE_URL": fake_url,
            "SCHEDULER_INTERVAL": "1", "SEGMENTS_PER_SECOND": "1000",
            "SEND_CONCURRENCY": "8", "RUN_SCHEDULER_IN_PROCESS": "0",
            "PYTHONUNBUFFERED": "1"}


def start_fake(latency):
    process = subprocess.Popen([sys.executable, "-m", "tests.fake_twilio", "--port", "0",
                                "--latency", str(latency)],
                               cwd=ROOT, stdout=subprocess.PIPE, text=True)
    return process, process.stdout.readline().strip()


def start_logged(command, env, log_path, **kwargs):
    """Start `command` with its output appended to `log_path` (the child keeps the file)."""
    with open(log_path, "ab") as log:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT, **kwargs)


def start_web(env, log_path):
    """gunicorn in its own session, so that killing its group kills its workers too."""
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    return start_logged([gunicorn, "-c", "gunicorn.conf.py", "app:create_app()"], env,
                        log_path, start_new_session=True)


def start_scheduler(env, log_path):
    return start_logged([sys.executable, "-m", "flask", "--app", "app", "scheduler", "run"],
                        env, log_path)


def wait_until_serving(base_url, process, log_path):
    deadline = time.monotonic() + START_PATIENCE
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the web server exited:\n{Path(log_path).read_text()}")
        try:
            if requests.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the web server did not start:\n{Path(log_path).read_text()}")


def stop_process(process, sig=signal.SIGTERM, timeout=30):
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


# --- the simulated workers -----------------------------------------------------

class Tally:
    """Everything the threads saw, under one lock."""

    def __init__(self):
        self.lock = threading.Lock()
        self.times = defaultdict(list)
        self.confirmed = []   # (message id, contact id)
        self.refused = 0      # a compose the app refused (e.g. the person texted STOP)
        self.repeats = 0      # the same text confirmed again within minutes: kept as one
        self.problems = []

    def time(self, page, seconds):
        with self.lock:
            self.times[page].append(seconds)

    def problem(self, text):
        with self.lock:
            if len(self.problems) < 200:
                self.problems.append(text)


class Worker:
    """One support worker in a browser: log in, then compose, preview, review, confirm."""

    def __init__(self, base_url, email, tally, deadline, rng):
        self.base = base_url
        self.email = email
        self.tally = tally
        self.deadline = deadline
        self.rng = rng
        self.session = requests.Session()

    def request(self, page, method, path, **kwargs):
        started = time.perf_counter()
        response = self.session.request(method, self.base + path, allow_redirects=False,
                                        timeout=60, **kwargs)
        self.tally.time(page, time.perf_counter() - started)
        if response.status_code >= 500 or LOCKED in response.text:
            self.tally.problem(f"{method} {path} answered {response.status_code}"
                               + (f" ({LOCKED})" if LOCKED in response.text else ""))
            return None
        return response

    def log_in(self):
        page = self.session.get(self.base + "/login", timeout=60).text
        response = self.request("login", "POST", "/login", data={
            "csrf_token": CSRF.search(page).group(1), "email": self.email,
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
        people = options(select_block(page, "contact_id"))
        templates = options(select_block(page, "template_version_id"))
        if not people or not templates:
            self.tally.problem(f"{self.email}: no one or no template to choose")
            time.sleep(0.5)
            return
        contact_id = self.rng.choice(people)[0]
        template_id = self.rng.choice(templates)[0]
        meeting = (datetime.now(ZoneInfo(TIMEZONE)) + timedelta(days=2)).replace(
            hour=10, minute=30)
        form = {"csrf_token": CSRF.search(page).group(1), "contact_id": contact_id,
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
        hidden = {name: html.unescape(value) for name, value in HIDDEN.findall(review.text)}
        hidden["csrf_token"] = CSRF.search(review.text).group(1)
        hidden["action"] = "confirm"
        confirm = self.request("confirm", "POST", "/compose/", data=hidden)
        if confirm is None:
            return
        match = re.search(r"/messages/(\d+)$", confirm.headers.get("Location", ""))
        if confirm.status_code != 302 or not match:
            if "Check your text" in confirm.text or "cannot be texted" in confirm.text:
                with self.tally.lock:
                    self.tally.refused += 1
                return
            self.tally.problem(f"confirm answered {confirm.status_code} without a message")
            return
        shown = self.request("message", "GET", match.group(0))  # the redirect, as a browser
        with self.tally.lock:
            if shown is not None and "already scheduled" in shown.text:
                # The same text to the same person moments ago: Mend kept it as one.
                self.tally.repeats += 1
            else:
                self.tally.confirmed.append((int(match.group(1)), int(contact_id)))


# --- Twilio's side: status callbacks, replies and STOPs ----------------------------

class Twilio:
    """Signed webhooks to the real server, as Twilio sends them, from two threads: one
    posts status callbacks for every text the fake took (a few at a time, in order for
    each text), the other sends replies at a steady rate and STOPs at set times."""

    CALLBACK_SENDERS = 4

    def __init__(self, base_url, fake_url, phones, stoppers, stop_at, tally):
        self.base = base_url
        self.fake = fake_url
        self.phones = phones
        self.stoppers = list(stoppers)
        self.stop_at = list(stop_at)
        self.tally = tally
        self.done = threading.Event()
        self.local = threading.local()
        self.sessions = []
        self.lock = threading.Lock()
        self.validator = RequestValidator(AUTH_TOKEN)
        self.rng = random.Random(7)
        self.posted = set()
        self.callbacks = 0
        self.inbound = 0
        self.stopped = {}  # phone -> time the STOP was answered
        self.threads = [threading.Thread(target=self.loop, args=(self.settle_new,), daemon=True),
                        threading.Thread(target=self.loop, args=(self.texts,), daemon=True)]
        self.pool = ThreadPoolExecutor(max_workers=self.CALLBACK_SENDERS,
                                       thread_name_prefix="twilio-callbacks")

    def start(self):
        self.started = time.monotonic()
        for thread in self.threads:
            thread.start()

    def join(self, timeout):
        self.done.set()
        for thread in self.threads:
            if thread.ident is not None:
                thread.join(timeout=timeout)
        self.pool.shutdown(wait=True)
        for session in self.sessions:
            session.close()

    def session(self):
        if getattr(self.local, "session", None) is None:
            self.local.session = requests.Session()
            with self.lock:
                self.sessions.append(self.local.session)
        return self.local.session

    def post(self, url, params):
        """POST params signed for `url` (PUBLIC_BASE_URL is the server's own address)."""
        signature = self.validator.compute_signature(url, params)
        response = self.session().post(url, data=params, timeout=60,
                                       headers={"X-Twilio-Signature": signature})
        if response.status_code >= 300 or LOCKED in response.text:
            self.tally.problem(f"webhook {urllib.parse.urlsplit(url).path} answered "
                               f"{response.status_code}")
        return response

    def status(self, message, status, error_code=None):
        params = {"MessageSid": message["sid"], "SmsSid": message["sid"],
                  "MessageStatus": status, "SmsStatus": status, "AccountSid": ACCOUNT_SID,
                  "From": FROM_NUMBER, "To": message["to"], "ApiVersion": "2010-04-01"}
        if error_code:
            params["ErrorCode"] = str(error_code)
        self.post(message["status_callback"], params)
        with self.lock:
            self.callbacks += 1

    def inbound_text(self, phone, body):
        params = {"MessageSid": "SM" + secrets.token_hex(16), "AccountSid": ACCOUNT_SID,
                  "From": phone, "To": FROM_NUMBER, "Body": body, "NumMedia": "0",
                  "ApiVersion": "2010-04-01"}
        self.post(f"{self.base}/webhooks/twilio/inbound", params)
        self.inbound += 1

    def report(self, message, roll):
        """One text's callbacks, in the order Twilio might send them."""
        try:
            self.status(message, "sent")
            self.status(message, "delivered")
            if roll < 0.1:
                self.status(message, "delivered")  # Twilio retries: a duplicate
            elif roll < 0.2:
                self.status(message, "sent")  # late and out of order: ignored
        except Exception as error:  # noqa: BLE001 - counted; Twilio would retry
            self.tally.problem(f"status callback: {type(error).__name__}: {error}")
            with self.lock:
                self.posted.discard(message["sid"])

    def settle_new(self):
        """Callbacks for the texts the fake took since last time."""
        created = self.session().get(f"{self.fake}/_fake/state", timeout=60).json()["created"]
        reports = []
        for message in created:
            with self.lock:
                if message["sid"] in self.posted:
                    continue
                self.posted.add(message["sid"])
            reports.append(self.pool.submit(self.report, message, self.rng.random()))
        for report in reports:
            report.result()

    def texts(self):
        """Replies at REPLIES_PER_SECOND, and each STOP at its time."""
        elapsed = time.monotonic() - self.started
        if self.stop_at and elapsed >= self.stop_at[0]:
            self.stop_at.pop(0)
            phone = self.stoppers.pop(0)
            self.inbound_text(phone, "STOP")
            self.stopped[phone] = time.time()
        while self.inbound < elapsed * REPLIES_PER_SECOND and not self.done.is_set():
            phone = self.rng.choice(list(self.phones.values()))
            self.inbound_text(phone, self.rng.choice(
                ["Thanks", "ok see you thursday", "Who is this?"]))

    def loop(self, step):
        while not self.done.is_set():
            try:
                step()
            except Exception as error:  # noqa: BLE001 - counted; Twilio would retry
                self.tally.problem(f"twilio: {type(error).__name__}: {error}")
            self.done.wait(0.1)


# --- checking ------------------------------------------------------------------

def check_database(database_path, tally, fake_state, stopped_phones):
    """Every confirmed text exists, is whole and ended well; the file and the log are sound."""
    problems = []
    db = connect(database_path)
    try:
        integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
        if integrity != "ok":
            problems.append(f"integrity_check: {integrity}")
        checked, chain_problem = events.verify_chain(db)
        if chain_problem:
            problems.append(f"audit chain: {chain_problem}")
        rows = {row["id"]: row for row in db.query(
            "SELECT messages.*, contacts.phone FROM messages"
            " JOIN contacts ON contacts.id = messages.contact_id")}
        scheduled_events = Counter(row["subject_id"] for row in db.query(
            "SELECT subject_id FROM events WHERE action = 'message.scheduled'"))
        statuses = Counter(row["status"] for row in rows.values())
        confirmed_ids = [message_id for message_id, _ in tally.confirmed]
        if len(set(confirmed_ids)) != len(confirmed_ids):
            problems.append("two confirmations named the same message")
        for message_id in confirmed_ids:
            row = rows.get(message_id)
            if row is None:
                problems.append(f"message {message_id} was confirmed but is not stored")
                continue
            if scheduled_events[message_id] != 1:
                problems.append(f"message {message_id} has {scheduled_events[message_id]} "
                                "message.scheduled events")
            if row["status"] in OTHER_END_STATES and not row["status_reason"]:
                problems.append(f"message {message_id} is {row['status']} with no reason")
            elif row["status"] not in FINAL_STATES | OTHER_END_STATES:
                problems.append(f"message {message_id} ended {row['status']}")
            elif row["status"] in OTHER_END_STATES and row["phone"] not in stopped_phones:
                problems.append(f"message {message_id} ended {row['status']}: "
                                f"{row['status_reason']}")
        extra = set(rows) - set(confirmed_ids)
        if extra:
            problems.append(f"{len(extra)} message(s) stored that no worker was told about")
        received = Counter(m["sid"] for m in fake_state["created"])
        if received and max(received.values()) > 1:
            problems.append("the fake holds a SID twice")
        stored_sids = Counter(row["provider_sid"] for row in rows.values() if row["provider_sid"])
        if stored_sids and max(stored_sids.values()) > 1:
            problems.append("two messages share a provider SID")
        if set(stored_sids) != set(received):
            problems.append(f"the fake took {len(received)} texts but {len(stored_sids)} "
                            "are recorded as sent")
        consents_after_stop = list(db.query(
            "SELECT contacts.phone FROM messages JOIN contacts ON contacts.id = messages.contact_id"
            " WHERE messages.created_at > (SELECT max(recorded_at) FROM consents"
            "   WHERE consents.contact_id = contacts.id AND state = 'withdrawn')"))
        if consents_after_stop:
            problems.append(f"{len(consents_after_stop)} text(s) scheduled after a STOP")
        return problems, {"statuses": dict(statuses), "events": checked,
                          "integrity": integrity}
    finally:
        db.close()


def wait_for_drain(database_path, twilio, scheduler):
    """Until nothing is scheduled or sending and every text the fake took has its callbacks."""
    deadline = time.monotonic() + DRAIN_PATIENCE
    while time.monotonic() < deadline and scheduler.poll() is None:
        db = connect(database_path)
        try:
            left = db.execute("SELECT count(*) FROM messages WHERE status IN "
                              "('scheduled', 'sending') OR (status = 'sent' AND "
                              "provider_sid IS NOT NULL)").fetchone()[0]
        finally:
            db.close()
        if not left:
            return True
        time.sleep(0.5)
    return False


# --- the run -------------------------------------------------------------------

def run_load(seconds=60, workers=30, *, fake_latency=0.05, web_workers=2, web_threads=4,
             workdir=None, echo=print):
    """Run the whole thing; returns a dict of figures with `problems` (a list, empty if well)."""
    own_dir = tempfile.TemporaryDirectory() if workdir is None else None
    folder = Path(workdir or own_dir.name)
    database_path = str(folder / "mend.db")
    web_log, scheduler_log = folder / "web.log", folder / "scheduler.log"
    accounts, phones = make_people(database_path, workers)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    fake, fake_url = start_fake(fake_latency)
    env = {**environment(database_path, port, fake_url),
           "WEB_CONCURRENCY": str(web_workers), "WEB_THREADS": str(web_threads)}
    web = start_web(env, web_log)
    scheduler = start_scheduler(env, scheduler_log)
    tally = Tally()
    rng = random.Random(42)
    stoppers = rng.sample(sorted(phones.values()), STOPS)
    twilio = Twilio(base_url, fake_url, phones, stoppers,
                    [seconds * (n + 1) / (STOPS + 1) for n in range(STOPS)], tally)
    drained = False
    try:
        wait_until_serving(base_url, web, web_log)
        deadline = time.monotonic() + seconds
        threads = [threading.Thread(target=Worker(base_url, email, tally, deadline,
                                                  random.Random(n)).run, daemon=True)
                   for n, (email, _, _) in enumerate(accounts.values())]
        began = time.monotonic()
        twilio.start()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=seconds + 120)
        elapsed = time.monotonic() - began
        if any(thread.is_alive() for thread in threads):
            tally.problem("a worker thread did not finish")
        # Until every text is sent and Twilio's thread has reported it delivered.
        drained = wait_for_drain(database_path, twilio, scheduler)
    finally:
        twilio.join(timeout=60)
        stop_process(scheduler)
        stop_process(web)
        fake_state = requests.get(f"{fake_url}/_fake/state", timeout=60).json() \
            if fake.poll() is None else {"created": [], "arrivals": []}
        stop_process(fake)
        fake.stdout.close()
    problems = list(tally.problems)
    if not drained:
        problems.append("the dispatcher did not finish sending in time")
    for name, log_path in (("web server", web_log), ("scheduler", scheduler_log)):
        output = log_path.read_text(errors="replace")
        if LOCKED in output:
            problems.append(f"'{LOCKED}' in the {name}'s output")
        if "Traceback" in output:
            problems.append(f"a traceback in the {name}'s output")
    db_problems, facts = check_database(database_path, tally, fake_state, set(twilio.stopped))
    problems += db_problems
    if not tally.confirmed:
        problems.append("no text was scheduled at all")
    requests_made = sum(len(times) for times in tally.times.values())
    result = {
        "benchmark": "load", "seconds": seconds, "workers": workers,
        "web": {"gunicorn_workers": web_workers, "threads": web_threads},
        "fake_latency_ms": round(fake_latency * 1000),
        "requests": requests_made + twilio.callbacks + twilio.inbound,
        "page_requests": requests_made,
        "requests_per_second": round(requests_made / elapsed, 1) if elapsed else None,
        "scheduled": len(tally.confirmed), "refused": tally.refused,
        "repeats": tally.repeats,
        "texts_at_fake": len(fake_state["created"]),
        "status_callbacks": twilio.callbacks, "inbound_webhooks": twilio.inbound,
        "stops": len(twilio.stopped),
        # Texts that reached the fake after the person's STOP was answered. Only a text
        # already past its last consent check can: see tests/test_stop_during_batch.py.
        "texts_after_stop": sum(1 for to, at in fake_state.get("arrivals", [])
                                if to in twilio.stopped and at > twilio.stopped[to]),
        "statuses": facts["statuses"],
        "audit_events": facts["events"], "integrity_check": facts["integrity"],
        "pages": {page: {"count": len(tally.times[page]),
                         "p50_ms": round(percentile(tally.times[page], 0.5) * 1000, 1)
                         if tally.times[page] else None,
                         "p95_ms": round(percentile(tally.times[page], 0.95) * 1000, 1)
                         if tally.times[page] else None}
                  for page in PAGES},
        "problems": problems,
    }
    if own_dir is not None:
        own_dir.cleanup()
    return result


def print_table(result, echo=print):
    about = result["machine"]
    echo(f"Machine: {about['cpu']}, {about['cores']} cores, {about['memory']}, "
         f"Python {about['python']}, {about['system']}")
    echo(f"{result['workers']} workers for {result['seconds']} s against gunicorn "
         f"({result['web']['gunicorn_workers']} workers x {result['web']['threads']} threads); "
         f"dispatcher and fake Twilio ({result['fake_latency_ms']} ms) in their own processes")
    echo("| page | requests | p50 | p95 |")
    echo("|---|---|---|---|")
    for page, figures in result["pages"].items():
        p50 = f"{figures['p50_ms']} ms" if figures["p50_ms"] is not None else "-"
        p95 = f"{figures['p95_ms']} ms" if figures["p95_ms"] is not None else "-"
        echo(f"| {page} | {figures['count']} | {p50} | {p95} |")
    echo(f"Page requests: {result['page_requests']} ({result['requests_per_second']}/s); "
         f"webhooks: {result['status_callbacks']} status callbacks, "
         f"{result['inbound_webhooks']} inbound ({result['stops']} STOP, "
         f"{result['texts_after_stop']} texts after one); "
         f"texts scheduled: {result['scheduled']} (and {result['repeats']} repeated confirms "
         f"kept as one), at the fake: {result['texts_at_fake']}; "
         f"statuses: {result['statuses']}")
    echo("Problems: " + ("none" if not result["problems"] else "; ".join(result["problems"])))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=30)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--web-threads", type=int, default=4)
    parser.add_argument("--fake-latency", type=float, default=0.05)
    args = parser.parse_args()
    result = run_load(args.seconds, args.workers, fake_latency=args.fake_latency,
                      web_workers=args.web_workers, web_threads=args.web_threads)
    result["machine"] = machine()
    print_table(result)
    print(json.dumps(result))
    return 1 if result["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
