"""A fake Twilio: a real HTTP server on 127.0.0.1 that the official `twilio` client talks to.

It implements what Mend uses of the Messages API, shaped like Twilio's answers:

- basic auth with the account SID and auth token (401 / 20003 otherwise);
- `POST /2010-04-01/Accounts/{sid}/Messages.json` creates a message (201), counting
  its segments after SmartEncoded, and remembering its StatusCallback;
- `GET .../Messages.json?To=...&From=...&DateSent>=...` lists them, newest first, like
  Twilio's list: filters on To, From and the *sent* date only. A message is created
  `queued` with no `date_sent` (Twilio has not sent it yet); a `DateSent` filter leaves
  it out, as Twilio's would. `mark_sent(sid)` (or a `sent`/`delivered` status callback)
  gives it a sent date;
- configurable latency, a segment limit counted one of two ways (429 / 20429 beyond
  it): `limit_mode="bucket"` (the default) lets a one-second burst through, like a
  token bucket; `limit_mode="strict"` counts a rolling second, so any one-second window
  holding more than the limit's worth of accepted segments refuses the create that
  would overfill it; errors for particular numbers (21211, 21610 ...) and one-off
  faults for the next requests (429, 500, a 500 or a timeout *after* the message was
  created, a failing list);
- `post_status(sid, status)` posts a status callback back, signed with Twilio's own
  RequestValidator, to the URL the message was created with.

Tests start it with the `fake_twilio` fixture; the benchmarks run it as a separate
process (`python -m tests.harness.fake_twilio --port 0`, through
`tests.harness.processes.start_fake_twilio`) and read `/_fake/...` for results.
"""
import argparse
import base64
import json
import secrets
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import deque
from datetime import datetime, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from twilio.request_validator import RequestValidator

from sms.encoding import count, smart_encode

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "test-auth-token-0123456789abcdef"
API_VERSION = "2010-04-01"

ERROR_MESSAGES = {
    20003: "Authenticate",
    20429: "Too Many Requests",
    20500: "An internal server error has occurred",
    21211: "The 'To' number is not a valid phone number.",
    21408: "Permission to send an SMS has not been enabled for the region indicated "
           "by the 'To' number.",
    21604: "A 'To' phone number is required.",
    21602: "Message body is required.",
    21606: "The 'From' phone number provided is not a valid message-capable Twilio "
           "phone number for this destination/account.",
    21610: "Attempt to send to unsubscribed recipient",
    21611: "This 'From' number has exceeded the maximum number of queued messages",
    21612: "The 'To' phone number is not currently reachable via SMS.",
    21614: "'To' number is not a valid mobile number",
}


def _twilio_time(moment):
    return format_datetime(moment, usegmt=False).replace("-0000", "+0000")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        """A client that was killed mid-request (the crash test does it) is not news."""


