"""When a text may go out: the service's send window and a person's safe hours.

Windows are local wall-clock times in the service's zone ("09:00-20:00"); all
arithmetic happens on aware datetimes, so DST changes are handled by zoneinfo.
"""
import re
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


_CLOCK_TIME = re.compile(r"^([01]?[0-9]|2[0-4])[:.]([0-5][0-9])$")


def _clock(text):
    """'9:30', '09:30' or '09.30' -> '09:30'; None when it is not a time of day."""
    match = _CLOCK_TIME.match((text or "").strip())
    if not match or (match.group(1) == "24" and match.group(2) != "00"):
        return None
    return f"{int(match.group(1)):02d}:{match.group(2)}"


def check_safe_hours(start_text, end_text, service_window):
    """A person's optional safe hours, as ("HH:MM", "HH:MM"), or (None, None) when unset.

    They must be narrower than the service's send window. Raises InvalidWindow with
    a message written for the worker.
    """
    start_text, end_text = (start_text or "").strip(), (end_text or "").strip()
    if not start_text and not end_text:
        return None, None
    if not start_text or not end_text:
        raise InvalidWindow("Give both a start and an end for their safe hours, "
                            "or leave both empty.")
    start, end = _clock(start_text), _clock(end_text)
    if start is None or end is None:
        raise InvalidWindow("Enter safe hours as times of day, like 10:00 and 18:30.")
    if start == "24:00":
        raise InvalidWindow("Safe hours cannot start at 24:00. Use 00:00 for midnight.")
    safe = Window(time.fromisoformat(start), None if end == "24:00" else time.fromisoformat(end))
    if safe.end is not None and safe.end <= safe.start:
        raise InvalidWindow("Safe hours must end later in the day than they start.")
    if intersect(service_window, safe) != safe:
        raise InvalidWindow(f"Safe hours must be inside the service's send window, "
                            f"{_spoken(service_window)}.")
    if safe == service_window:
        raise InvalidWindow(f"These are the same as the service's send window "
                            f"({_spoken(service_window)}). Make them narrower, or leave "
                            "both empty.")
    return start, end


def _spoken(window):
    end = "24:00" if window.end is None else window.end.strftime("%H:%M")
    return f"{window.start:%H:%M} to {end}"


def spoken_time(moment):
    """'09:00', or 'midnight' and 'noon', never an ambiguous 00:00 or 12:00."""
    if moment is None or moment == time(0, 0):
        return "midnight"
    if moment == time(12, 0):
        return "noon"
    return moment.strftime("%H:%M")


def spoken(window):
    """'between 09:00 and 20:00'; 'at any time' for the whole day."""
    if window.start == time(0, 0) and window.end is None:
        return "at any time"
    return f"between {spoken_time(window.start)} and {spoken_time(window.end)}"
