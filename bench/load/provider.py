"""Twilio's side of a load run: signed webhooks to the real server, as Twilio sends them."""
import random
import secrets
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import requests

from bench.load.browser import Browser
from bench.load.tally import LOCKED
from tests.harness.delivery import FROM_NUMBER
from tests.harness.fake_twilio import ACCOUNT_SID, AUTH_TOKEN
from tests.harness.twilio_signing import signature_for

REPLIES_PER_SECOND = 2


class Twilio:
    """Signed webhooks from two threads: one posts status callbacks for every text the
    fake took (a few at a time, in order for each text), the other sends replies at a
    steady rate and STOPs at set times."""

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
        parts = urllib.parse.urlsplit(url)
        response = Browser(self.base).post(
            parts.path + (f"?{parts.query}" if parts.query else ""), data=params,
            headers={"X-Twilio-Signature": signature_for(url, params, AUTH_TOKEN)})
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
        """Replies at REPLIES_PER_SECOND, and each STOP at its time. A STOP that falls
        due goes first: on a loaded machine the replies can fall behind for the whole
        run, and a STOP must never wait behind them."""
        while not self.done.is_set():
            elapsed = time.monotonic() - self.started
            if self.stop_at and elapsed >= self.stop_at[0]:
                self.stop_at.pop(0)
                phone = self.stoppers.pop(0)
                self.inbound_text(phone, "STOP")
                self.stopped[phone] = time.time()
            elif self.inbound < elapsed * REPLIES_PER_SECOND:
                phone = self.rng.choice(list(self.phones.values()))
                self.inbound_text(phone, self.rng.choice(
                    ["Thanks", "ok see you thursday", "Who is this?"]))
            else:
                return

    def loop(self, step):
        while not self.done.is_set():
            try:
                step()
            except Exception as error:  # noqa: BLE001 - counted; Twilio would retry
                self.tally.problem(f"twilio: {type(error).__name__}: {error}")
            self.done.wait(0.1)
