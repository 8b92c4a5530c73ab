"""When a text may go out: the service's send window and a person's safe hours.

Windows are local wall-clock times in the service's zone ("09:00-20:00"); all
arithmetic happens on aware datetimes, so DST changes are handled by zoneinfo.
"""
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo


class InvalidWindow(ValueError):
    pass


@dataclass(frozen=True)
class Window:
    start: time
    end: time | None  # None means midnight at the end of the day ("24:00")

    def contains(self, local_time):
        if self.end is None:
            return local_time >= self.start
        return self.start <= local_time < self.end

    def __str__(self):
        end = "24:00" if self.end is None else self.end.strftime("%H:%M")
        return f"{self.start.strftime('%H:%M')}-{end}"


def _parse_time(text):
    text = text.strip()
    if text == "24:00":
        return None
    try:
        return time.fromisoformat(text)
    except ValueError:
        raise InvalidWindow(f"{text!r} is not a time like 09:00")


def parse_window(text):
    """'09:00-20:00' -> Window. The end is exclusive; '24:00' means end of day."""
    try:
        start_text, end_text = text.split("-")
    except (AttributeError, ValueError):
        raise InvalidWindow(f"{text!r} is not a window like 09:00-20:00")
    start = _parse_time(start_text)
    if start is None:
        raise InvalidWindow("a window cannot start at 24:00")
    end = _parse_time(end_text)
    if end is not None and end <= start:
        raise InvalidWindow(f"{text!r} ends before it starts")
    return Window(start, end)


def intersect(window, other):
    """The part of `window` that is also inside `other` (None when they do not meet)."""
    if other is None:
        return window
    start = max(window.start, other.start)
    ends = [end for end in (window.end, other.end) if end is not None]
    end = min(ends) if ends else None
    if end is not None and end <= start:
        return None
    return Window(start, end)


def is_allowed(moment, zone, window):
    return window is not None and window.contains(moment.astimezone(ZoneInfo(zone)).time())


def next_allowed(moment, zone, window):
    """The first instant at or after `moment` inside `window`, as an aware UTC datetime."""
    if window is None:
        return None
    tz = ZoneInfo(zone)
    local = moment.astimezone(tz)
    if window.contains(local.time()):
        return moment.astimezone(timezone.utc)
    day = local.date()
    if local.time() >= window.start:
        day += timedelta(days=1)
    for _ in range(3):
        candidate = datetime.combine(day, window.start, tzinfo=tz)
        # A start inside a spring-forward gap does not exist; zoneinfo folds it forward.
        candidate = candidate.astimezone(timezone.utc).astimezone(tz)
        if window.contains(candidate.time()) and candidate >= local:
            return candidate.astimezone(timezone.utc)
        day += timedelta(days=1)
    return None