class FakeTwilio:
    def __init__(self, *, account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, latency=0.0,
                 segments_per_second=None, limit_mode="bucket", host="127.0.0.1", port=0,
                 callback_base=None):
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.latency = latency
        self.segments_per_second = segments_per_second
        self.limit_mode = limit_mode
        self._window = deque()      # (arrival, segments) accepted in the last second
        self.callback_base = callback_base
        self.created = []           # every message accepted, in order
        self.arrivals = []          # (To, time.time()) for every create, as it arrives
        self.refused = []           # (to, status, code) for every create refused
        self.lists = 0              # how many list requests were answered
        self.number_errors = {}     # To -> (status, code), every time
        self.faults = deque()       # one-off faults for the next create requests
        self.list_faults = deque()  # one-off faults for the next list requests
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._tokens = float(segments_per_second or 0)
        self._refilled = time.monotonic()
        self._connections = set()
        self._server = _Server((host, port), self._handler_class())
        self._thread = None

    # -- running ----------------------------------------------------------------
    @property
    def base_url(self):
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self):
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- configuring faults -----------------------------------------------------
    def fail_next(self, *faults):
        """Queue one-off faults for the next creates, each a dict:
        {"status": 429, "code": 20429}: refuse, nothing created;
        {"status": 500, "after_create": True}: create it, then answer 500;
        {"timeout": 2.0, "after_create": True}: create it, then answer too late;
        {"timeout": 2.0}: answer too late, nothing created;
        add "hidden_from_lists": 1 to an after_create fault to keep the message out of
        the next list (Twilio's lists can lag behind a create).
        """
        self.faults.extend(faults)

    def fail_next_list(self, *faults):
        """Queue one-off faults for the next list requests ({"status": 500} ...)."""
        self.list_faults.extend(faults)

    def reject_number(self, to, code, status=400):
        """Refuse every message to `to` with Twilio error `code`."""
        self.number_errors[to] = (status, code)

    # -- reading what happened --------------------------------------------------
    def bodies(self):
        return [message["body"] for message in self.created]

    def by_sid(self, sid):
        return next(message for message in self.created if message["sid"] == sid)

    def state(self):
        return {"created": [{"sid": m["sid"], "to": m["to"], "body": m["body"],
                             "num_segments": m["num_segments"], "received_at": m["_received_at"],
                             "status_callback": m["_status_callback"]}
                            for m in self.created],
                "arrivals": [list(item) for item in self.arrivals],
                "refused": [list(item) for item in self.refused],
                "max_in_flight": self.max_in_flight, "lists": self.lists}

    # -- status callbacks -------------------------------------------------------
    def post_status(self, sid, status, error_code=None):
        """POST a signed status callback for message `sid`; returns the HTTP status."""
        message = self.by_sid(sid)
        if status in ("sent", "delivered", "undelivered") and message["_sent_at"] is None:
            self.mark_sent(sid, status)
        url = message["_status_callback"]
        params = {"MessageSid": sid, "SmsSid": sid, "MessageStatus": status,
                  "SmsStatus": status, "AccountSid": self.account_sid,
                  "From": message["from"] or "", "To": message["to"],
                  "ApiVersion": API_VERSION}
        if error_code is not None:
            params["ErrorCode"] = str(error_code)
        signature = RequestValidator(self.auth_token).compute_signature(url, params)
        target = url
        if self.callback_base:
            parts = urllib.parse.urlsplit(url)
            target = self.callback_base.rstrip("/") + parts.path + (
                f"?{parts.query}" if parts.query else "")
        request = urllib.request.Request(
            target, data=urllib.parse.urlencode(params).encode(), method="POST",
            headers={"X-Twilio-Signature": signature,
                     "Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    def mark_sent(self, sid, status="sent"):
        """Twilio has sent a queued message: it gets a sent date (and shows in DateSent
        filters from now on)."""
        message = self.by_sid(sid)
        now = datetime.now(timezone.utc)
        with self._lock:
            message.update(status=status, date_sent=_twilio_time(now),
                           date_updated=_twilio_time(now), _sent_at=now)

    def set_limit(self, segments_per_second, mode=None):
        """A new limit (None: no limit), counted as `mode` ("bucket" or "strict")."""
        with self._lock:
            self.segments_per_second = segments_per_second
            self.limit_mode = mode or self.limit_mode
            self._tokens = float(segments_per_second or 0)
            self._refilled = time.monotonic()
            self._window.clear()

    # -- the rules --------------------------------------------------------------
    def _take_tokens(self, segments, arrived=None):
        if not self.segments_per_second:
            return True
        if self.limit_mode == "strict":
            return self._take_from_window(segments, arrived)
        with self._lock:
            now = time.monotonic()
            self._tokens = min(float(self.segments_per_second),
                               self._tokens + (now - self._refilled) * self.segments_per_second)
            self._refilled = now
            if self._tokens + 1e-9 < segments:
                return False
            self._tokens -= segments
            return True

    def _take_from_window(self, segments, arrived):
        """Strict: accept only if the second ending now holds no more than the limit."""
        with self._lock:
            now = arrived if arrived is not None else time.monotonic()
            while self._window and self._window[0][0] <= now - 1.0:
                self._window.popleft()
            used = sum(taken for _, taken in self._window)
            if used + segments > self.segments_per_second + 1e-9:
                return False
            self._window.append((now, segments))
            return True

    def _create(self, form):
        now = datetime.now(timezone.utc)
        body = form.get("Body", "")
        if form.get("SmartEncoded", "").lower() == "true":
            body = smart_encode(body)[0]
        sid = "SM" + secrets.token_hex(16)
        message = {
            "account_sid": self.account_sid, "api_version": API_VERSION, "body": body,
            "date_created": _twilio_time(now), "date_sent": None,
            "date_updated": _twilio_time(now), "direction": "outbound-api",
            "error_code": None, "error_message": None, "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"), "num_media": "0",
            "num_segments": str(count(body).parts), "price": None, "price_unit": "GBP",
            "sid": sid, "status": "queued", "to": form.get("To"),
            "uri": f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}.json",
            "subresource_uris": {"media": f"/{API_VERSION}/Accounts/{self.account_sid}"
                                          f"/Messages/{sid}/Media.json"},
            "_status_callback": form.get("StatusCallback"), "_sent_at": None,
            "_received_at": time.time(),
        }
        with self._lock:
            self.created.append(message)
        return message

    def _sleep(self, seconds):
        if seconds > 0:
            self._closing.wait(seconds)

    def handle_create(self, form):
        """Returns (status, payload) for a create request."""
        to = form.get("To")
        arrived = time.monotonic()
        with self._lock:
            self.arrivals.append((to, time.time()))
            fault = self.faults.popleft() if self.faults else None
        if not to:
            return 400, _error(400, 21604)
        if not form.get("Body"):
            return 400, _error(400, 21602)
        if not (form.get("From") or form.get("MessagingServiceSid")):
            return 400, _error(400, 21606)
        if to in self.number_errors:
            status, code = self.number_errors[to]
            return self._refuse(to, status, code)
        if fault and "status" in fault and not fault.get("after_create"):
            self._sleep(self.latency)
            return self._refuse(to, fault["status"], fault.get("code", fault["status"]))
        if fault and "timeout" in fault and not fault.get("after_create"):
            self._sleep(fault["timeout"])
            return self._refuse(to, 504, 20504)
        parts = count(smart_encode(form.get("Body", ""))[0]).parts
        if not self._take_tokens(parts, arrived):
            return self._refuse(to, 429, 20429)
        self._sleep(self.latency)
        message = self._create(form)
        if fault and fault.get("hidden_from_lists"):
            message["_hidden_from_lists"] = fault["hidden_from_lists"]
        if fault and fault.get("after_create"):
            if "timeout" in fault:
                self._sleep(fault["timeout"])
            return fault.get("status", 500), _error(fault.get("status", 500), 20500)
        return 201, _public(message)

    def _refuse(self, to, status, code):
        with self._lock:
            self.refused.append((to, status, code))
        return status, _error(status, code)

    def handle_list(self, query):
        with self._lock:
            fault = self.list_faults.popleft() if self.list_faults else None
        if fault:
            if "timeout" in fault:
                self._sleep(fault["timeout"])
            return fault.get("status", 500), _error(fault.get("status", 500), 20500)
        self._sleep(self.latency)
        to, sender = query.get("To"), query.get("From")
        after = _parse_filter(query.get("DateSent>"))
        before = _parse_filter(query.get("DateSent<"))
        on_day = _parse_filter(query.get("DateSent"))

        def sent_date_matches(m):
            sent = m["_sent_at"]
            if after is None and before is None and on_day is None:
                return True
            if sent is None:  # not sent yet: no sent date for a DateSent filter to match
                return False
            return ((after is None or sent >= after) and (before is None or sent <= before)
                    and (on_day is None or sent.date() == on_day.date()))

        with self._lock:
            found = [m for m in self.created
                     if (to is None or m["to"] == to) and (sender is None or m["from"] == sender)
                     and sent_date_matches(m) and not m.get("_hidden_from_lists")]
            for m in self.created:
                if m.get("_hidden_from_lists"):
                    m["_hidden_from_lists"] -= 1
            self.lists += 1
        page_size = int(query.get("PageSize", 50))
        found = list(reversed(found))[:page_size]
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages.json"
        return 200, {"messages": [_public(m) for m in found], "end": max(0, len(found) - 1),
                     "first_page_uri": uri, "next_page_uri": None, "page": 0,
                     "page_size": page_size, "previous_page_uri": None, "start": 0,
                     "uri": uri}

    def _handler_class(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                super().setup()
                # Headers and body go out in two writes; without TCP_NODELAY, Nagle's
                # algorithm and delayed ACKs add ~40 ms to every answer.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                with fake._lock:
                    fake._connections.add(self.connection)

            def finish(self):
                with fake._lock:
                    fake._connections.discard(self.connection)
                try:
                    super().finish()
                except OSError:
                    pass

            def log_message(self, *args):
                pass

            def _send(self, status, payload):
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    self.close_connection = True

            def _authorised(self):
                expected = base64.b64encode(
                    f"{fake.account_sid}:{fake.auth_token}".encode()).decode()
                return self.headers.get("Authorization", "") == f"Basic {expected}"

            def _messages_path(self, path):
                return path == f"/{API_VERSION}/Accounts/{fake.account_sid}/Messages.json"

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode()
                path = urllib.parse.urlsplit(self.path).path
                if path == "/_fake/config":
                    settings = json.loads(raw or "{}")
                    fake.latency = settings.get("latency", fake.latency)
                    if "segments_per_second" in settings:
                        fake.set_limit(settings["segments_per_second"],
                                       settings.get("limit_mode"))
                    if settings.get("reset"):
                        with fake._lock:
                            fake.created.clear()
                            fake.arrivals.clear()
                            fake.refused.clear()
                            fake._window.clear()
                            fake.max_in_flight = 0
                    return self._send(200, {"ok": True})
                form = dict(urllib.parse.parse_qsl(raw, keep_blank_values=True))
                if not self._authorised():
                    return self._send(*fake._refuse(form.get("To"), 401, 20003))
                if not self._messages_path(path):
                    return self._send(404, _error(404, 20404))
                with fake._lock:
                    fake.in_flight += 1
                    fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
                try:
                    status, payload = fake.handle_create(form)
                finally:
                    with fake._lock:
                        fake.in_flight -= 1
                self._send(status, payload)

            def do_GET(self):
                parts = urllib.parse.urlsplit(self.path)
                if parts.path == "/_fake/state":
                    return self._send(200, fake.state())
                if not self._authorised():
                    return self._send(401, _error(401, 20003))
                if not self._messages_path(parts.path):
                    return self._send(404, _error(404, 20404))
                query = dict(urllib.parse.parse_qsl(parts.query))
                self._send(*fake.handle_list(query))

        return Handler


def _error(status, code):
    return {"code": code, "message": ERROR_MESSAGES.get(code, "Error"),
            "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status}


def _public(message):
    return {key: value for key, value in message.items() if not key.startswith("_")}


def _parse_filter(text):
    if not text:
        return None
    for pattern in ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=timezone.utc)
        except ValueError:
            continue
    return None


def main():
    parser = argparse.ArgumentParser(description="Run the fake Twilio on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--segments-per-second", type=float, default=None)
    parser.add_argument("--limit-mode", choices=("bucket", "strict"), default="bucket")
    args = parser.parse_args()
    fake = FakeTwilio(port=args.port, latency=args.latency,
                      segments_per_second=args.segments_per_second,
                      limit_mode=args.limit_mode).start()
    print(fake.base_url, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        fake.stop()


if __name__ == "__main__":
    main()
