"""A person's safe hours: optional, and narrower than the service's send window."""
import pytest

from sms.send_window import InvalidWindow, check_safe_hours, parse_window

SERVICE = parse_window("09:00-20:00")


@pytest.mark.parametrize("start, end, expected", [
    ("", "", (None, None)),
    ("10:00", "18:30", ("10:00", "18:30")),
    ("9:30", "12.00", ("09:30", "12:00")),
    ("09:00", "17:00", ("09:00", "17:00")),
    (" 12:00 ", "20:00", ("12:00", "20:00")),
])
def test_safe_hours_inside_the_send_window_are_kept(start, end, expected):
    assert check_safe_hours(start, end, SERVICE) == expected


@pytest.mark.parametrize("start, end, message", [
    ("10:00", "", "Give both a start and an end for their safe hours, or leave both empty."),
    ("", "18:00", "Give both a start and an end for their safe hours, or leave both empty."),
    ("10am", "6pm", "Enter safe hours as times of day, like 10:00 and 18:30."),
    ("25:00", "26:00", "Enter safe hours as times of day, like 10:00 and 18:30."),
    ("10:00", "24:30", "Enter safe hours as times of day, like 10:00 and 18:30."),
    ("18:00", "10:00", "Safe hours must end later in the day than they start."),
    ("12:00", "12:00", "Safe hours must end later in the day than they start."),
    ("08:00", "12:00", "Safe hours must be inside the service's send window, 09:00 to 20:00."),
    ("12:00", "22:00", "Safe hours must be inside the service's send window, 09:00 to 20:00."),
    ("24:00", "24:00", "Safe hours cannot start at 24:00. Use 00:00 for midnight."),
    ("09:00", "20:00", "These are the same as the service's send window (09:00 to 20:00). "
                       "Make them narrower, or leave both empty."),
])
def test_safe_hours_that_are_malformed_or_not_narrower_are_explained(start, end, message):
    with pytest.raises(InvalidWindow) as error:
        check_safe_hours(start, end, SERVICE)
    assert str(error.value) == message


def test_safe_hours_can_end_at_midnight_when_the_service_sends_all_day():
    assert check_safe_hours("18:00", "24:00", parse_window("00:00-24:00")) == ("18:00", "24:00")
