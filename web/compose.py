"""Writing a repair text from a reviewed template, previewing it, and sending it."""
from datetime import datetime, timezone

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, StopValidation

from sms import send_window
from sms.library import SITUATIONS
from sms.rendering import PLACEHOLDERS, BadTemplate, MissingFields, render_text
from storage import contacts, events, messages, sms_templates
from storage.connection import utc_now, write_transaction

from .auth import role_required
from .contacts import confirm_number, consent_refusal, contact_or_404, number_reconfirm_due
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
    number_reconfirmed = BooleanField(
        "I checked with them that this number is still theirs and safe to text")


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
    refusal = refuse_without_consent(db, form)
    action = "send" if request.form.get("send_at") else request.form.get("action", "preview")
    if request.method == "POST" and form.validate_on_submit():
        contact = contact_or_404(form.contact_id.data)
        version = sms_templates.get_version(db, form.template_version_id.data)
        preview = render_for(form, contact, version)
        if preview is not None and action == "send" and number_checked(db, form, contact):
            send_at, next_allowed, when_error = when_to_send(contact)
            if send_at is not None:
                message_id = schedule(db, contact, version, preview, send_at)
                flash("Your text is scheduled to go now." if send_at <= utc_now()
                      else "Your text is scheduled.")
                return redirect(url_for("contacts.show", contact_id=contact["id"],
                                        _anchor=f"message-{message_id}"))
    unavailable = [row for row in contacts.listing(
        db, key_worker_id=None if current_user.sees_everyone else current_user.id)
        if row["consent_state"] != "granted"]
    return render_template("compose.html", form=form, preview=preview,
                           next_allowed=next_allowed, when_error=when_error,
                           unavailable=unavailable, refusal=refusal,
                           reconfirm_due=reconfirm_due_for(db, form),
                           no_contacts=not form.contact_id.choices)


def chosen_contact(db, form):
    """The person chosen on the form (or in ?contact=), if the user may see them."""
    raw = request.form.get("contact_id") if request.method == "POST" else \
        request.args.get("contact")
    if not (raw or "").isdigit():
        return None
    contact = contacts.get(db, int(raw))
    if contact is None or contact["erased_at"] or (
            not current_user.sees_everyone and contact["key_worker_id"] != current_user.id):
        return None
    return contact


def refuse_without_consent(db, form):
    """Without granted consent nothing is scheduled: say why, on the field."""
    contact = chosen_contact(db, form)
    refusal = consent_refusal(contact) if contact else None
    if refusal and request.method == "POST":
        form.contact_id.validators = [*form.contact_id.validators, RefuseWith(refusal)]
    return refusal


class RefuseWith:
    """A validator that always fails with the given message (replacing "Not a valid choice")."""

    def __init__(self, message):
        self.message = message

    def __call__(self, form, field):
        field.errors[:] = []
        raise StopValidation(self.message)


def reconfirm_due_for(db, form):
    contact = chosen_contact(db, form)
    return bool(contact and number_reconfirm_due(contact))


def number_checked(db, form, contact):
    """Before sending to a number not confirmed safe lately, the worker confirms it again."""
    if not number_reconfirm_due(contact):
        return True
    if form.number_reconfirmed.data:
        confirm_number(db, contact["id"])
        return True
    days = current_app.config["NUMBER_RECONFIRM_DAYS"]
    form.number_reconfirmed.errors.append(
        f"No one has checked in the last {days} days that this number is safe to text. "
        "Check with them that it is still theirs and no one else reads their texts, "
        "then tick this box.")
    return False


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


def schedule(db, contact, version, rendered, send_at):
    with write_transaction(db):
        message_id = messages.create(
            db, contact_id=contact["id"], worker_id=current_user.id,
            template_version_id=version["id"], body=rendered.body,
            encoding=rendered.encoding, characters=rendered.characters,
            parts=rendered.parts, warnings=[], scheduled_for=send_at)
        events.record(db, action="message.scheduled", subject_type="message",
                      subject_id=message_id, actor_type="user", actor_id=current_user.id,
                      detail={"template_version_id": version["id"],
                              "template_id": version["template_id"],
                              "version": version["version"], "parts": rendered.parts,
                              "scheduled_for": send_at.isoformat(timespec="seconds")})
    return message_id
