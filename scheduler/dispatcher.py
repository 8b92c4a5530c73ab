"""`dispatch_due(now)`: claim due messages, re-check them, send, record.

The database row is the source of truth. A message is claimed atomically
(scheduled -> sending) before anything is sent, so no two dispatchers can send
the same row, and a crash leaves it in `sending` for a person to review.

Sends run concurrently so that the provider's latency does not limit throughput:
a tick runs as an event loop in the dispatching thread, and each send in flight is
a coroutine on the gateway's asynchronous calls (Twilio: `in_event_loop`; a
gateway without them, the console, has its calls run in a few threads). No thread
per send and no hand-over between threads: ~20 threads taking turns on the GIL
cost more CPU a text than the requests themselves. The rate limiter (segments per
second in any one-second window, process-wide) decides when each may start; texts
due together leave in small groups (`group_size`), one wake-up and one commit a
group. How many may be in flight at once follows Little's law: the rate times the
provider's observed latency, with room to spare, never more than `concurrency`.
Only the dispatching thread touches the database: the sends hand their outcome
back, and it is recorded in the next transaction the dispatcher commits anyway
(the next send-started mark or claim). Messages are claimed a few at a time, just
before they can be sent, and a tick keeps claiming until nothing is due, so a
backlog flows at the limit without a pause between batches.

Before a request leaves, the row records that its send started (committed). After
a crash, `mark_abandoned_sends` puts back what never started and looks up at the
provider what did; only a text the look-up cannot settle is left for a person.
"""
import asyncio
import contextlib
import math
import time
import logging
import random
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from itertools import islice

from actions import consent, number_hold
from sms import days, people, send_window, team, twilio_errors
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
CRASHED_BEFORE_SEND = ("The dispatcher stopped after claiming it and before sending it; "
                       "it will go at the next run.")
CRASHED_NOT_FOUND = ("The dispatcher stopped while sending it, and the provider has no "
                     "record of it.")
CRASHED_LOOKUP_FAILED = ("The dispatcher stopped while sending it, and the provider could "
                         "not be asked whether it arrived; a person should check it before "
                         "sending again.")
STALE = "It could not go out on time, so it was not sent late."
NO_OVERLAP = ("Their safe hours do not overlap the service's send window, so it could "
              "not go out.")
WRONG_DAY = ("Its words say when it happened (“today”, “yesterday”) for a text arriving "
             "on {date}; it could not go that day, so it was not sent with the wrong day. "
             "Write it again if it should still go.")
STOPPED_BY_PROVIDER = ("The person texted STOP to Mend's number, so the provider blocks "
                       "texts to them.")


# Texts due together leave together, in small groups: at 10 segments a second, five
# every half second rather than one every tenth. Each wake-up of the dispatcher after
# a pause costs more CPU than the work it wakes for (README, "Dispatch"), and a group
# shares one, and one commit. The limiter books a group as one send of all its
# segments, so no one-second window holds more than the limit. A group is the largest
# whole share of the limit (so that groups fill each window) of no more than
# GROUP_SECONDS' worth of segments and GROUP_MOST.
GROUP_SECONDS = 0.5
GROUP_MOST = 5


def group_size(segments_per_second):
    """Segments sent together at this limit: the largest divisor of the limit that is
    at most GROUP_SECONDS' worth and GROUP_MOST (1 at low or odd limits)."""
    limit = int(segments_per_second)
    most = min(GROUP_MOST, int(segments_per_second * GROUP_SECONDS))
    return max([size for size in range(1, most + 1) if limit % size == 0], default=1)


@dataclass(frozen=True)
class DispatchSettings:
    zone: str
    window: send_window.Window
    stale_after: timedelta = timedelta(hours=2)
    batch_size: int | None = None  # the most one tick claims; None: until nothing is due
    segments_per_second: float = 10
    concurrency: int = 32  # the most sends in flight at once (a cap; see _Slots)
    expected_latency: float = 0.25  # seconds, until the provider's own is measured
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


