"""The day a thing happened, written as the person will read it when the text arrives.

A template never names a day itself ("today" in a text that goes tomorrow is wrong):
it says `{day}`, and Mend fills it from when the thing happened and when the text
is due to arrive, both as dates on the service's clock: "today", "yesterday", "on
Tuesday" within the last week, "on Tuesday 24 November" before that. The words are
worked out again whenever the send time changes, and the dispatcher never sends a
text on another day than the one its words were written for (`written_for`).

Weekday and month names come from Babel (CLDR); the few words around them, which
CLDR does not give, are below for each language Mend ships.
"""
from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date

# language -> (today, yesterday, "on <weekday>", "on <weekday> <day> <month>")
_WORDS = {
    "en": ("today", "yesterday", "on {weekday}", "on {weekday} {date}"),
    "cy": ("heddiw", "ddoe", "d{weekday}", "d{weekday} {date}"),  # soft mutation: ddydd
    "pl": ("dzisiaj", "wczoraj", "{weekday}", "{weekday} {date}"),   # "w/we" + accusative below
    "ro": ("azi", "ieri", "{weekday}", "{weekday}, {date}"),
    "ar": ("اليوم", "أمس", "يوم {weekday}", "يوم {weekday} {date}"),
}
# Polish "on Monday" takes a preposition and the accusative, which CLDR does not give.
_POLISH_ON = {0: "w poniedziałek", 1: "we wtorek", 2: "w środę", 3: "w czwartek",
              4: "w piątek", 5: "w sobotę", 6: "w niedzielę"}
WITHIN_A_WEEK = 6  # days back that "on Tuesday" names without a date
LONGEST_AGO = 90  # days: as far back as a repair may start; further is likely a typo


class HappensLater(ValueError):
    """The text would arrive before the thing it speaks of happened."""


def local_day(moment, zone):
    """The date on the service's clock of an aware datetime (a date stays as it is)."""
    if isinstance(moment, datetime):
        return moment.astimezone(ZoneInfo(zone)).date()
    return moment


def _weekday(day, language):
    if language == "pl":
        return _POLISH_ON[day.weekday()]
    name = format_date(day, "EEEE", locale=language)
    return name[0].lower() + name[1:] if language == "cy" else name


def on_weekday(day, language="en"):
    """"on Tuesday" as `language` says it before a date: "ddydd Mawrth", "we wtorek",
    "marți", "يوم الثلاثاء" (also used for meeting times, `scheduling.format_meeting`)."""
    return _WORDS[language][2].format(weekday=_weekday(day, language))


def day_phrase(happened, arrives, zone, language="en"):
    """"today", "yesterday", "on Tuesday" or "on Tuesday 24 November", in `language`.

    `happened` and `arrives` are aware datetimes or dates; both are read on the
    service's clock (`zone`), so a text that arrives after midnight says "yesterday"
    about the evening before, whatever the clock change in between.
    """
    if language not in _WORDS:
        raise ValueError(f"Mend cannot write the day in {language!r}")
    happened_on, arrives_on = local_day(happened, zone), local_day(arrives, zone)
    days_back = (arrives_on - happened_on).days
    if days_back < 0:
        raise HappensLater(happened_on.isoformat())
    today, yesterday, on_weekday, on_date = _WORDS[language]
    if days_back == 0:
        return today
    if days_back == 1:
        return yesterday
    weekday = _weekday(happened_on, language)
    if days_back <= WITHIN_A_WEEK:
        return on_weekday.format(weekday=weekday)
    # another year is named, so a date typed with last year's number reads as what it is
    shape = "d MMMM" if happened_on.year == arrives_on.year else "d MMMM y"
    return on_date.format(weekday=weekday, date=format_date(happened_on, shape, locale=language))


def written_for(arrives, zone):
    """The date a day phrase was written for: the text must go on this date."""
    return local_day(arrives, zone).isoformat()
