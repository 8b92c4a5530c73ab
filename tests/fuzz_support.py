"""What the bad-input fuzz tests share: hostile values, request bodies built byte by byte,
and the checks made after every example (no 500, nothing logged as an uncaught error,
an intact database and an intact audit chain).

The "ci" Hypothesis profile is derandomized, so every run tries the same examples and a
failure in CI fails again on a laptop. Set HYPOTHESIS_PROFILE=explore to search afresh.
"""
import logging
import os
import urllib.parse
from datetime import datetime, timedelta, timezone

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from storage import events
from storage.connection import connect

settings.register_profile(
    "ci", derandomize=True, deadline=None, print_blob=True, database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.data_too_large, HealthCheck.large_base_example])
settings.register_profile(
    "explore", deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.data_too_large, HealthCheck.large_base_example])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

FORM_TYPE = "application/x-www-form-urlencoded"
# "Now" for generated dates, fixed for the run: a strategy must not change between examples.
NEAR = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0, tzinfo=None)

# Values people (or attackers) type that have broken parsers before.
NASTY = [
    "", " ", "\x00", "\t\r\n", "\r\n\r\n", "0", "-1", "00", "+1", "1.5", "1e309", "NaN",
    "inf", "²", "١٢", "٣", "𝟗", "Ⅻ", "9" * 30, str(2 ** 63), str(-2 ** 63 - 1),
    "{{ 7*7 }}", "{% for x in range(10**9) %}{% endfor %}", "{{ name }", "}}{{",
    "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "=HYPERLINK(\"x\")",
    "@SUM(1+1)", "\u202e\u200f\u200b", "\ufeff", "\uffff", "\U0010ffff", "%00", "%ff",
    "../../etc/passwd", "null", "None", "true", "[]", "{}", "STOP", "y", "on", "off",
    "approve", "reject", "granted:in_person", "withdrawn:withdrawn_by_worker", ":", "a:b:c",
    "Robert'); DROP TABLE contacts;--", "\\", "//evil.example", "/\\evil.example",
    "😀" * 10, "é" * 200, "x" * 161, "x" * 1001, "x" * 300_000,  # past the 256 KB limit
]

# Datetime-local values: odd zones, impossible dates, the ends of the calendar,
# the London clock changes, ISO forms browsers never send.
ODD_DATES = [
    "0001-01-01T00:00", "0001-01-01T00:00+01:00", "0001-01-01T00:00+23:59",
    "9999-12-31T23:59", "9999-12-31T23:59-01:00", "9999-12-31T23:59:59.999999-23:59",
    "2026-03-29T01:30", "2027-03-28T01:00", "2026-10-25T01:30", "2026-02-29T10:00",
    "2028-02-29T10:00", "2026-02-30T10:00", "2026-12-03T24:00", "2026-12-03T25:00",
    "2026-12-03T14:00Z", "2026-12-03T14:00+14:00", "2026-12-03T14:00-12:00",
    "2026-12-03T14:00+24:00", "2026-12-03T14:00:00.123456+05:45", "20261203T1400",
    "2026-W49-3T14:00", "2026-337T14:00", "2026-12-03", "14:00", "T14:00",
    "2026-12-03T14:00 Europe/London", "  2026-12-03T14:00  ", "2026-12-03T14:00:60",
    "+2026-12-03T14:00", "−2026-12-03T14:00", "２０２６-１２-０３T１４:００",
    "2026-12-03T14:00\x00", "2026-12-03t14:00", "2026-12-03 14:00",
]

CLOCK_TIMES = ["24:00", "24:01", "23:60", "9.30", "9:3", "-1:00", "00:00", "25:00",
               "٠٩:٣٠", "09:00:00", "9", "0900", "09h00", "9am", "12:00 pm", "08:00",
               "21:00", "10:00", "18:30", "08:59", "21:01", "２１:００"]

# Numbers that are not what they seem: digits outside ASCII ("²".isdigit() is True, but
# int("²") raises), numbers too big for SQLite, and forms int() and float() half accept.
NUMBERS = ["²", "١٢", "٣", "𝟗", "߁", "٠", "1²", "-1", "0", " 1", "1_000", "0x10", "1e3",
           "1.5", "9" * 30, str(2 ** 63), str(2 ** 63 - 1), "NaN"]

PHONES = ["07911 123456", "+447911123456", "07922 654321", "+1 202 555 0100", "0", "+",
          "+44" + "9" * 30, "07911\x00123456", "٠٧٩١١١٢٣٤٥٦", "tel:+447911123456",
          "+44 (0) 7911 123456", "0044 7911 123456", "999", "112", "+447700900123"]


def long_text():
    """Very long strings: a short piece repeated, up to a little past the request limit."""
    return st.builds(lambda piece, times: piece * times,
                     st.text(min_size=1, max_size=4), st.integers(150, 4_000))


def one_kind_of(**kinds):
    """Choose the kind of value first, then the value: each kind comes up often, however
    many values another kind has (plain one_of under-samples short lists)."""
    return st.sampled_from(sorted(kinds)).flatmap(lambda kind: kinds[kind])


def free_text():
    """Any text: all of Unicode (no lone surrogates: no browser can send one), control
    characters, very long strings and raw bytes that are not UTF-8."""
    return one_kind_of(
        nasty=st.sampled_from(NASTY),
        number=st.sampled_from(NUMBERS),
        unicode=st.text(max_size=40),
        control=st.text(st.characters(max_codepoint=0x9f), max_size=20),
        long=long_text(),
        not_utf8=st.binary(min_size=1, max_size=24),
    )


def datetimes_typed():
    """A datetime-local field as typed, sent or forged."""
    near = NEAR
    return one_kind_of(
        odd=st.sampled_from(ODD_DATES),
        near=st.datetimes(min_value=near - timedelta(days=3), max_value=near + timedelta(days=40))
        .map(lambda moment: moment.strftime("%Y-%m-%dT%H:%M")),
        any_zone=st.builds(lambda moment, sep, spec: moment.isoformat(sep=sep, timespec=spec),
                           st.datetimes(timezones=st.none() | st.timezones()),
                           st.sampled_from(["T", " "]),
                           st.sampled_from(["minutes", "seconds", "microseconds", "auto"])),
        text=free_text(),
    )


def clock_times():
    return one_kind_of(odd=st.sampled_from(CLOCK_TIMES),
                       any=st.times().map(lambda t: t.strftime("%H:%M")), text=free_text())


def occurrences(values):
    """A field sent once (mostly), left out, or repeated with different values."""
    return st.one_of(values.map(lambda value: [value]), st.lists(values, max_size=3))


def as_bytes(value):
    return value if isinstance(value, bytes) else value.encode("utf-8")


def form_body(pairs):
    """application/x-www-form-urlencoded bytes: each value's bytes percent-encoded, so a
    value can carry invalid UTF-8 and a name can appear twice."""
    return urllib.parse.urlencode([(as_bytes(name), as_bytes(value)) for name, value in pairs])


def post_pairs(client, url, pairs, *, multipart=False, headers=None):
    """POST the (name, value) pairs exactly, as a urlencoded form or multipart."""
    if multipart:
        from werkzeug.datastructures import MultiDict
        data = MultiDict([(name, value.decode("latin-1") if isinstance(value, bytes) else value)
                          for name, value in pairs])
        return client.post(url, data=data, headers=headers)
    return client.post(url, data=form_body(pairs), content_type=FORM_TYPE, headers=headers)


class ErrorLog(logging.Handler):
    """Collects ERROR records from every logger: an uncaught exception is logged at ERROR
    (web/errors.py, `mend.web`, "unexpected error on ...")."""

    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.records = []

    def emit(self, record):
        self.records.append(record)

    def describe(self):
        return "\n".join(f"{r.name}: {r.getMessage()}" + (
            f"\n{logging.Formatter().formatException(r.exc_info)}" if r.exc_info else "")
            for r in self.records)


def capture_errors():
    handler = ErrorLog()
    logging.getLogger().addHandler(handler)
    return handler


def release(handler):
    logging.getLogger().removeHandler(handler)


def check_response(response, errors, what):
    """After every example: never a 500 (or any 5xx), and nothing logged at ERROR."""
    assert response.status_code < 500, (
        f"{what} answered {response.status_code}\n{errors.describe()}")
    assert errors.records == [], f"{what} logged an error:\n{errors.describe()}"


def check_database(path):
    """The database file is sound and the audit chain is unbroken."""
    db = connect(path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        checked, problem = events.verify_chain(db)
        assert problem is None, problem
    finally:
        db.close()
