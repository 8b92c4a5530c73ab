"""Segments per second, honoured across the whole process, in any one-second window.

Twilio counts throughput in segments (parts), not messages, and a strict provider
refuses (429) a create that would put more than its limit into any one second. The
limiter does two things:

- it paces sends evenly: a text of `parts` segments leaves no sooner than
  `parts / rate` seconds after the one before, a little under the limit so that a
  request that leaves a few milliseconds late cannot crowd the one a second before
  it: the rate is `limit / (1 + margin)`. A few texts booked together
  (`book_together`, the dispatcher's small groups) leave at one moment, as long
  after the one before as all their segments take;
- it keeps a log of the last second's sends, by the time each actually left (the
  sender reports it just before the request goes), and holds a send back until the
  window ending then has room for all of its parts. So a three-part text after nine
  one-part texts waits for room, and a late departure moves the window with it.

A 429 the provider answered anyway widens the margin a little (`slowed_down`), up to
`MAX_MARGIN`, so a provider that counts more strictly than expected is met; the extra
margin wears off over a minute or so, so one noisy moment does not slow sending for
good.
"""
import asyncio
import threading
import time
from collections import deque

WINDOW = 1.0  # the provider's window, in seconds
MARGIN = 0.03  # the part of a window left unused for timing noise: 3 %
MAX_MARGIN = 0.2
WIDEN_BY = 0.02  # extra margin after each 429 ...
WEARS_OFF = 0.001  # ... losing this much each second
EPSILON = 1e-6
STOP_CHECK = 0.25  # seconds: how long an event-loop wait may go without looking at `stop`


class Ticket:
    """One booked send: when it may leave and how many segments it carries."""

    __slots__ = ("at", "segments", "counted")

    def __init__(self, at, segments):
        self.at = at
        self.segments = segments
        self.counted = True  # in the limiter's window log (its segments in the sum)


class SegmentRateLimiter:
    def __init__(self, segments_per_second, clock=time.monotonic, margin=MARGIN):
        if segments_per_second <= 0:
            raise ValueError("segments_per_second must be positive")
        self.segments_per_second = segments_per_second
        self.base_margin = margin
        self._extra, self._extra_at = 0.0, 0.0
        self._clock = clock
        self._last_start = None
        self._log = deque()  # tickets in the current window, in the order they were booked
        self._used = 0  # their segments
        self._lock = threading.Lock()

    @property
    def margin(self):
        worn = max(0.0, self._extra - (self._clock() - self._extra_at) * WEARS_OFF)
        return min(MAX_MARGIN, self.base_margin + worn)

    @property
    def window(self):
        return WINDOW * (1 + self.margin)

    @property
    def pace(self):
        """Segments per second actually used: the limit less the margin."""
        return self.segments_per_second / (1 + self.margin)

    def _room_at(self, start, segments):
        """The earliest moment from `start` when the window ending then has room."""
        window, limit = self.window, self.segments_per_second
        while self._log and self._log[0].at <= start - window:
            gone = self._log.popleft()
            gone.counted = False
            self._used -= gone.segments
        used = self._used
        if used + segments <= limit + EPSILON:
            return start
        for ticket in self._log:  # oldest first: wait until enough of them leave the window
            used -= ticket.segments
            if used + segments <= limit + EPSILON:
                return max(start, ticket.at + window + EPSILON)
        return start

    def book(self, segments):
        """Book `segments`; returns a Ticket whose `at` is when they may leave."""
        return self.book_together([segments])[0]

    def book_together(self, segments):
        """Book a send for each of `segments` (a list), all to leave at the same moment:
        as long after the last booking as their segments take at the pace, and when
        the window ending then has room for all of them. Returns their Tickets."""
        total = sum(segments)
        with self._lock:
            now = self._clock()
            start = now if self._last_start is None else \
                max(now, self._last_start + total / self.pace)
            start = self._room_at(start, min(total, self.segments_per_second))
            self._last_start = start
            tickets = [Ticket(start, parts) for parts in segments]
            self._log.extend(tickets)
            self._used += total
            return tickets

    def reserve(self, segments):
        """Book `segments` and return how many seconds to wait before sending them."""
        ticket = self.book(segments)
        return ticket.at - self._clock()

    async def acquire_together(self, segments, stop=None):
        """`book_together`, then wait (in an event loop, without blocking it) until
        they may leave. Looks at `stop` at least every STOP_CHECK seconds. Returns the
        Tickets, or None when `stop` was set (all are cancelled, nothing may go).

        The caller tells the limiter (`departed`) as they leave, before it books
        anything else: a send that leaves late moves the window with it.
        """
        tickets = self.book_together(segments)
        leave_at = tickets[0].at
        while True:
            if stop is not None and stop.is_set():
                for ticket in tickets:
                    self.cancel(ticket)
                return None
            delay = leave_at - self._clock()
            if delay <= 0:
                return tickets
            await asyncio.sleep(delay if stop is None else min(delay, STOP_CHECK))

    def departed(self, ticket):
        """The send is leaving now: count it in the window from this moment."""
        with self._lock:
            ticket.at = max(ticket.at, self._clock())

    def cancel(self, ticket):
        """A booked send that will not go: its segments free the window again."""
        with self._lock:
            if ticket.counted:
                self._used -= ticket.segments
            ticket.segments = 0

    def charge(self, segments):
        """Account for extra segments after the fact (the provider counted more)."""
        if segments > 0:
            self.book(segments)

    def slowed_down(self):
        """The provider answered 429 anyway: leave a wider margin from now on."""
        with self._lock:
            self._extra = self.margin - self.base_margin + WIDEN_BY
            self._extra_at = self._clock()


_process_limiters = {}
_registry_lock = threading.Lock()


def process_limiter(segments_per_second):
    """The one limiter this process uses for a given rate (shared by every tick)."""
    with _registry_lock:
        limiter = _process_limiters.get(segments_per_second)
        if limiter is None:
            limiter = _process_limiters[segments_per_second] = \
                SegmentRateLimiter(segments_per_second)
        return limiter