def recheck(db, message, now, settings, contact=None):
    """Why this claimed message must not go now, as (status, reason, retry_at), or None.

    `status` is where the message goes instead: cancelled, expired, or back to
    scheduled until `retry_at` (the send window opens). `contact`, when given, is
    the contact just read.
    """
    if contact is None:
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
    if not days_fit(message, now, settings.zone):
        return gave_up(message, "expired"), wrong_day(message), None
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
        if not days_fit(message, opens, settings.zone):
            return gave_up(message, "expired"), wrong_day(message), None
        return "scheduled", "Outside the send window; it will wait for the window to open.", opens
    return None


def wrong_day(message):
    """Why a text whose {day} words no longer fit was stopped, its date as a worker
    reads it ("Tuesday 1 December")."""
    written_for = date.fromisoformat(message["day_written_for"])
    return WRONG_DAY.format(date=f"{written_for:%A} {written_for.day} {written_for:%B}")


def days_fit(message, moment, zone):
    """False when the text's {day} words ("today", "yesterday") were written for another
    date than `moment`'s on the service's clock."""
    written_for = message.get("day_written_for")
    return not written_for or days.written_for(moment, zone) == written_for


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


class _Slots:
    """A semaphore whose size can change: sends in flight, sized by Little's law.

    In flight = arrival rate x time in the system. At `rate` texts a second and a
    provider answering in `latency` seconds, rate x latency sends are in flight on
    average; half as many again absorbs the spread of latencies, and two groups more
    (`group`: texts that leave together) the rounding, the group waiting for its
    moment and the one that just left. Never fewer than 1, never more than `cap`.
    """

    SMOOTHING = 0.2  # weight of the newest latency in the running average

    def __init__(self, cap, rate, latency, group=1):
        self.cap = max(1, cap)
        self.rate = rate
        self.group = group
        self.latency = latency
        self.in_use = 0
        self._changed = asyncio.Event()  # used only in the tick's event loop
        self.size = self._size_for(latency)

    def _size_for(self, latency):
        return max(1, min(self.cap, math.ceil(self.rate * latency * 1.5) + 2 * self.group))

    def take(self):
        """A slot if one is free now, without waiting."""
        if self.in_use >= self.size:
            return False
        self.in_use += 1
        return True

    async def acquire(self, timeout):
        if self.in_use >= self.size:
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout)
        if self.in_use >= self.size:
            return False
        self.in_use += 1
        return True

    def release(self):
        self.in_use -= 1
        self._changed.set()

    def observed(self, seconds):
        """A send took `seconds`: resize to the provider's running average latency."""
        self.latency += self.SMOOTHING * (seconds - self.latency)
        self.size = self._size_for(self.latency)
        self._changed.set()


