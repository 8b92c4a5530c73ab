"""CSV export of the history, from the page and the command line: streamed,
documented columns, UTC and local times, and safe to open in a spreadsheet."""
import csv
import io
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.audit_helpers import new_contact, place_text, utc
from actions.history_export import COLUMNS, LocalTimes, csv_line, local_iso, safe_cell
from storage.connection import to_db_time

HEADER = [name for name, _ in COLUMNS]


def rows_of(text):
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def summer_text(worker, db, user_ids):
    alex = new_contact(worker, "Alex", "07911 123456")
    return place_text(db, contact_id=alex, worker_id=user_ids["worker"],
                      when=utc(2026, 7, 1, 9, 30), status="delivered",
                      body="Hi Alex, it's Sam. No need to reply.")


@pytest.mark.parametrize("value, cell", [
    ("=SUM(A1:A9)", "'=SUM(A1:A9)"),
    ("+44 7••• ••• 456", "'+44 7••• ••• 456"),
    ("-1+2", "'-1+2"),
    ("@cmd", "'@cmd"),
    ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"),
    ("Hi Alex", "Hi Alex"),
    ("a=b", "a=b"),
    ("", ""),
    (-5, -5),
    (None, None),
])
def test_cells_a_spreadsheet_would_run_get_a_leading_apostrophe(value, cell):
    assert safe_cell(value) == cell


def test_the_export_streams_documented_columns_with_utc_and_local_times(reviewer,
                                                                         summer_text):
    response = reviewer.get("/audit/history.csv")
    assert response.status_code == 200
    assert response.is_streamed
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith(
        'attachment; filename="mend-history-')
    text = response.get_data(as_text=True)
    assert text.splitlines()[0] == ",".join(HEADER)
    [row] = rows_of(text)
    assert row["message_id"] == str(summer_text)
    assert row["scheduled_for_utc"] == "2026-07-01T09:30:00+00:00"
    assert row["scheduled_for_local"] == "2026-07-01T10:30:00+01:00"
    assert row["status"] == "delivered"
    assert row["written_by"] == "Sam Worker"
    assert row["contact_name"] == "Alex"
    assert row["phone_masked"] == "'+44 7••• ••• 456"
    assert row["template_id"] == "door-stays-open" and row["template_version"] == "1"
    assert row["body"] == "Hi Alex, it's Sam. No need to reply."
    assert "7911" not in text


def test_the_export_keeps_the_pages_filters(reviewer, db, summer_text, user_ids):
    contact_id = db.execute("SELECT contact_id FROM messages").fetchone()[0]
    place_text(db, contact_id=contact_id, worker_id=user_ids["worker"],
               when=utc(2026, 7, 2, 9, 30), status="expired")
    only_expired = rows_of(reviewer.get("/audit/history.csv?status=expired")
                           .get_data(as_text=True))
    assert [row["status"] for row in only_expired] == ["expired"]
    both = rows_of(reviewer.get("/audit/history.csv").get_data(as_text=True))
    assert [row["scheduled_for_utc"][:10] for row in both] == ["2026-07-01", "2026-07-02"]


def test_a_name_written_as_a_formula_is_exported_harmlessly(worker, reviewer, db, user_ids):
    sneaky = new_contact(worker, '=HYPERLINK("http://x.example","Click")', "07912 345678")
    place_text(db, contact_id=sneaky, worker_id=user_ids["worker"], when=utc(2026, 7, 1))
    [row] = rows_of(reviewer.get("/audit/history.csv").get_data(as_text=True))
    assert row["contact_name"] == '\'=HYPERLINK("http://x.example","Click")'


def run_export(app, *args):
    return app.test_cli_runner().invoke(args=["audit", "export", *args])


def test_the_export_command_writes_csv_for_a_date_range(app, worker, db, user_ids):
    alex = new_contact(worker, "Alex", "07911 123456")
    for day in (1, 15, 31):
        place_text(db, contact_id=alex, worker_id=user_ids["worker"], when=utc(2026, 3, day, 12))
    result = run_export(app, "--since", "2026-03-10", "--until", "2026-03-31")
    assert result.exit_code == 0, result.output
    rows = rows_of(result.output)
    assert [row["scheduled_for_utc"] for row in rows] == [
        "2026-03-15T12:00:00+00:00", "2026-03-31T12:00:00+00:00"]
    assert len(rows_of(run_export(app).output)) == 3
    [event] = db.query("SELECT detail FROM events WHERE action = 'audit.exported'"
                       " ORDER BY id LIMIT 1")
    assert "command line" in event["detail"]


@pytest.mark.parametrize("args, message", [
    (["--since", "2026-02-30"], "Invalid value for '--since': '2026-02-30' is not a date. "
                                "Use YYYY-MM-DD, like 2026-03-01."),
    (["--until", "tomorrow"], "Invalid value for '--until': 'tomorrow' is not a date. "
                              "Use YYYY-MM-DD, like 2026-03-01."),
])
def test_the_export_command_explains_a_bad_date(app, args, message):
    result = run_export(app, *args)
    assert result.exit_code == 2
    assert message in result.output


_CELL = st.none() | st.integers() | st.text() | st.sampled_from(
    ["", ",", '"', "\r", "\n", "\r\n", "a,b", 'say "hi"', " ", "'=1", "\u2022"])


@given(st.lists(st.lists(_CELL, min_size=1, max_size=6), max_size=5))
def test_the_exports_csv_lines_are_exactly_what_the_csv_module_writes(rows):
    """The export writes its lines itself (faster than `csv.writer`); any cells
    (commas, quotes, line breaks, empty, None, numbers) must come out byte for byte
    as the csv module would write them, so every spreadsheet reads them the same."""
    expected = io.StringIO()
    csv.writer(expected).writerows(rows)
    assert "".join(csv_line(row) for row in rows) == expected.getvalue()


@given(moment=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1),
                           timezones=st.just(timezone.utc)),
       zone=st.sampled_from(["Europe/London", "America/St_Johns", "Asia/Kolkata",
                             "Australia/Lord_Howe", "Pacific/Chatham", "UTC"]),
       earlier=st.lists(st.integers(-48 * 3600, 48 * 3600), max_size=4))
def test_the_exports_local_times_are_exactly_local_iso(moment, zone, earlier):
    """Local times are taken from an hour-by-hour cache; around every change of
    offset (and in zones with half-hour and 45-minute offsets and DST shifts) each
    must equal `local_iso`, whatever times came before it in the same export."""
    local_time = LocalTimes(ZoneInfo(zone))
    for seconds in earlier:
        value = to_db_time(moment + timedelta(seconds=seconds))
        assert local_time(value) == local_iso(value, ZoneInfo(zone))
    value = to_db_time(moment)
    assert local_time(value) == local_iso(value, ZoneInfo(zone))
    assert local_time("") == ""


@pytest.mark.parametrize("zone, change", [
    ("Europe/London", datetime(2025, 3, 30, 1, tzinfo=timezone.utc)),
    ("Europe/London", datetime(2025, 10, 26, 1, tzinfo=timezone.utc)),
    ("America/St_Johns", datetime(2025, 3, 9, 5, 30, tzinfo=timezone.utc)),
    ("Australia/Lord_Howe", datetime(2025, 4, 5, 15, tzinfo=timezone.utc)),
])
def test_local_times_across_a_change_of_offset_are_exactly_local_iso(zone, change):
    local_time = LocalTimes(ZoneInfo(zone))
    for seconds in range(-3 * 3600, 3 * 3600, 59):
        value = to_db_time(change + timedelta(seconds=seconds))
        assert local_time(value) == local_iso(value, ZoneInfo(zone))
