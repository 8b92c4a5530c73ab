"""Segments per second, honoured across the whole process.

Twilio counts throughput in segments (parts), not messages. The limiter paces sends:
each send reserves `parts / rate` seconds of the sender's time, starting no earlier
than the end of the previous reservation, so a three-part text costs three times a
one-part text and no burst exceeds the limit.
"""
import threading
import time


class SegmentRateLimiter:
    def __init__(self, segments_per_second, clock=time.monotonic):
        if segments_per_second <= 0:
            raise ValueError("segments_per_second must be positive")
        self.segments_per_second = segments_per_second
        self._clock = clock
        self._next_free = None
        self._lock = threading.Lock()

    def reserve(self, segments):
        """Book `segments` and return how many seconds to wait before sending them."""
        with self._lock:
            now = self._clock()
            start = now if self._next_free is None else max(now, self._next_free)
            self._next_free = start + segments / self.segments_per_second
            return start - now

    def acquire(self, segments, stop=None):
        """Wait for a slot. False when `stop` was set while waiting (nothing may be sent)."""
        delay = self.reserve(segments)
        if delay <= 0:
            return not (stop is not None and stop.is_set())
        if stop is None:
            time.sleep(delay)
            return True
        return not stop.wait(delay)

    def charge(self, segments):
        """Account for extra segments after the fact (the provider counted more)."""
        if segments > 0:
            self.reserve(segments)


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
