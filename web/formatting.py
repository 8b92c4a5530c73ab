"""Jinja filters: local times in the service's zone, masked numbers, labels."""
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app

from sms.phone import mask

CONSENT_METHOD_LABELS = {
    "in_person": "In person",
    "in_writing": "In writing",
    "text_reply": "By text reply",
    "stop_keyword": "Texted STOP",
    "start_keyword": "Texted START",
    "withdrawn_by_worker": "Withdrawn by a worker",
    "provider_blocked": "Blocked by the phone network (they had texted STOP)",
}
CONSENT_STATE_LABELS = {
    "granted": "Agreed to texts",
    "withdrawn": "Does not want texts",
    "pending": "Waiting for them to confirm",
    None: "Not asked yet",
}
STATUS_LABELS = {
    "scheduled": "Scheduled", "sending": "Sending", "sent": "Sent",
    "delivered": "Delivered", "undelivered": "Not delivered", "failed": "Failed",
    "cancelled": "Cancelled", "expired": "Expired (not sent late)",
    "unknown": "Needs checking",
}


def local(value):
    if not value:
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(ZoneInfo(current_app.config["TIMEZONE"]))


def local_time(value):
    """'2026-12-03T14:00:00+00:00' -> 'Thu 3 Dec 2026, 2:00pm' in the service's zone."""
    moment = local(value)
    if moment is None:
        return ""
    hour = moment.strftime("%I").lstrip("0")
    return f"{moment:%a} {moment.day} {moment:%b %Y}, {hour}:{moment:%M}{moment:%p}".replace(
        "AM", "am").replace("PM", "pm")


def init_app(app):
    app.add_template_filter(local_time, "local_time")
    app.add_template_filter(mask, "mask")
    app.add_template_filter(lambda method: CONSENT_METHOD_LABELS.get(method, method),
                            "consent_method")
    app.add_template_filter(lambda state: CONSENT_STATE_LABELS.get(state, state),
                            "consent_state")
    app.add_template_filter(lambda status: STATUS_LABELS.get(status, status), "status_label")
