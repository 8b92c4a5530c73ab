"""`dispatch_due(now)`: claim due messages, re-check them, send, record.

The database row is the source of truth. A message is claimed atomically
(scheduled -> sending) before anything is sent, so no two dispatchers can send
the same row, and a crash leaves it in `sending` for a person to review.

Sends run in a small pool of threads so that the provider's latency does not
limit throughput; the rate limiter (segments per second, process-wide) decides
when each may start. Only the dispatching thread touches the database: senders
hand their outcome back through a queue. Messages are claimed a few at a time,
just before they can be sent, so a crash strands as few as possible in `sending`.
"""
import logging
import queue
import random
import threading
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta

from actions import consent, number_hold
from sms import people, send_window, team, twilio_errors
from sms.gateways import (Ambiguous, BadNumber, CredentialsRejected, LookupFailed,
                          RecipientOptedOut, RetryLater, SendError)
from storage import alerts, contacts, delivery, events, messages, scheduler_ticks
from storage.connection import from_db_time, utc_now, write_transaction

from .rate_limit import process_limiter

log = logging.getLogger("mend.dispatcher")

UNCONFIRMED = "The provider did not confirm the send; a person should check it."
PAUSED = ("Sending is paused because the provider refused Mend's account details. "
          "It will go when they are fixed.")
RELEASED = "The dispatcher stopped before sending it; it will go at the next run."
STALE = "It could not go out on time, so it was not sent late."
NO_OVERLAP = ("Their safe hours do not overlap the service's send window, so it could "
              "not go out.")
STOPPED_BY_PROVIDER = ("The person texted STOP to Mend's number, so the provider blocks "
                       "texts to them.")


@dataclass(frozen=True)
class DispatchSettings:
    zone: str
    window: send_window.Window
    stale_after: timedelta = timedelta(hours=2)
    batch_size: int = 500  # the most messages one tick claims; the rest wait a tick
    segments_per_second: float = 10
    concurrency: int = 8
    max_attempts: int = 5
    retry_base: timedelta = timedelta(seconds=10)
    retry_cap: timedelta = timedelta(minutes=15)
    limiter: object = None  # default: the process-wide limiter for the rate


@dataclass
class TickResult:
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    deferred: int = 0
    cancelled: int = 0
    expired: int = 0
    unknown: int = 0
    released: int = 0
    halted: bool = False
    details: list = field(default_factory=list)


@dataclass(frozen=True)
class Outcome:
    kind: str  # sent | found | not_found | refused | unknown
    result: object = None
    error: Exception = None


def gave_up(message, status):
    """How a text we stop trying ends: after an attempt that may have reached the person
    (a timeout or 5xx), `unknown` for a person to check, never "not sent"."""
    return "unknown" if message.get("ambiguous_at") else status


def recheck(db, message, now, settings):
    """Why this claimed message must not go now, as (status, reason, retry_at), or None.

    `status` is where the message goes instead: cancelled, expired, or back to
    scheduled until `retry_at` (the send window opens).
    """
    contact = contacts.get(db, message["contact_id"])
    if contact is None or contact["erased_at"] or not contact["phone"]:
        return "cancelled", "The person's details were erased.", None
    if message.get("purpose") == "consent_request":
        if contact["consent_state"] != "pending":
            return ("cancelled", "They are no longer waiting to confirm, so it was not sent.",
                    None)
    elif contact["consent_state"] != "granted":
        return "cancelled", "The person has not agreed to texts (consent is not granted).", None
    due = from_db_time(message["scheduled_for"])
    if now - due > settings.stale_after:
        return gave_up(message, "expired"), STALE, None
    if contact["number_flag"]:  # issue 14: held until the number is checked in person
        return ("scheduled", team.held_reason(contact["number_flag"]),
                due + settings.stale_after + timedelta(seconds=1))
    window = people.window_for(contact, settings.window)
    if window is None:
        return gave_up(message, "expired"), NO_OVERLAP, None
    if not send_window.is_allowed(now, settings.zone, window):
        opens = send_window.next_allowed(now, settings.zone, window)
        if opens is None or opens - due > settings.stale_after:
            return gave_up(message, "expired"), STALE + " The send window was closed.", None
        return "scheduled", "Outside the send window; it will wait for the window to open.", opens
    return None


