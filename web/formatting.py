"""Jinja filters: local times in the service's zone, masked numbers, labels."""
import hashlib
import json
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app

from sms.checks import notes_for
from sms.reply_language import language_of
from sms.labels import (CONSENT_METHOD_LABELS, CONSENT_STATE_LABELS, STATUS_LABELS,
                        outcome_sentence)
from sms.languages import direction, name_of
from sms.phone import mask

def local(value):
    if not value:
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(ZoneInfo(current_app.config["TIMEZONE"]))


def local_time(value):
    """'2026-12-03T14:00:00+00:00' -> 'Thu 3 Dec 2026, 2:00pm' in the service's zone;
    'midnight' and 'noon' rather than an ambiguous 12:00am or 12:00pm."""
    moment = local(value)
    if moment is None:
        return ""
    day = f"{moment:%a} {moment.day} {moment:%b %Y}"
    if (moment.hour, moment.minute) in ((0, 0), (12, 0)):  # never "12:00am" or "12:00pm"
        return f"{day}, {'midnight' if moment.hour == 0 else 'noon'}"
    hour = moment.strftime("%I").lstrip("0")
    return f"{day}, {hour}:{moment:%M}{moment:%p}".replace("AM", "am").replace("PM", "pm")


def live_fingerprint(*parts):
    """A short hash of what a page shows, so its script can tell when to refresh it."""
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:16]


def init_app(app):
    app.add_template_filter(local_time, "local_time")
    app.add_template_filter(mask, "mask")
    app.add_template_filter(lambda method: CONSENT_METHOD_LABELS.get(method, method),
                            "consent_method")
    app.add_template_filter(lambda state: CONSENT_STATE_LABELS.get(state, state),
                            "consent_state")
    app.add_template_filter(lambda status: STATUS_LABELS.get(status, status), "status_label")
    app.add_template_filter(language_of, "reads_as")
    app.add_template_filter(name_of, "language_name")
    app.add_template_filter(outcome_sentence, "outcome")
    app.add_template_global(notes_for, "language_notes")
    app.add_template_filter(direction, "language_dir")
    app.add_template_filter(
        lambda stored: " and ".join(name_of(code) for code in (stored or "en").split("+")),
        "languages_spoken")