class _Dispatch:
    def __init__(self, db, gateway, settings, clock, stop, result):
        self.db = db
        self.gateway = gateway
        self.settings = settings
        self.clock = clock
        self.stop = stop
        self.result = result
        self.limiter = settings.limiter or process_limiter(settings.segments_per_second)
        self.group_segments = group_size(settings.segments_per_second)
        self.slots = _Slots(settings.concurrency, settings.segments_per_second,
                            settings.expected_latency, self.group_segments)
        self.finished = deque()  # (message, outcome) heard, not recorded yet
        self.halted = False
        self.refused = False  # a send heard the provider refuse Mend's credentials
        self.sends = set()  # the sends in flight (tasks)
        self.senders = None  # the gateway's calls for this loop, opened with the first send
        self.contacts = {}  # the claimed texts' contacts, read with the claim

    def stopping(self):
        return self.halted or self.refused or (self.stop is not None and self.stop.is_set())

    def run(self):
        _run_to_the_end(self._run())

    async def _run(self):
        waiting = deque()
        async with contextlib.AsyncExitStack() as self.exits:
            try:
                await self._loop(waiting)
            finally:
                while self.sends:  # every send in flight finishes and is recorded
                    await asyncio.wait(list(self.sends))
                self._record_finished()
                self._release(waiting)

    async def _loop(self, waiting):
        while True:
            if self.stopping():
                return
            if not waiting:
                # whole groups: a smaller one would leave a window part-used
                room = -(-self.slots.size // self.group_segments) * self.group_segments
                if self.settings.batch_size is not None:
                    room = min(room, self.settings.batch_size - self.result.claimed)
                if room <= 0:
                    return
                waiting.extend(self._claim(room))
                if not waiting:
                    return
            while not await self.slots.acquire(timeout=0.05):
                self._record_finished()
            group = [waiting.popleft()]
            segments = group[0]["parts"]
            while (waiting and segments + waiting[0]["parts"] <= self.group_segments
                   and self.slots.take()):
                group.append(waiting.popleft())
                segments += group[-1]["parts"]
            try:
                went = await self._start(group)
            except BaseException:
                for _ in group:
                    self.slots.release()
                waiting.extendleft(reversed(group))  # released to `scheduled`, not stranded
                raise
            stayed = [message for message in group if message["id"] not in went]
            for _ in stayed:
                self.slots.release()
            if self.stopping():
                waiting.extendleft(reversed(stayed))

    def _claim(self, limit):
        now = self.clock()
        with self._recording():  # with the results so far: one commit
            claimed = messages.claim_due(self.db, now=now, limit=limit)
            for message in claimed:
                events.record(self.db, action="message.claimed", subject_type="message",
                              subject_id=message["id"], detail={"attempt": message["attempts"]})
        self.result.claimed += len(claimed)
        self.contacts = contacts.get_many(self.db, {message["contact_id"]
                                                    for message in claimed})
        return claimed

    async def _start(self, group):
        """Re-check the group's texts and send those that may go, together. Returns the
        ids of those handed to a send.

        Each is checked before waiting for the rate limiter (a backlog of expired
        texts must not wait its turn), against its contact as read with the claim, and
        again after, right before it goes: in the transaction that records the sends'
        results so far and marks the group's sends started, committed before any
        request leaves. One commit, one wake-up and one look at the contacts for the
        whole group, not for each text.
        """
        if self.stopping():
            return set()
        group = [message for message in group
                 if self._held_back(message, self.contacts.get(message["contact_id"]))]
        if not group:
            return set()
        tickets = await self.limiter.acquire_together([m["parts"] for m in group], self.stop)
        if tickets is None:
            return set()
        if self.senders is None:
            self.senders = await self.exits.enter_async_context(
                _in_event_loop(self.gateway, self.settings.concurrency))
        going = []
        # One commit: the answers heard so far, the last check and these starts. The
        # check holds the write lock, so it sees every STOP or withdrawal committed
        # before it and none can land between it and the send-started mark; and it
        # comes after the answers are recorded, so a text to someone the provider just
        # said has opted out (21610) or whose number it does not know is held back.
        with self._recording():
            fresh = contacts.get_many(self.db, {message["contact_id"] for message in group})
            for message, ticket in zip(group, tickets):
                contact = self._held_back(message, fresh.get(message["contact_id"]))
                if contact is None or self.stopping():
                    self.limiter.cancel(ticket)
                else:
                    going.append((message, contact["phone"], ticket))
            started_at = utc_now()
            for message, _, _ in going:
                messages.mark_send_started(self.db, message["id"], at=started_at)
        for message, phone, ticket in going:
            self.limiter.departed(ticket)  # before the limiter books anything else
            send = asyncio.create_task(self._send(message, phone, ticket))
            self.sends.add(send)
            send.add_done_callback(self.sends.discard)
        return {message["id"] for message, _, _ in going}

    async def _send(self, message, phone, ticket):
        """One send in flight: talks to the provider only, never to the database."""
        outcome = Outcome("unknown")
        started = time.monotonic()
        try:
            outcome = await attempt_send(self.senders, message, phone,
                                         departing=lambda: self.limiter.departed(ticket))
        finally:
            self._heard(message, outcome)
            self.slots.observed(time.monotonic() - started)
            self.finished.append((message, outcome))
            self.slots.release()

    def _heard(self, message, outcome):
        """What the next sends must know at once, before the result is recorded: the
        provider asked Mend to slow down, counted more parts, or refused Mend's
        credentials (no more sends this tick)."""
        error = outcome.error
        if isinstance(error, RetryLater) and error.code == 20429:
            self.limiter.slowed_down()
        elif isinstance(error, CredentialsRejected):
            self.refused = True
        sent = outcome.result if outcome.kind in ("sent", "found") else None
        if sent is not None and sent.parts and sent.parts > message["parts"]:
            self.limiter.charge(sent.parts - message["parts"])

    def _record_finished(self):
        """Record every outcome the sends handed back, in one transaction."""
        if self.finished:
            with self._recording():
                pass

    @contextlib.contextmanager
    def _recording(self):
        """A write transaction that first records every outcome heard so far. They
        leave the queue only once it commits: if it fails (the disk full, the write
        lock not had in time), they stay to be recorded by the next, and the tick's
        counts are put back as they were, so no answer is lost or counted twice."""
        heard = len(self.finished)
        counts = replace(self.result, details=list(self.result.details))
        try:
            with write_transaction(self.db):
                for message, outcome in islice(self.finished, heard):
                    self._record(message, outcome)
                yield
        except BaseException:
            for name in self.result.__dataclass_fields__:
                setattr(self.result, name, getattr(counts, name))
            raise
        for _ in range(heard):
            self.finished.popleft()

    def _held_back(self, message, contact=None):
        """Re-check the message against `contact` (default: read now); hold it back if
        it must not go. Returns the contact when it may go, else None."""
        if contact is None:
            contact = contacts.get(self.db, message["contact_id"])
        verdict = recheck(self.db, message, self.clock(), self.settings, contact=contact)
        if verdict is not None:
            self._hold_back(message, *verdict)
            return None
        return contact

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


def _run_to_the_end(coroutine):
    """Run a tick's event loop to its end in this thread, as `asyncio.run` does, but
    without making it the thread's current loop. A thread already inside a running
    loop (Playwright's synchronous API, in the test session) has that loop set aside
    for the tick and given back after: the tick blocks the thread either way, as any
    synchronous call does."""
    outer = asyncio._get_running_loop()
    asyncio._set_running_loop(None)
    try:
        with asyncio.Runner(loop_factory=asyncio.new_event_loop) as runner:
            return runner.run(coroutine)
    finally:
        asyncio._set_running_loop(outer)


@contextlib.asynccontextmanager
async def _in_event_loop(gateway, concurrency):
    """The gateway's calls as coroutines: its own (`in_event_loop`), or its blocking
    ones run in up to `concurrency` threads."""
    if hasattr(gateway, "in_event_loop"):
        async with gateway.in_event_loop() as in_loop:
            yield in_loop
        return
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="mend-send") as pool:
        yield _InThreads(gateway, pool)


