"""Twilio's webhooks. Every route here is signed: `twilio_signed` checks
X-Twilio-Signature with Twilio's RequestValidator against PUBLIC_BASE_URL + path.

Behind a TLS proxy the URL Twilio signed is the public one, not the one Flask
sees, so the public URL is rebuilt from PUBLIC_BASE_URL (see the README).
"""
import functools
import logging
import re
import urllib.parse

from flask import Blueprint, Response, abort, current_app, request
from twilio.request_validator import RequestValidator

from actions.delivery import apply_status_callback
from actions.inbound import receive_text
from sms.service import Service

from . import SQLITE_MAX_INTEGER
from .database import get_db
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


def accepted_tokens():
    """The auth token, and during a rotation the previous one (see docs/operations.md)."""
    config = current_app.config
    return [token for token in (config.get("TWILIO_AUTH_TOKEN"),
                                config.get("TWILIO_AUTH_TOKEN_PREVIOUS")) if token]


def twilio_signed(view):
    """Refuse (403, with a log line) any request whose Twilio signature is missing or wrong."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        signature = request.headers.get("X-Twilio-Signature", "")
        params = request.form.to_dict(flat=True) if request.form else {}
        if not signature or not any(RequestValidator(token).validate(public_url(), params, signature)
                                    for token in accepted_tokens()):
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


def message_id_param(text):
    """`?m=`, the message id Mend put in the callback URL. ValueError (so `.get(type=...)`
    gives None and the SID is used instead) when it cannot be a row id."""
    value = int(text)
    if not 0 < value <= SQLITE_MAX_INTEGER:
        raise ValueError(f"{text!r} is not a message id")
    return value


def error_code_param(text):
    """Twilio's ErrorCode: a number of up to five digits; ValueError for anything else."""
    value = int(text)
    if not 0 <= value < 1_000_000:
        raise ValueError(f"{text!r} is not a Twilio error code")
    return value


@bp.route("/status", methods=["POST"])
@twilio_signed
def status_callback():
    """Twilio reports a message's progress. Idempotent; a status never moves back."""
    sid = request.form.get("MessageSid") or request.form.get("SmsSid") or ""
    provider_status = (request.form.get("MessageStatus")
                       or request.form.get("SmsStatus") or "").lower()
    if not sid or not provider_status:
        log.warning("status callback without a MessageSid or MessageStatus")
        return Response("", status=400)
    to_status = PROVIDER_STATUSES.get(provider_status)
    if to_status is None:
        return empty_twiml()
    message_id = request.args.get("m", type=message_id_param)
    outcome = apply_status_callback(
        get_db(), message_id=message_id, provider_sid=sid, to_status=to_status,
        provider_status=provider_status,
        error_code=request.form.get("ErrorCode", type=error_code_param))
    log.info("status callback for message %s: %s -> %s", message_id or "?",
             provider_status, outcome)
    return empty_twiml()


# --- Inbound texts: POST /webhooks/twilio/inbound -----------------------------------

MAX_WEBHOOK_BYTES = 64 * 1024  # Twilio's largest form (1,600 characters) is far smaller
MAX_INBOUND_CHARACTERS = 1600  # the longest text Twilio delivers
MESSAGE_SID = re.compile(r"^(SM|MM)[0-9a-fA-F]{32}$")
SENDER = re.compile(r"^\+?[0-9A-Za-z]{2,20}$")


def refuse(status, problem):
    """Log why a webhook was refused (never its number or text) and answer 4xx."""
    log.warning("refused a webhook to %s: %s", request.path, problem)
    abort(status)


def form_problem():
    """(status, reason) when the raw request is not a well-formed UTF-8 form, else None."""
    if request.content_length is None:
        return 411, "no Content-Length"
    if request.content_length > MAX_WEBHOOK_BYTES:
        return 413, f"body too large ({request.content_length} bytes)"
    if request.mimetype != "application/x-www-form-urlencoded":
        return 415, f"not a form ({request.mimetype or 'no content type'})"
    raw = request.get_data(cache=True)  # cached, so request.form parses these bytes
    try:
        pairs = urllib.parse.parse_qsl(raw.decode("utf-8"), keep_blank_values=True,
                                       strict_parsing=bool(raw), errors="strict")
    except UnicodeDecodeError:
        return 400, "the form is not UTF-8"
    except ValueError:
        return 400, "the form is malformed"
    names = [name for name, _ in pairs]
    if len(names) != len(set(names)):
        return 400, "a field is repeated"
    return None


def well_formed_form(view):
    """Refuse, with a 4xx and a log line, a request Twilio could not have sent."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        problem = form_problem()
        if problem:
            refuse(*problem)
        return view(*args, **kwargs)

    return wrapped


def inbound_fields(form):
    """The fields Mend uses from Twilio's inbound form, or refuse the request."""
    missing = [name for name in ("MessageSid", "From", "Body") if name not in form]
    if missing:
        refuse(400, "missing " + ", ".join(missing))
    if not MESSAGE_SID.match(form["MessageSid"]):
        refuse(400, "MessageSid is not a message SID")
    sender = form["From"].strip()
    if not SENDER.match(sender):
        refuse(400, "From is not a phone number or sender id")
    if len(form["Body"]) > MAX_INBOUND_CHARACTERS:
        refuse(400, f"Body is longer than Twilio sends ({len(form['Body'])} characters)")
    return {"provider_sid": form["MessageSid"], "from_number": sender, "body": form["Body"]}


@bp.route("/inbound", methods=["POST"])
@well_formed_form
@twilio_signed
def inbound():
    """A text from a person: store it, honour keywords, and never answer with a text."""
    fields = inbound_fields(request.form)
    received = receive_text(get_db(), **fields, service=Service.from_config(current_app.config))
    log.info("inbound %s: %s", fields["provider_sid"], received.summary())
    return empty_twiml()
