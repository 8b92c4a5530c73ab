"""The history as CSV, streamed: the same columns from the web page and the CLI.

Each cell a spreadsheet could read as a formula (starting with = + - @, a tab or a
carriage return) gets a leading apostrophe, so opening the file runs nothing.
"""
import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

from sms.phone import mask

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ROWS_PER_CHUNK = 500

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


def csv_row(row, zone):
    return [safe_cell(value) for value in (
        row["id"], row["created_at"], row["scheduled_for"],
        local_iso(row["scheduled_for"], zone), row["sent_at"] or "", row["status"],
        row["status_reason"] or "", row["error_code"] if row["error_code"] is not None else "",
        row["worker_id"], row["worker_name"], row["contact_id"], row["contact_name"],
        mask(row["contact_phone"]), row["template_id"] or "",
        row["template_version"] if row["template_version"] is not None else "",
        row["template_title"] or "", row["situation"] or "", row["parts"], row["body"],
        row["body_removed_at"] or "",
    )]


def csv_chunks(rows, timezone):
    """Yield the CSV text a few hundred rows at a time: the header, then the rows."""
    zone = ZoneInfo(timezone)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([name for name, _ in COLUMNS])
    count = 0
    for row in rows:
        writer.writerow(csv_row(row, zone))
        count += 1
        if count % ROWS_PER_CHUNK == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate(0)
    yield buffer.getvalue()