class _InThreads:
    """A blocking gateway's calls as coroutines, each run in one of `pool`'s threads
    (which talk to the provider only, never to the database)."""

    def __init__(self, gateway, pool):
        self.name = gateway.name
        self._gateway, self._pool = gateway, pool

    async def send(self, **fields):
        return await self._run(self._gateway.send, fields)

    async def find_sent(self, **fields):
        return await self._run(self._gateway.find_sent, fields)

    async def _run(self, call, fields):
        return await asyncio.get_running_loop().run_in_executor(
            self._pool, lambda: call(**fields))


async def attempt_send(gateway, message, phone, departing=None):
    """One send, and for an ambiguous failure a look-up before anything else happens.

    `gateway` is a gateway's calls as coroutines (`_in_event_loop`). A message whose
    earlier attempt was ambiguous is looked up again before it is sent again: the
    provider may have taken it after all. `departing` is called just before the
    create request leaves (the rate limiter counts it from then).
    """
    started = utc_now()
    if message["ambiguous_at"]:
        try:
            found = await gateway.find_sent(to=phone, body=message["body"],
                                            sent_after=from_db_time(message["ambiguous_at"]))
        except LookupFailed as error:
            return Outcome("unknown", error=error)
        if found:
            return Outcome("found", found)
    if departing is not None:
        departing()
    try:
        return Outcome("sent", await gateway.send(message_id=message["id"], to=phone,
                                                  body=message["body"],
                                                  parts=message["parts"]))
    except Ambiguous as error:
        try:
            found = await gateway.find_sent(to=phone, body=message["body"],
                                            sent_after=started)
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


