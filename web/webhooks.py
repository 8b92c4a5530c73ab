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
