"""Choosing when a text goes: quick choices, typed local times, and the rules.

Times are entered in the service's zone and stored in UTC. A time must be in the
future, at most 30 days ahead, and inside the send window (narrowed by the
person's safe hours); otherwise the refusal carries the next allowed time.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from . import send_window

MAX_DAYS_AHEAD = 30
QUICK_CHOICES = {
    "now": "Now",
    "in_2_hours": "In 2 hours",
    "tomorrow_morning": "Tomorrow morning",
    "at": "Choose a date and time",
}
COOLING_OFF_SITUATIONS = {"left-angry", "ended-early-for-safety"}


@dataclass(frozen=True)
class SendTime:
    at: datetime | None  # UTC, when allowed
    problem: str | None = None
    next_allowed: datetime | None = None  # UTC, offered as a one-click choice


def parse_local(text, zone):
    """'2026-12-03T14:00' typed in the service's zone -> aware UTC, or None if unreadable.

    In the autumn repeat hour the first (summer-time) reading is taken; a time inside
    the spring gap does not exist and is moved forward by the gap, as clocks do.
    """
    try:
        naive = datetime.fromisoformat((text or "").strip())
    except ValueError:
        return None
    # fold=0: the first reading of a repeated hour, and a gap time keeps the
    # pre-transition offset, which lands it one hour later on the new clock.
    typed = naive if naive.tzinfo is not None else naive.replace(tzinfo=ZoneInfo(zone))
    try:
        moment = typed.astimezone(timezone.utc)
        moment.astimezone(ZoneInfo(zone))  # it can be shown back in the service's zone
    except OverflowError:  # the first or last day of the calendar, shifted past its end
        return None
    return moment


def tomorrow_morning(now, zone, window):
    """The start of the window tomorrow, local time."""
    tz = ZoneInfo(zone)
    day = now.astimezone(tz).date() + timedelta(days=1)
    return datetime.combine(day, window.start, tzinfo=tz).astimezone(timezone.utc)


def resolve(choice, typed, now, zone, window):
    """The moment a quick choice or a typed time means, or (None, problem)."""
    if choice == "now":
        return now, None
    if choice == "in_2_hours":
        return now + timedelta(hours=2), None
    if choice == "tomorrow_morning":
        return tomorrow_morning(now, zone, window), None
    if choice == "at":
        if not (typed or "").strip():
            return None, "Choose the date and time for the text."
        moment = parse_local(typed, zone)
        if moment is None:
            return None, "That date and time could not be read. Choose it again."
        return moment, None
    return None, "Choose when the text should go."


def check_time(moment, now, zone, window):
    """Whether a text may be scheduled for `moment`; a SendTime either way."""
    if moment < now - timedelta(minutes=1):
        return SendTime(None, "That time has already passed. Choose a time from now on.",
                        send_window.next_allowed(now, zone, window))
    if moment > now + timedelta(days=MAX_DAYS_AHEAD):
        return SendTime(None, f"Texts can be scheduled up to {MAX_DAYS_AHEAD} days ahead. "
                              "Choose an earlier date.")
    if window is None:
        return SendTime(None, "Their safe hours do not overlap the service's send window, "
                              "so no time is allowed. Check their safe hours.")
    moment = max(moment, now)
    if send_window.is_allowed(moment, zone, window):
        return SendTime(moment)
    end = "midnight" if window.end is None else format(window.end, "%H:%M")
    return SendTime(None, f"Texts to this person only go out between "
                          f"{window.start:%H:%M} and {end}.",
                    send_window.next_allowed(moment, zone, window))


def format_meeting(moment, zone):
    """'Tuesday 3 December at 2pm' (or 2:30pm), in the service's zone."""
    local = moment.astimezone(ZoneInfo(zone))
    hour = local.hour % 12 or 12
    minutes = f":{local.minute:02d}" if local.minute else ""
    return f"{local:%A} {local.day} {local:%B} at {hour}{minutes}{'am' if local.hour < 12 else 'pm'}"