@dataclass
class Recovered:
    """What `mark_abandoned_sends` did with each text a dead dispatcher left `sending`."""
    released: list = field(default_factory=list)  # never started: back to scheduled
    settled: list = field(default_factory=list)   # found at the provider: sent
    retried: list = field(default_factory=list)   # not at the provider: looked up again first
    unknown: list = field(default_factory=list)   # could not be settled: a person checks

    @property
    def ids(self):
        return sorted(self.released + self.settled + self.retried + self.unknown)

    def __len__(self):
        return len(self.ids)


def mark_abandoned_sends(db, gateway=None, settings=None):
    """Settle the texts a dead dispatcher left `sending`; never send one twice.

    - Its send never started (no `send_started_at`): nothing left Mend, so it goes
      back to `scheduled`, with an event.
    - Its send started: the provider is asked first. Found: it is `sent`, settled by
      the look-up. Not found: back to `scheduled` marked ambiguous, so the next
      attempt looks it up again before sending (the provider's list can lag).
    - The provider cannot be asked (or no gateway was given): `unknown`, for a
      person to check. Never resent automatically.
    """
    outcome = Recovered()
    for row in messages.abandoned_sends(db):
        started = row["send_started_at"]
        if started is None:
            if delivery.finish(db, row["id"], to_status="scheduled", reason=None,
                               action="message.released",
                               detail={"note": CRASHED_BEFORE_SEND},
                               attempts=row["attempts"] - 1):
                outcome.released.append(row["id"])
            continue
        found, problem = _look_up_abandoned(gateway, row)
        if found is not None:
            delivery.record_sent(db, row["id"], provider_sid=found.provider_sid,
                                 provider_status=found.status, parts=row["parts"],
                                 provider_parts=found.parts, sent_at=from_db_time(started),
                                 gateway=gateway.name, attempt=row["attempts"],
                                 settled_by_lookup=True)
            outcome.settled.append(row["id"])
        elif problem is None:
            at = utc_now() + backoff(row["attempts"], settings or _RECOVERY_SETTINGS)
            delivery.retry_later(db, row["id"], at=at,
                                 reason=f"{CRASHED_NOT_FOUND} It will be looked up again "
                                        "before it is tried again.",
                                 detail={"attempt": row["attempts"], "send_started_at": started},
                                 ambiguous_at=row["ambiguous_at"] or started)
            outcome.retried.append(row["id"])
        else:
            delivery.finish(db, row["id"], to_status="unknown", reason=CRASHED_LOOKUP_FAILED,
                            detail={"send_started_at": started, "error": problem})
            outcome.unknown.append(row["id"])
    return outcome


_RECOVERY_SETTINGS = DispatchSettings(zone="UTC", window=None)


def _look_up_abandoned(gateway, row):
    """(SendResult or None, problem or None) for a text whose send had started."""
    if gateway is None:
        return None, "no provider to ask"
    if not row["phone"]:
        return None, "the number was erased"
    try:
        return gateway.find_sent(to=row["phone"], body=row["body"],
                                 sent_after=from_db_time(row["send_started_at"])), None
    except LookupFailed as error:
        return None, type(error).__name__
    except Exception as error:  # noqa: BLE001 - an unexpected failure settles nothing
        log.exception("message %s: the look-up after a crash failed", row["id"])
        return None, type(error).__name__
