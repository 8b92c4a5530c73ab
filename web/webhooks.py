"""Twilio's webhooks. Every route here is signed: `twilio_signed` checks
X-Twilio-Signature with Twilio's RequestValidator against PUBLIC_BASE_URL + path.

Behind a TLS proxy the URL Twilio signed is the public one, not the one Flask
sees, so the public URL is rebuilt from PUBLIC_BASE_URL (see the README).
"""
import functools
import logging

from flask import Blueprint, Response, abort, current_app, request
from twilio.request_validator import RequestValidator

from .security import csrf

log = logging.getLogger("mend.webhooks")
bp = Blueprint("webhooks", __name__, url_prefix="/webhooks/twilio")
csrf.exempt(bp)  # Twilio cannot send a CSRF token; the signature stands in for it

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def public_url():
    """The URL Twilio called, as it signed it: PUBLIC_BASE_URL + path (+ query)."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    query = request.query_string.decode("latin-1")
    return f"{base}{request.path}" + (f"?{query}" if query else "")


def twilio_signed(view):
    """Refuse (403, with a log line) any request whose Twilio signature is missing or wrong."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        token = current_app.config.get("TWILIO_AUTH_TOKEN") or ""
        signature = request.headers.get("X-Twilio-Signature", "")
        params = request.form.to_dict(flat=True) if request.form else {}
        if not token or not signature or not RequestValidator(token).validate(
                public_url(), params, signature):
            log.warning("refused a webhook to %s: %s", request.path,
                        "no signature" if not signature else "signature does not match")
            abort(403)
        return view(*args, **kwargs)

    wrapped.allowed_roles = ("twilio",)
    return wrapped


def empty_twiml():
    """Twilio answers STOP/START/HELP itself on long codes: Mend never sends a second reply."""
    return Response(EMPTY_TWIML, mimetype="text/xml")


# --- Status callbacks (delivery) ------------------------------------------------

# Twilio's MessageStatus -> Mend's status. `queued`, `accepted` and `sending` mean
# the provider has it, which Mend calls `sent`; `read` and `canceled` change nothing.
PROVIDER_STATUSES = {
    "queued": "sent", "accepted": "sent", "scheduled": "sent", "sending": "sent",
    "sent": "sent", "delivered": "delivered", "undelivered": "undelivered",
    "failed": "failed",
}


@bp.route("/status", methods=["POST"])
@twilio_signed
def status_callback():
    """Twilio reports a message's progress. Idempotent; a status never moves back."""
    from sms import twilio_errors
    from storage import delivery

    from .database import get_db

    sid = request.form.get("MessageSid") or request.form.get("SmsSid") or ""
    provider_status = (request.form.get("MessageStatus")
                       or request.form.get("SmsStatus") or "").lower()
    if not sid or not provider_status:
        log.warning("status callback without a MessageSid or MessageStatus")
        return Response("", status=400)
    to_status = PROVIDER_STATUSES.get(provider_status)
    if to_status is None:
        return empty_twiml()
    message_id = request.args.get("m", type=int)
    code = request.form.get("ErrorCode", type=int)
    db = get_db()
    outcome = delivery.apply_provider_status(
        db, message_id=message_id, provider_sid=sid, to_status=to_status,
        provider_status=provider_status, error_code=code,
        reason=twilio_errors.reason_for(code) if code else None)
    log.info("status callback for message %s: %s -> %s", message_id or "?",
             provider_status, outcome)
    if outcome == "applied" and code in twilio_errors.NUMBER_PROBLEMS:
        row = delivery.find_for_callback(db, message_id=message_id, provider_sid=sid)
        delivery.flag_number(db, row["contact_id"], flag=twilio_errors.reason_for(code),
                             message_id=row["id"], actor_type="twilio")
    return empty_twiml()