def backoff(attempt, settings, rng=random):
    """Exponential backoff with jitter: about base, 2 x base, 4 x base ... capped."""
    ceiling = min(settings.retry_cap, settings.retry_base * (2 ** max(0, attempt - 1)))
    return ceiling / 2 + ceiling / 2 * rng.random()


def dispatch_due(db, gateway, now=None, settings=None, stop=None):
    """Send every message due at `now` (default: the clock); returns a TickResult.

    `stop` (a threading.Event) makes it claim nothing more, finish the sends in
    flight, and put claimed-but-unsent messages back. The tick is recorded.
    """
    started = utc_now()
    clock = (lambda: now) if now is not None else utc_now
    result = TickResult()
    if alerts.is_active(db, alerts.TWILIO_CREDENTIALS):
        result.halted = True
    else:
        _Dispatch(db, gateway, settings, clock, stop, result).run()
    scheduler_ticks.record(db, started_at=started, finished_at=utc_now(),
                           claimed=result.claimed, sent=result.sent,
                           failed=result.failed + result.unknown,
                           deferred=result.deferred + result.released)
    return result


class _Dispatch:
    def __init__(self, db, gateway, settings, clock, stop, result):
        self.db = db
        self.gateway = gateway
        self.settings = settings
        self.clock = clock
        self.stop = stop
        self.result = result
        self.limiter = settings.limiter or process_limiter(settings.segments_per_second)
        self.slots = threading.Semaphore(settings.concurrency)
        self.finished = queue.Queue()
        self.halted = False

    def stopping(self):
        return self.halted or (self.stop is not None and self.stop.is_set())

    def run(self):
        pool = ThreadPoolExecutor(max_workers=self.settings.concurrency,
                                  thread_name_prefix="mend-send")
        waiting = deque()
        try:
            self._loop(pool, waiting)
        finally:
            pool.shutdown(wait=True)
            self._record_finished()
            self._release(waiting)

    def _loop(self, pool, waiting):
        while True:
            self._record_finished()
            if self.stopping():
                return
            if not waiting:
                room = self.settings.batch_size - self.result.claimed
                if room <= 0:
                    return
                waiting.extend(self._claim(min(self.settings.concurrency, room)))
                if not waiting:
                    return
            while not self.slots.acquire(timeout=0.05):
                self._record_finished()
            message = waiting.popleft()
            try:
                started = self._start(pool, message)
            except BaseException:
                self.slots.release()
                waiting.appendleft(message)  # released back to `scheduled`, not stranded
                raise
            if not started:
                self.slots.release()
                if self.stopping() and message is not None:
                    waiting.appendleft(message)

    def _claim(self, limit):
        now = self.clock()
        with write_transaction(self.db):
            claimed = messages.claim_due(self.db, now=now, limit=limit)
            for message in claimed:
                events.record(self.db, action="message.claimed", subject_type="message",
                              subject_id=message["id"], detail={"attempt": message["attempts"]})
        self.result.claimed += len(claimed)
        return claimed

    def _start(self, pool, message):
        """Re-check and hand the message to a sender. False if it did not go to one.

        It is checked before waiting for the rate limiter (a backlog of expired texts
        must not wait its turn) and again after, right before it goes.
        """
        self._record_finished()
        if self.stopping():
            return False
        if self._held_back(message):
            return False
        if not self.limiter.acquire(message["parts"], self.stop):
            return False
        if self._held_back(message):
            return False
        contact = contacts.get(self.db, message["contact_id"])
        pool.submit(self._send, message, contact["phone"])
        return True

    def _send(self, message, phone):
        """In a sender thread: talk to the provider only; never the database."""
        outcome = Outcome("unknown")
        try:
            outcome = attempt_send(self.gateway, message, phone)
        finally:
            self.finished.put((message, outcome))
            self.slots.release()

    def _record_finished(self):
        while True:
            try:
                message, outcome = self.finished.get_nowait()
            except queue.Empty:
                return
            self._record(message, outcome)

    def _held_back(self, message):
        verdict = recheck(self.db, message, self.clock(), self.settings)
        if verdict is not None:
            self._hold_back(message, *verdict)
        return verdict is not None

    def _hold_back(self, message, status, reason, retry_at):
        if status == "scheduled":
            delivery.finish(self.db, message["id"], to_status="scheduled", reason=reason,
                            action="message.deferred", next_attempt_at=retry_at,
                            detail={"next_attempt_at": retry_at.isoformat(timespec="seconds")})
            self.result.deferred += 1
        elif status == "unknown":
            delivery.finish(self.db, message["id"], to_status="unknown",
                            reason=f"{UNCONFIRMED} {reason}")
            self.result.unknown += 1
        else:
            delivery.finish(self.db, message["id"], to_status=status, reason=reason)
            if status == "expired":
                self.result.expired += 1
            else:
                self.result.cancelled += 1

    def _release(self, waiting):
        for message in waiting:
            if delivery.finish(self.db, message["id"], to_status="scheduled", reason=None,
                               action="message.released", detail={"note": RELEASED},
                               attempts=message["attempts"] - 1):
                self.result.released += 1
        waiting.clear()

    def _record(self, message, outcome):
        message_id = message["id"]
        if outcome.kind in ("sent", "found"):
            sent = outcome.result
            delivery.record_sent(
                self.db, message_id, provider_sid=sent.provider_sid,
                provider_status=sent.status, parts=message["parts"],
                provider_parts=sent.parts, sent_at=self.clock(), gateway=self.gateway.name,
                attempt=message["attempts"], settled_by_lookup=outcome.kind == "found")
            if sent.parts and sent.parts > message["parts"]:
                self.limiter.charge(sent.parts - message["parts"])
            self.result.sent += 1
            return
        error = outcome.error
        if outcome.kind == "not_found":
            self._retry(message, error, ambiguous_at=outcome.result)
        elif isinstance(error, RetryLater):
            self._retry(message, error)
        elif isinstance(error, BadNumber):
            delivery.finish(self.db, message_id, to_status="failed", reason=error.reason,
                            error_code=error.code, detail={"error_code": error.code})
            delivery.flag_number(self.db, message["contact_id"], flag=error.reason,
                                 message_id=message_id)
            number_hold.after_failure(self.db, message["contact_id"], error_code=error.code,
                                      message_id=message_id)
            self.result.failed += 1
        elif isinstance(error, RecipientOptedOut):
            self._provider_blocked(message, error)
        elif isinstance(error, CredentialsRejected):
            self._credentials_rejected(message, error)
        elif outcome.kind == "refused":
            delivery.finish(self.db, message_id, to_status="failed", reason=error.reason,
                            error_code=error.code, detail={"error_code": error.code})
            self.result.failed += 1
        else:
            log.warning("message %s: not confirmed (%s); marked unknown", message_id,
                        type(error).__name__ if error else "no answer")
            delivery.finish(self.db, message_id, to_status="unknown", reason=UNCONFIRMED,
                            detail={"error": type(error).__name__ if error else None,
                                    "error_code": getattr(error, "code", None)})
            self.result.unknown += 1

    def _retry(self, message, error, ambiguous_at=None):
        attempts = message["attempts"]
        reason = error.reason if error else "The provider did not take it."
        detail = {"error_code": getattr(error, "code", None), "attempt": attempts}
        may_have_gone = bool(ambiguous_at or message["ambiguous_at"])
        if attempts >= self.settings.max_attempts:
            self._stop_trying(message, "failed", may_have_gone=may_have_gone, detail=detail,
                              reason=f"{reason} It was tried {attempts} times and not sent.",
                              error_code=getattr(error, "code", None))
            return
        now = self.clock()
        at = now + backoff(attempts, self.settings)
        due = from_db_time(message["scheduled_for"])
        contact = contacts.get(self.db, message["contact_id"])
        window = people.window_for(contact, self.settings.window)
        at = send_window.next_allowed(at, self.settings.zone, window) if window else None
        if at is None or at - due > self.settings.stale_after:
            self._stop_trying(message, "expired", may_have_gone=may_have_gone, detail=detail,
                              reason=f"{reason} {STALE}")
            return
        delivery.retry_later(self.db, message["id"], at=at,
                             reason=f"{reason} It will be tried again.", detail=detail,
                             ambiguous_at=ambiguous_at or message["ambiguous_at"])
        self.result.deferred += 1

    def _stop_trying(self, message, status, *, may_have_gone, reason, detail, **fields):
        """End a text Mend gives up on. One whose earlier attempt may have reached the
        person ends `unknown` for a person to check, never "not sent"."""
        if may_have_gone:
            status, reason, fields = "unknown", UNCONFIRMED, {}
        delivery.finish(self.db, message["id"], to_status=status, reason=reason,
                        detail=detail, **fields)
        setattr(self.result, status, getattr(self.result, status) + 1)

    def _provider_blocked(self, message, error):
        delivery.finish(self.db, message["id"], to_status="cancelled", reason=error.reason,
                        error_code=error.code, detail={"error_code": error.code})
        self.result.cancelled += 1
        if contacts.current_consent(self.db, message["contact_id"]) != "withdrawn":
            consent.withdraw(self.db, message["contact_id"], method="provider_blocked",
                             actor_type="system", note="Twilio error 21610",
                             reason=STOPPED_BY_PROVIDER)

    def _credentials_rejected(self, message, error):
        log.error("the provider refused Mend's credentials (error %s); sending stops",
                  error.code)
        delivery.finish(self.db, message["id"], to_status="scheduled", reason=PAUSED,
                        action="message.held", detail={"error_code": error.code},
                        attempts=message["attempts"] - 1)
        alerts.raise_alert(self.db, alerts.TWILIO_CREDENTIALS,
                           twilio_errors.reason_for(error.code or 20003))
        self.halted = True
        self.result.halted = True
        self.result.deferred += 1


