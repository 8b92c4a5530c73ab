"""Rules about a person Mend texts, each in one place: who may see them, when they
may be texted, whether their number needs checking again, and the words that say
why Mend will not text them.

No Flask and no storage: callers pass the contact row and the settings.
"""
from datetime import datetime, timedelta

from . import send_window
from .labels import CONSENT_STATE_LABELS

OPTED_OUT_BY_TEXT = ("stop_keyword", "provider_blocked")


def in_caseload(key_worker_id, *, user_id, sees_everyone, covering=frozenset()):
    """The caseload rule: a worker sees only the people they key-work (and their texts
    and replies), and, while they cover for colleagues, those colleagues' people
    (`covering`: the key workers they cover today); reviewers and admins see everyone.
    Cover and handover are the only ways to widen it."""
    return sees_everyone or key_worker_id == user_id or key_worker_id in covering


def safe_hours_of(contact):
    """The hours the person asked to be texted in, as a Window, or None."""
    if contact["safe_hours_start"] and contact["safe_hours_end"]:
        return send_window.parse_window(
            f"{contact['safe_hours_start']}-{contact['safe_hours_end']}")
    return None


def window_for(contact, service_window):
    """When this person may be texted: the service's window within their safe hours
    (None when the two do not overlap)."""
    return send_window.intersect(service_window, safe_hours_of(contact))


def first_allowed_time(contact, *, now, zone, service_window):
    """The first moment from `now` when this person may be texted (None if never)."""
    window = window_for(contact, service_window)
    return send_window.next_allowed(now, zone, window) if window else None


def number_needs_reconfirming(contact, *, now, days):
    """True when the number was never checked with them, or not for `days` days."""
    confirmed = contact["number_confirmed_on"]
    if confirmed is None:
        return True
    return now - datetime.fromisoformat(confirmed) > timedelta(days=days)


def consent_refusal(contact):
    """Why Mend will not text this person now, for the worker (None when it will)."""
    name = contact["preferred_name"]
    state = contact["consent_state"]
    if state == "granted":
        return None
    if state == "pending":
        return (f"{name} has not confirmed yet. Mend sends nothing else until they "
                "reply YES.")
    if state == "withdrawn":
        return (f"{name} does not want texts, so Mend will not text them. If they change "
                "their mind, record it on their page.")
    return f"{name} has not agreed to texts yet. Record their agreement on their page first."


def cannot_text_now(contact):
    """The compose form's short refusal for a person who may not be texted."""
    return (f"{contact['preferred_name']} cannot be texted now: "
            f"{CONSENT_STATE_LABELS[contact['consent_state']].lower()}. Nothing was sent.")


def stopped_by_text(latest_consent):
    """True when their latest consent entry is a STOP (the network blocks texts too)."""
    return bool(latest_consent and latest_consent["state"] == "withdrawn"
                and latest_consent["method"] in OPTED_OUT_BY_TEXT)
