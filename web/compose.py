"""Writing a repair text from a reviewed template, previewing it, and sending it."""
import hashlib
from datetime import datetime, timezone

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length

from sms import checks, send_window
from sms.library import SITUATIONS
from sms.rendering import PLACEHOLDERS, BadTemplate, MissingFields, render_text
from storage import contacts, events, messages, sms_templates
from storage.connection import utc_now, write_transaction

from .auth import role_required
from .contacts import contact_or_404
from .database import get_db

bp = Blueprint("compose", __name__, url_prefix="/compose")

PERSONAL_LINE_MAX = 160


class ComposeForm(FlaskForm):
    contact_id = SelectField("Who is this text for?", coerce=int, validate_choice=True,
                             validators=[DataRequired("Choose who the text is for.")])
    template_version_id = SelectField("Template", coerce=int, validate_choice=True,
                                      validators=[DataRequired("Choose a template.")])
    next_meeting = StringField("Next meeting", validators=[Length(max=60)],
                               description='Written as it should read, like '
                                           '"Tuesday 3 December at 2pm".')
    personal = StringField("Personal line (optional)", validators=[Length(
        max=PERSONAL_LINE_MAX,
        message=f"Keep the personal line to {PERSONAL_LINE_MAX} characters.")])


def template_choices(db):
    return [SelectChoice(version["id"], version["title"],
                         optgroup=SITUATIONS.get(version["situation"], version["situation"]))
            for version in sms_templates.usable_versions(db)]


def contact_choices(db):
    key_worker = None if current_user.sees_everyone else current_user.id
    return [SelectChoice(row["id"], row["preferred_name"])
            for row in contacts.listing(db, key_worker_id=key_worker)
            if row["consent_state"] == "granted"]


def values_for(contact, form):
    return {
        "name": contact["preferred_name"],
        "worker": current_user.first_name,
        "service": current_app.config["SERVICE_NAME"] if contact["ok_to_name_service"] else "",
        "next_meeting": form.next_meeting.data,
        "personal": form.personal.data,
    }


def render_for(form, contact, version):
    """Render, turning a missing field into an error on that field. None on error."""
    try:
        return render_text(version["body"], values_for(contact, form))
    except MissingFields as missing:
        for name in missing.names:
            field = getattr(form, name, None)
            label = PLACEHOLDERS[name]
            if field is not None:
                field.errors.append(f"Fill in the {label}: this template uses it.")
            else:
                form.template_version_id.errors.append(f"This template needs the {label}.")
    except BadTemplate:
        form.template_version_id.errors.append(
            "This template cannot be used right now. Choose another and tell a reviewer.")
    return None


@bp.route("/", methods=["GET", "POST"])
@role_required("worker", "reviewer", "admin")
def compose():
    db = get_db()
    form = ComposeForm()
    form.contact_id.choices = contact_choices(db)
    form.template_version_id.choices = template_choices(db)
    if request.method == "GET" and request.args.get("contact", "").isdigit():
        form.contact_id.data = int(request.args["contact"])
    preview = next_allowed = when_error = None
    warnings = []
    unseen_warnings = False
    action = "send" if request.form.get("send_at") else request.form.get("action", "preview")
    if request.method == "POST" and form.validate_on_submit():
        contact = contact_or_404(form.contact_id.data)
        version = sms_templates.get_version(db, form.template_version_id.data)
        preview = render_for(form, contact, version)
        if preview is not None:
            warnings = warnings_for(contact, preview)
            unseen_warnings = bool(warnings) and (
                request.form.get("seen_warnings") != fingerprint(preview.body))
        if preview is not None and action == "send" and not unseen_warnings:
            send_at, next_allowed, when_error = when_to_send(contact)
            if send_at is not None:
                message_id = schedule(db, contact, version, preview, send_at, warnings)
                flash("Your text is scheduled to go now." if send_at <= utc_now()
                      else "Your text is scheduled.")
                return redirect(url_for("contacts.show", contact_id=contact["id"],
                                        _anchor=f"message-{message_id}"))
    unavailable = [row for row in contacts.listing(
        db, key_worker_id=None if current_user.sees_everyone else current_user.id)
        if row["consent_state"] != "granted"]
    return render_template("compose.html", form=form, preview=preview, warnings=warnings,
                           warnings_fingerprint=fingerprint(preview.body) if preview else "",
                           held_for_warnings=unseen_warnings and action == "send",
                           next_allowed=next_allowed, when_error=when_error,
                           unavailable=unavailable,
                           no_contacts=not form.contact_id.choices)


def warnings_for(contact, rendered):
    """The same checks a template passed, now on the whole text with the worker's words."""
    context = checks.Context(worker=current_user.first_name,
                             service_name=current_app.config["SERVICE_NAME"],
                             service_allowed=bool(contact["ok_to_name_service"]))
    return checks.check_text(rendered.body, context, name=contact["preferred_name"])


def fingerprint(body):
    """Marks the text whose warnings the worker was shown, so Send stores what they saw."""
    return hashlib.sha256(body.encode("utf-8")).hexdigest()[:16]


def when_to_send(contact):
    """(send_at, None, None) when allowed, else (None, next allowed time, why not).

    The time comes from the button pressed: "Send now" has none, the offered
    "next allowed time" button carries its ISO time as `send_at`.
    """
    config = current_app.config
    now = utc_now()
    send_at = now
    chosen = request.form.get("send_at", "")
    if chosen:
        try:
            parsed = datetime.fromisoformat(chosen)
        except ValueError:
            parsed = None
        if parsed is None or parsed.tzinfo is None:
            return None, None, "That time could not be read. Choose it again."
        send_at = max(now, parsed.astimezone(timezone.utc))
    window = send_window.parse_window(config["SEND_WINDOW"])
    if contact["safe_hours_start"] and contact["safe_hours_end"]:
        window = send_window.intersect(window, send_window.parse_window(
            f"{contact['safe_hours_start']}-{contact['safe_hours_end']}"))
    if window is None:
        return None, None, ("Their safe hours do not overlap the service's send window, "
                            "so no time is allowed. Check their safe hours.")
    if send_window.is_allowed(send_at, config["TIMEZONE"], window):
        return send_at, None, None
    end = "midnight" if window.end is None else format(window.end, "%H:%M")
    return (None, send_window.next_allowed(send_at, config["TIMEZONE"], window),
            f"Texts to this person only go out between {window.start:%H:%M} and {end}, "
            "so this one cannot go now.")


def schedule(db, contact, version, rendered, send_at, warnings):
    shown = [warning.as_dict() for warning in warnings]
    with write_transaction(db):
        message_id = messages.create(
            db, contact_id=contact["id"], worker_id=current_user.id,
            template_version_id=version["id"], body=rendered.body,
            encoding=rendered.encoding, characters=rendered.characters,
            parts=rendered.parts, warnings=shown, scheduled_for=send_at)
        events.record(db, action="message.scheduled", subject_type="message",
                      subject_id=message_id, actor_type="user", actor_id=current_user.id,
                      detail={"template_version_id": version["id"],
                              "template_id": version["template_id"],
                              "version": version["version"], "parts": rendered.parts,
                              "warnings": shown,
                              "scheduled_for": send_at.isoformat(timespec="seconds")})
    return message_id