def attempt_send(gateway, message, phone):
    """One send, and for an ambiguous failure a look-up before anything else happens.

    A message whose earlier attempt was ambiguous is looked up again before it is
    sent again: the provider may have taken it after all.
    """
    started = utc_now()
    if message["ambiguous_at"]:
        try:
            found = gateway.find_sent(to=phone, body=message["body"],
                                      sent_after=from_db_time(message["ambiguous_at"]))
        except LookupFailed as error:
            return Outcome("unknown", error=error)
        if found:
            return Outcome("found", found)
    try:
        return Outcome("sent", gateway.send(message_id=message["id"], to=phone,
                                            body=message["body"], parts=message["parts"]))
    except Ambiguous as error:
        try:
            found = gateway.find_sent(to=phone, body=message["body"], sent_after=started)
        except LookupFailed:
            return Outcome("unknown", error=error)
        if found:
            return Outcome("found", found, error)
        return Outcome("not_found", started, error)
    except SendError as error:
        return Outcome("refused", error=error)
    except Exception as error:  # noqa: BLE001 - unexpected: never guess that it did not go
        log.exception("message %s: unexpected error while sending", message["id"])
        return Outcome("unknown", error=error)


def mark_abandoned_sends(db):
    """Rows left in `sending` by a dead process become `unknown`; never resent."""
    ids = messages.ids_with_status(db, "sending")
    for message_id in ids:
        delivery.finish(db, message_id, to_status="unknown",
                        reason="The dispatcher stopped while sending; a person should check "
                               "whether it arrived before sending again.")
    return ids
