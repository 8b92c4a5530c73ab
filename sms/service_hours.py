"""The service's working hours ("Mon-Fri 09:00-17:00"): when someone is in to read a
reply. Used to decide when a reply arrived out of hours, and to count how long a reply
has waited in working time only.

Not the send window: the send window says when a text may reach a person's phone;
working hours say when staff are there to read what comes back.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from .send_window import InvalidWindow, Window, parse_window

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
SPOKEN_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class ServiceHours:
    days: frozenset  # weekday numbers, Monday = 0
    window: Window

    def __str__(self):
        days = ",".join(DAY_NAMES[day] for day in sorted(self.days))
        return f"{days} {self.window}"


def _day(text):
    name = text.strip()[:3].title()
    if name not in DAY_NAMES:
        raise InvalidWindow(f"{text.strip()!r} is not a day like Mon or Fri")
    return DAY_NAMES.index(name)


def _days(text):
    days = set()
    for part in text.split(","):
        if "-" in part:
            first, last = (_day(day) for day in part.split("-", 1))
            day = first
            while True:
                days.add(day)
                if day == last:
                    break
                day = (day + 1) % 7
        else:
            days.add(_day(part))
    return frozenset(days)


def parse_hours(text):
    """'Mon-Fri 09:00-17:00' (or 'Mon,Wed 10:00-16:00') -> ServiceHours; '' -> None.

    Raises InvalidWindow saying what is wrong.
    """
    text = (text or "").strip()
    if not text:
        return None
    try:
        days_text, window_text = text.split()
    except ValueError:
        raise InvalidWindow(f"{text!r} is not working hours like 'Mon-Fri 09:00-17:00'")
    return ServiceHours(_days(days_text), parse_window(window_text))


def is_open(moment, zone, hours):
    """True when `moment` falls in working hours (always True when none are set)."""
    if hours is None:
        return True
    local = moment.astimezone(ZoneInfo(zone))
    return local.weekday() in hours.days and hours.window.contains(local.time())


def _day_span(day, zone, hours):
    """The open interval on local date `day`, as aware UTC datetimes, or None."""
    if day.weekday() not in hours.days:
        return None
    tz = ZoneInfo(zone)
    start = datetime.combine(day, hours.window.start, tzinfo=tz)
    end = (datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=tz)
           if hours.window.end is None else datetime.combine(day, hours.window.end, tzinfo=tz))
    return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


def next_opening(moment, zone, hours):
    """When staff are next in, from `moment` (None when no hours are set)."""
    if hours is None or not hours.days:
        return None
    if is_open(moment, zone, hours):
        return moment
    day = moment.astimezone(ZoneInfo(zone)).date()
    for _ in range(8):
        span = _day_span(day, zone, hours)
        if span and span[0] >= moment:
            return span[0]
        day += timedelta(days=1)
    return None


def working_time_between(start, end, zone, hours):
    """How much working time passed between two moments (all of it when no hours are
    set). Walks day by day, so it is meant for waits of days, not years."""
    if end <= start:
        return timedelta(0)
    if hours is None:
        return end - start
    total = timedelta(0)
    day = start.astimezone(ZoneInfo(zone)).date()
    last = end.astimezone(ZoneInfo(zone)).date()
    while day <= last:
        span = _day_span(day, zone, hours)
        if span:
            opened, closed = max(span[0], start), min(span[1], end)
            if closed > opened:
                total += closed - opened
        day += timedelta(days=1)
    return total


def spoken(moment, zone):
    """'Monday at 9am' for a reopening time, in the service's zone."""
    local = moment.astimezone(ZoneInfo(zone))
    hour = local.strftime("%I").lstrip("0")
    minutes = "" if local.minute == 0 else local.strftime(":%M")
    return f"{SPOKEN_DAYS[local.weekday()]} at {hour}{minutes}{local.strftime('%p').lower()}"
