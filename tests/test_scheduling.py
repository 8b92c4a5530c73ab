"""When a text may go: quick choices, typed times, DST, and refusals."""
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sms.scheduling import check_time, format_meeting, morning_time, parse_local, resolve
from sms.send_window import intersect, parse_window, spoken_time

LONDON = "Europe/London"
WINDOW = parse_window("09:00-20:00")


def utc(*args):
    return datetime(*args, tzinfo=timezone.utc)


@pytest.mark.parametrize("typed, expected", [
    ("2026-12-03T14:00", utc(2026, 12, 3, 14, 0)),          # winter: GMT
    ("2026-07-03T14:00", utc(2026, 7, 3, 13, 0)),           # summer: BST
    ("2026-03-29T01:30", utc(2026, 3, 29, 1, 30)),          # spring gap: 01:30 does not exist -> 02:30 BST
    ("2026-10-25T01:30", utc(2026, 10, 25, 0, 30)),         # autumn repeat: the first 01:30 (BST)
    ("not a date", None),
    ("2026-02-30T10:00", None),
])
def test_typed_local_times_across_dst(typed, expected):
    assert parse_local(typed, LONDON) == expected


@pytest.mark.parametrize("now, expected", [
    (utc(2026, 10, 24, 18, 0), utc(2026, 10, 25, 10, 0)),  # tomorrow is the first GMT day
    (utc(2026, 3, 28, 18, 0), utc(2026, 3, 29, 9, 0)),     # tomorrow is the first BST day
    (utc(2026, 10, 24, 23, 30), utc(2026, 10, 26, 10, 0)),  # 00:30 BST on the 25th already
])
def test_tomorrow_morning_is_ten_local_time_across_the_clock_change(now, expected):
    assert resolve("tomorrow_morning", "", now, LONDON, WINDOW) == (expected, None)


@pytest.mark.parametrize("window, safe_hours, morning, expected", [
    ("00:00-24:00", None, "10:00", "10:00"),       # "any time" still means the morning
    ("09:00-20:00", None, "10:00", "10:00"),
    ("11:00-20:00", None, "10:00", "11:00"),       # the service opens later
    ("09:00-20:00", "13:30-18:00", "10:00", "13:30"),  # their safe hours start later
    ("00:00-24:00", None, "06:00", "08:00"),       # never before 08:00
    ("00:00-24:00", None, "00:00", "08:00"),
    ("06:00-09:00", None, "10:00", "08:00"),       # the window closes before 10:00
    ("12:00-24:00", None, "10:00", "noon"),
    ("00:00-08:00", None, "10:00", None),          # no time from 08:00 at all
    ("09:00-20:00", "06:00-07:30", "10:00", None),
])
def test_tomorrow_morning_is_clamped_into_the_window_and_safe_hours(
        window, safe_hours, morning, expected):
    allowed = intersect(parse_window(window), parse_window(safe_hours) if safe_hours else None)
    at = morning_time(allowed, time.fromisoformat(morning))
    assert (spoken_time(at) if at else None) == expected


@settings(max_examples=400, deadline=None)
@given(start=st.integers(0, 47), length=st.integers(1, 48), morning=st.integers(0, 47),
       now=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31),
                        timezones=st.just(timezone.utc)))
def test_tomorrow_morning_is_never_before_eight_and_always_inside_every_window(
        start, length, morning, now):
    """Every window on the half hour (00:00-24:00 included), every morning setting, any
    day of two years (both clock changes in each)."""
    end = min(start + length, 48)
    window = parse_window(f"{start // 2:02d}:{start % 2 * 30:02d}-"
                          f"{end // 2:02d}:{end % 2 * 30:02d}")
    moment, problem = resolve("tomorrow_morning", "", now, LONDON, window,
                              time(morning // 2, morning % 2 * 30))
    if moment is None:
        assert window.end is not None and window.end <= time(8, 0)
        assert problem.startswith("Texts to this person only go out between")
        return
    local = moment.astimezone(ZoneInfo(LONDON))
    assert local.time() >= time(8, 0)
    assert window.contains(local.time())
    assert local.date() == now.astimezone(ZoneInfo(LONDON)).date() + timedelta(days=1)


@pytest.mark.parametrize("moment, safe_hours, problem", [
    (utc(2026, 12, 1, 21, 30), None, "The service sends texts only between 09:00 and 20:00."),
    (utc(2026, 12, 1, 21, 30), "10:00-17:00",
     "The service sends texts only between 09:00 and 20:00."),
    (utc(2026, 12, 1, 18, 0), "10:00-17:00", "Alex asked for texts only between 10:00 and 17:00."),
    (utc(2026, 12, 1, 9, 30), "12:00-17:00", "Alex asked for texts only between noon and 17:00."),
])
def test_a_refusal_names_whose_hours_they_are(moment, safe_hours, problem):
    safe = parse_window(safe_hours) if safe_hours else None
    result = check_time(moment, utc(2026, 12, 1, 8, 0), LONDON, intersect(WINDOW, safe),
                        service_window=WINDOW, safe_hours=safe, name="Alex")
    assert result.problem == problem


@pytest.mark.parametrize("moment, problem, offered", [
    (utc(2026, 12, 1, 21, 30), "Texts to this person only go out between 09:00 and 20:00.",
     utc(2026, 12, 2, 9, 0)),
    (utc(2026, 12, 1, 8, 0), "That time has already passed. Choose a time from now on.",
     utc(2026, 12, 1, 12, 0)),
    (utc(2027, 1, 5, 12, 0), "Texts can be scheduled up to 30 days ahead. Choose an earlier date.",
     None),
])
def test_refusals_say_why_and_offer_the_next_allowed_time(moment, problem, offered):
    result = check_time(moment, utc(2026, 12, 1, 12, 0), LONDON, WINDOW)
    assert (result.at, result.problem, result.next_allowed) == (None, problem, offered)


def test_a_summer_evening_is_judged_in_local_time():
    # 19:30 UTC is 20:30 BST: outside the window in July, inside it in December.
    assert check_time(utc(2026, 7, 1, 19, 30), utc(2026, 7, 1, 12), LONDON, WINDOW).at is None
    assert check_time(utc(2026, 12, 1, 19, 30), utc(2026, 12, 1, 12), LONDON, WINDOW).at == utc(2026, 12, 1, 19, 30)


@pytest.mark.parametrize("moment, text", [
    (utc(2026, 12, 3, 14, 0), "Thursday 3 December at 2pm"),
    (utc(2026, 7, 3, 9, 30), "Friday 3 July at 10:30am"),
    (utc(2026, 12, 3, 12, 0), "Thursday 3 December at noon"),
    (utc(2026, 12, 3, 0, 0), "Thursday 3 December at midnight"),
    (utc(2026, 12, 3, 0, 30), "Thursday 3 December at 12:30am"),
])
def test_next_meeting_is_written_like_a_person_would(moment, text):
    assert format_meeting(moment, LONDON) == text
