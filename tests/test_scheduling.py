"""When a text may go: quick choices, typed times, DST, and refusals."""
from datetime import datetime, timezone

import pytest

from sms.scheduling import check_time, format_meeting, parse_local, resolve
from sms.send_window import parse_window

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
    (utc(2026, 10, 24, 18, 0), utc(2026, 10, 25, 9, 0)),   # tomorrow is the first GMT day
    (utc(2026, 3, 28, 18, 0), utc(2026, 3, 29, 8, 0)),     # tomorrow is the first BST day
])
def test_tomorrow_morning_is_the_start_of_the_window_across_dst(now, expected):
    assert resolve("tomorrow_morning", "", now, LONDON, WINDOW) == (expected, None)


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
    (utc(2026, 12, 3, 12, 0), "Thursday 3 December at 12pm"),
])
def test_next_meeting_is_written_like_a_person_would(moment, text):
    assert format_meeting(moment, LONDON) == text
