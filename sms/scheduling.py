"""Choosing when a text goes: quick choices, typed local times, and the rules.

Times are entered in the service's zone and stored in UTC. A time must be in the
future, at most 30 days ahead, and inside the send window (narrowed by the
person's safe hours); otherwise the refusal carries the next allowed time.
"""
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time

from . import days, send_window

MAX_DAYS_AHEAD = 30
QUICK_CHOICES = {
    "now": "Now",
    "in_2_hours": "In 2 hours",
    "tomorrow_morning": "Tomorrow morning",
    "at": "Choose a date and time",
}
COOLING_OFF_SITUATIONS = {"left-angry", "ended-early-for-safety"}
EARLIEST_MORNING = time(8, 0)  # "tomorrow morning" is never earlier, whatever the window
DEFAULT_MORNING = time(10, 0)


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


def morning_time(window, morning=DEFAULT_MORNING):
    """The local time "tomorrow morning" means inside `window`: the service's morning
    time (MORNING_TIME), moved later to the window's start, never before 08:00, and
    earlier (to its first time from 08:00) when the window closes before the morning
    time; None when the window has no time from 08:00 on."""
    if window is None:
        return None
    for at in (max(morning, EARLIEST_MORNING, window.start),  # closes before the morning
               max(EARLIEST_MORNING, window.start)):          # time: its first from 08:00
        if window.contains(at):
            return at
    return None


def tomorrow_morning(now, zone, window, morning=DEFAULT_MORNING):
    """Tomorrow at `morning_time`, as aware UTC; None when the window has no morning."""
    at = morning_time(window, morning)
    if at is None:
        return None
    tz = ZoneInfo(zone)
    day = now.astimezone(tz).date() + timedelta(days=1)
    # Round trip through UTC: a time inside a spring-forward gap moves on, as clocks do.
    return datetime.combine(day, at, tzinfo=tz).astimezone(timezone.utc)


def resolve(choice, typed, now, zone, window, morning=DEFAULT_MORNING):
    """The moment a quick choice or a typed time means, or (None, problem)."""
    if choice == "now":
        return now, None
    if choice == "in_2_hours":
        return now + timedelta(hours=2), None
    if choice == "tomorrow_morning":
        moment = tomorrow_morning(now, zone, window, morning)
        if moment is None:
            return None, (f"Texts to this person only go out {send_window.spoken(window)}, "
                          "so there is no morning time from 08:00. Choose a date and time.")
        return moment, None
    if choice == "at":
        if not (typed or "").strip():
            return None, "Choose the date and time for the text."
        moment = parse_local(typed, zone)
        if moment is None:
            return None, "That date and time could not be read. Choose it again."
        return moment, None
    return None, "Choose when the text should go."


def whose_hours(moment, zone, *, service_window, safe_hours, name):
    """Why `moment` is outside the hours, naming whose hours they are."""
    local = moment.astimezone(ZoneInfo(zone)).time()
    if safe_hours is None or not service_window.contains(local):
        return f"The service sends texts only {send_window.spoken(service_window)}."
    return f"{name} asked for texts only {send_window.spoken(safe_hours)}."


def check_time(moment, now, zone, window, *, service_window=None, safe_hours=None, name=None):
    """Whether a text may be scheduled for `moment`; a SendTime either way.

    `window` is the service's window within the person's safe hours; with
    `service_window` (and their `safe_hours` and `name`) a refusal says whose hours
    they are."""
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
    problem = (whose_hours(moment, zone, service_window=service_window,
                           safe_hours=safe_hours, name=name or "They")
               if service_window is not None else
               f"Texts to this person only go out {send_window.spoken(window)}.")
    return SendTime(None, problem, send_window.next_allowed(moment, zone, window))


# The words around a meeting time, which CLDR does not give, per language Mend ships
# (machine-assisted: a fluent reviewer checks them with the language's first templates):
# {on} is "on Tuesday" as the language says it (`days.on_weekday`: "ddydd Mawrth",
# "we wtorek"), {date} "3 Rhagfyr", {time} the clock.
_MEETING = {"cy": "{on} {date} am {time}", "pl": "{on} {date} o {time}",
            "ro": "{on}, {date}, la ora {time}", "ar": "{on} {date} الساعة {time}"}
# Welsh writes the clock as English does ("am 2pm"); noon and midnight in words.
_WELSH_CLOCK = {"noon": "hanner dydd", "midnight": "hanner nos"}


def format_meeting(moment, zone, language="en"):
    """'Tuesday 3 December at 2pm' (or 2:30pm), in the service's zone (an English
    template says "on {next_meeting}"); in another language the whole phrase, with
    Babel's (CLDR) weekday and month names and the language's clock: 'ddydd Iau 3
    Rhagfyr am 2pm', 'w czwartek 3 grudnia o 14:00'."""
    local = moment.astimezone(ZoneInfo(zone))
    if language == "en" or language not in _MEETING:
        return f"{local:%A} {local.day} {local:%B} at {clock(local)}"
    if language == "cy":
        time_text = _WELSH_CLOCK.get(clock(local), clock(local))
    else:
        time_text = format_time(local, "short", locale=language)
    return _MEETING[language].format(on=days.on_weekday(local.date(), language),
                                     date=format_date(local, "d MMMM", locale=language),
                                     time=time_text)


def clock(local):
    """'2pm', '10:30am', and never an ambiguous '12am' or '12pm': 'midnight', 'noon'."""
    if (local.hour, local.minute) == (0, 0):
        return "midnight"
    if (local.hour, local.minute) == (12, 0):
        return "noon"
    hour = local.hour % 12 or 12
    minutes = f":{local.minute:02d}" if local.minute else ""
    return f"{hour}{minutes}{'am' if local.hour < 12 else 'pm'}"
