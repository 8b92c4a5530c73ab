"""Exporting the history of texts: the CSV (the same columns from the web page and
the CLI, streamed), the days an export covers, and what its audit event may say.

Each cell a spreadsheet could read as a formula (starting with = + - @, a tab or a
carriage return) gets a leading apostrophe, so opening the file runs nothing.
"""
import csv
import io
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


_FORMULA_FIRST = frozenset(FORMULA_STARTS)


def csv_row(row, zone, masked=None):
    """One CSV row from a history row (read by column name). `masked` caches masked
    numbers across rows: parsing a number was over half of an export's time, and a
    person's number repeats on every text to them.

    Only the columns whose text comes from people are checked for formula starts;
    the others are ids, counts, Mend's own words and ISO times, which start with a
    digit or a letter."""
    phone = row["contact_phone"]
    shown = masked.get(phone) if masked is not None else None
    if shown is None:
        shown = safe_cell(mask(phone))
        if masked is not None:
            masked[phone] = shown
    error_code, version = row["error_code"], row["template_version"]
    return [
        row["id"], row["created_at"], row["scheduled_for"],
        local_iso(row["scheduled_for"], zone), row["sent_at"] or "", row["status"],
        _safe(row["status_reason"]), "" if error_code is None else error_code,
        row["worker_id"], _safe(row["worker_name"]), row["contact_id"],
        _safe(row["contact_name"]), shown, _safe(row["template_id"]),
        "" if version is None else version, _safe(row["template_title"]),
        _safe(row["situation"]), row["parts"], _safe(row["body"]),
        row["body_removed_at"] or "",
    ]


def _safe(text):
    """safe_cell for a text column (None becomes empty), without a call per cell."""
    if not text:
        return ""
    return "'" + text if text[0] in _FORMULA_FIRST else text


def csv_chunks(rows, timezone):
    """Yield the CSV text a few hundred rows at a time: the header, then the rows."""
    zone = ZoneInfo(timezone)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([name for name, _ in COLUMNS])
    masked = {}
    count = 0
    for row in rows:
        writer.writerow(csv_row(row, zone, masked))
        count += 1
        if count % ROWS_PER_CHUNK == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate(0)
            if len(masked) > 100_000:  # a bound on memory, however many people
                masked.clear()
    yield buffer.getvalue()


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
