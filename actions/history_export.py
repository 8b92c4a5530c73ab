"""Exporting the history of texts: the CSV (the same columns from the web page and
the CLI, streamed), the days an export covers, and what its audit event may say.

Each cell a spreadsheet could read as a formula (starting with = + - @, a tab or a
carriage return) gets a leading apostrophe, so opening the file runs nothing.
"""
import itertools
import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sms.phone import mask
from storage.connection import to_db_time

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ROWS_PER_CHUNK = 500
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100

# (column, what it holds): the README's table is made from this list.
COLUMNS = (
    ("message_id", "Mend's id for the text"),
    ("created_at_utc", "When the worker scheduled it (ISO 8601, UTC)"),
    ("scheduled_for_utc", "When it was due to go (ISO 8601, UTC)"),
    ("scheduled_for_local", "The same, in the service's time zone (ISO 8601 with offset)"),
    ("sent_at_utc", "When it was handed to the SMS provider (ISO 8601, UTC); empty if never"),
    ("status", "scheduled, sending, sent, delivered, undelivered, failed, cancelled, "
               "expired or unknown (needs checking)"),
    ("status_reason", "Why it was cancelled, expired or needs checking"),
    ("error_code", "The provider's error code, if any"),
    ("written_by_id", "The account that wrote it"),
    ("written_by", "That account's name"),
    ("contact_id", "Mend's id for the person texted"),
    ("contact_name", "Their preferred name"),
    ("phone_masked", "Their number, masked (+44 7••• ••• 123)"),
    ("template_id", "The reviewed template it started from"),
    ("template_version", "Which approved version of that template"),
    ("template_title", "The template's title"),
    ("situation", "The situation the template is for"),
    ("parts", "How many SMS parts it used"),
    ("body", "The words sent, or \"[removed after N days]\" after retention"),
    ("body_removed_at_utc", "When retention removed the words (ISO 8601, UTC); empty if kept"),
)


def safe_cell(value):
    """Text a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def local_iso(value, zone):
    if not value:
        return ""
    return datetime.fromisoformat(value).astimezone(zone).isoformat(timespec="seconds")


# A stored time as `to_db_time` writes it: UTC, to the second.
_STORED_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:[0-5]\d:[0-5]\d\+00:00")


class LocalTimes:
    """`local_iso` for a run of stored times, by the hour: within a UTC hour whose
    offset from UTC is the same whole number of hours throughout, the local time is
    that hour in the zone followed by the stored minutes and seconds. Any other time
    (an hour holding a change of offset, a zone with a half-hour offset, a value not
    written by `to_db_time`) goes through `local_iso` itself."""

    def __init__(self, zone):
        self.zone = zone
        self.hours = {}

    def __call__(self, value):
        if value and _STORED_UTC.fullmatch(value):
            hour = value[:13]
            known = self.hours.get(hour)
            if known is None:
                known = self.hours[hour] = self._hour(hour)
            if known:
                return known[0] + value[13:19] + known[1]
        return local_iso(value, self.zone)

    def _hour(self, hour):
        start = datetime.fromisoformat(hour + ":00:00+00:00")
        first = start.astimezone(self.zone)
        last = (start + timedelta(seconds=3599)).astimezone(self.zone)
        offset = first.utcoffset()
        if offset != last.utcoffset() or offset % timedelta(hours=1):
            return ()
        text = first.isoformat(timespec="seconds")  # YYYY-MM-DDTHH:00:00+HH:MM
        return text[:13], text[19:]


_FORMULA_FIRST = frozenset(FORMULA_STARTS)


def csv_row(row, local_time, masked):
    """One CSV row from an export row (a tuple in `storage.history.EXPORT_COLUMNS`
    order). `local_time` is a LocalTimes; `masked` caches masked numbers across rows:
    parsing a number was over half of an export's time, and a person's number repeats
    on every text to them. None is written as an empty cell by the csv module.

    Only the columns whose text comes from people are checked for formula starts;
    the others are ids, counts, Mend's own words and ISO times, which start with a
    digit or a letter."""
    (message_id, created_at, scheduled_for, sent_at, status, status_reason, error_code,
     worker_id, worker_name, contact_id, contact_name, phone, template_id,
     template_version, template_title, situation, parts, body, body_removed_at) = row
    shown = masked.get(phone)
    if shown is None:
        shown = masked[phone] = safe_cell(mask(phone))
    first = _FORMULA_FIRST
    return (
        message_id, created_at, scheduled_for, local_time(scheduled_for), sent_at, status,
        ("'" + status_reason if status_reason[0] in first else status_reason)
        if status_reason else "",
        error_code, worker_id,
        ("'" + worker_name if worker_name[0] in first else worker_name) if worker_name else "",
        contact_id,
        ("'" + contact_name if contact_name[0] in first else contact_name)
        if contact_name else "",
        shown,
        ("'" + template_id if template_id[0] in first else template_id) if template_id else "",
        template_version,
        ("'" + template_title if template_title[0] in first else template_title)
        if template_title else "",
        ("'" + situation if situation[0] in first else situation) if situation else "",
        parts, ("'" + body if body[0] in first else body) if body else "",
        body_removed_at,
    )


def csv_line(cells):
    """One CSV line of text, integer and None cells, exactly as `csv.writer` (the
    default dialect) writes it: a cell holding a comma, a double quote or a line
    break is quoted, its double quotes doubled; None is empty; lines end in CRLF.
    Property-tested against `csv.writer` (tests/test_export.py); written out here
    because the csv module spent longer on each row than everything else together."""
    out = []
    for cell in cells:
        if type(cell) is str:
            if '"' in cell:
                cell = '"' + cell.replace('"', '""') + '"'
            elif "," in cell or "\n" in cell or "\r" in cell:
                cell = '"' + cell + '"'
            out.append(cell)
        elif cell is None:
            out.append("")
        else:
            out.append(str(cell))
    if len(out) == 1 and out[0] == "":
        return '""\r\n'  # csv.writer's one empty cell: an empty line would be no row
    return ",".join(out) + "\r\n"


def csv_chunks(rows, timezone):
    """Yield the CSV text a few hundred rows at a time: the header, then the rows."""
    local_time = LocalTimes(ZoneInfo(timezone))
    yield csv_line([name for name, _ in COLUMNS])
    masked = {}
    while True:
        chunk = "".join([csv_line(csv_row(row, local_time, masked))
                         for row in itertools.islice(rows, ROWS_PER_CHUNK)])
        if not chunk:
            return
        yield chunk
        if len(masked) > 100_000:  # a bound on memory, however many people
            masked.clear()


class InvalidDate(ValueError):
    pass


def parse_date(text):
    """'2026-03-01' -> date; InvalidDate for anything else or outside 2000-2100."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidDate(text)
    if not EARLIEST_YEAR <= day.year <= LATEST_YEAR:
        raise InvalidDate(text)
    return day


def start_of_day(day, zone):
    """Local midnight at the start of `day`, as a stored UTC string."""
    return to_db_time(datetime.combine(day, time(0), tzinfo=ZoneInfo(zone)))


def end_of_day(day, zone):
    """Local midnight after `day` (an exclusive bound), as a stored UTC string."""
    return start_of_day(day + timedelta(days=1), zone)


def filter_summary(filters):
    """What an audit event may say about a search: ids and choices, never the
    words searched for (they could be a name or part of a text)."""
    summary = {name: value for name, value in vars(filters).items()
               if value is not None and name != "search"}
    if filters.search:
        summary["searched_text"] = True
    return summary
