"""Rules for the team around a person: cover, the out-of-hours auto-reply, a number
that is no longer theirs, and the email about a reply left unread.

No Flask and no storage: callers pass plain values.
"""
from datetime import date, timedelta

from . import service_hours
from .library import SENT_BY_MEND  # noqa: F401 (the situations of texts Mend sends itself)

MAX_COVER_DAYS = 366

# Failures that mean the number is not (or no longer) a mobile the person has:
# unknown to the network, a landline, not a mobile, not a valid number, not reachable.
NOT_THEIRS = {21211, 21408, 21612, 21614, 30005, 30006}
# "Unreachable" (switched off, out of signal) is normal now and then; this many in a
# row, with nothing delivered between, means the phone is gone.
UNREACHABLE = 30003
UNREACHABLE_IN_A_ROW = 3

AUTO_REPLY_EVERY = timedelta(hours=24)
OUT_OF_HOURS_TEMPLATE = "out-of-hours-reply"
MOVING_ON_TEMPLATE = "moving-on"


def cover_problem(*, key_worker_id, cover_worker_id, starts_on, ends_on, today):
    """Why this cover cannot be set, in words for the person setting it (None if it can)."""
    if cover_worker_id == key_worker_id:
        return "Choose someone else to cover: a worker cannot cover themselves."
    if ends_on < starts_on:
        return "The last day of cover must be on or after the first day."
    if ends_on < today:
        return "That cover has already ended. Choose dates from today onwards."
    if (ends_on - starts_on).days >= MAX_COVER_DAYS:
        return ("Cover can last up to a year. For longer, hand their people over to a "
                "new key worker instead.")
    return None


def parse_day(text):
    """'2026-12-01' -> date; None when it is not a date."""
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        return None


def number_not_theirs(latest_codes):
    """Whether the latest failures say the number is no longer theirs.

    `latest_codes`: the error codes of their most recent finished texts, newest first,
    None for one that was delivered. Returns the code that decided it, or None.
    """
    if not latest_codes or latest_codes[0] is None:
        return None
    newest = latest_codes[0]
    if newest in NOT_THEIRS:
        return newest
    if newest == UNREACHABLE:
        run = 0
        for code in latest_codes:
            if code != UNREACHABLE:
                break
            run += 1
        if run >= UNREACHABLE_IN_A_ROW:
            return newest
    return None


def held_reason(flag):
    """What the person's page and the held texts say while a number is held."""
    return (f"{flag} Mend holds every text to them until someone checks the number "
            "with them in person.")


def auto_reply_refusal(*, kind, matched, consent_state, last_auto_reply_at, now,
                       received_at, zone, hours, possible_stop=False):
    """Why no out-of-hours auto-reply goes to this text (None when one should).

    Never to a keyword (STOP, START, HELP...), a text that may be asking Mend to stop
    ("leave me alone", "wrong number"), an unmatched number, or someone who has not
    agreed to texts; at most one per person per day; only out of working hours.
    """
    if hours is None:
        return "no working hours are set"
    if kind != "reply":
        return "it was a keyword"
    if possible_stop:
        return "it may be asking Mend to stop"
    if not matched:
        return "the number matches no one"
    if consent_state != "granted":
        return "they have not agreed to texts"
    if service_hours.is_open(received_at, zone, hours):
        return "it arrived in working hours"
    if last_auto_reply_at is not None and now - last_auto_reply_at < AUTO_REPLY_EVERY:
        return "they had an auto-reply in the last 24 hours"
    return None


def auto_reply_time(*, received_at, first_allowed, zone, hours):
    """When the auto-reply may go: the first moment their send window and safe hours
    allow. None when that is not before the team is back (a person answers instead)."""
    if first_allowed is None:
        return None
    opening = service_hours.next_opening(received_at, zone, hours)
    if opening is not None and first_allowed >= opening:
        return None
    return first_allowed


def unread_is_overdue(*, received_at, now, zone, hours, after_hours):
    """True when a reply has waited longer than `after_hours` of working time."""
    waited = service_hours.working_time_between(received_at, now, zone, hours)
    return waited >= timedelta(hours=after_hours)


def unread_reply_email(*, link, service_name):
    """(subject, body) of the email about an unread reply. No name, number or words
    of the text, ever: email is not a safe place for them."""
    subject = "A reply is waiting in Mend"
    body = (f"Someone you support, or are covering for, at {service_name} sent a reply "
            "that has not been read yet.\n\n"
            f"Read it in Mend: {link}\n\n"
            "This email says nothing more on purpose: their name, number and words stay "
            "in Mend.\n")
    return subject, body
