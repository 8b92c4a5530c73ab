"""Writing a repair text from a reviewed template: compose, preview, confirm, schedule.

Every path (the live preview, the Preview button, the confirm step, scheduling and
editing a scheduled text) goes through `build_draft`, so what the worker sees is
exactly what is stored and sent.
"""
import hashlib
from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import (Blueprint, current_app, flash, jsonify, redirect,
                   render_template, request, url_for)
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length

from sms import checks, scheduling, send_window
from sms.library import SITUATIONS
from sms.phone import mask
from sms.rendering import PLACEHOLDERS, BadTemplate, MissingFields, placeholders_in, render_text
from storage import contacts, events, messages, sms_templates
from storage.connection import from_db_time, utc_now, write_transaction

from .auth import role_required
from .database import get_db
from .formatting import CONSENT_STATE_LABELS

bp = Blueprint("compose", __name__, url_prefix="/compose")

PERSONAL_LINE_MAX = 160
# The same text to the same person from the same worker within this time is one text
# confirmed twice (a double click, a resubmitted form on a slow connection).
REPEAT_WINDOW = timedelta(minutes=2)


def optional_int(value):
    """Select values: '' (the "Choose..." option) or anything not a number is None."""
    text = str(value).strip() if value is not None else ""
    # isascii: "²" and "١" pass isdigit() but are not ids (int("²") raises ValueError)
    return int(text) if text.isascii() and text.isdigit() and len(text) < 12 else None


class ComposeForm(FlaskForm):
    contact_id = SelectField("Who is this text for?", coerce=optional_int, validate_choice=False,
                             validators=[DataRequired("Choose who the text is for.")])
    situation = SelectField("What happened?", validate_choice=False)
    template_version_id = SelectField("Template", coerce=optional_int, validate_choice=False,
                                      validators=[DataRequired("Choose a template.")])
    next_meeting_at = StringField("Next meeting", validators=[Length(max=40)])
    personal = StringField("Personal line (optional)", validators=[Length(
        max=PERSONAL_LINE_MAX,
        message=f"Keep the personal line to {PERSONAL_LINE_MAX} characters or fewer.")])
    when = RadioField("When should it go?", default="now",
                      choices=[SelectChoice(value, label)
                               for value, label in scheduling.QUICK_CHOICES.items()])
    send_at_local = StringField("Date and time", validators=[Length(max=40)])
    number_reconfirmed = BooleanField(
        "I have checked with them that this number is still safe to text")


@dataclass
class Draft:
    """A checked compose form: the exact text, when it goes, and what to warn about."""
    contact: dict
    version: dict
    rendered: object
    send_time: scheduling.SendTime | None = None
    warnings: list = field(default_factory=list)
    needs_reconfirm: bool = False
    suggest_cooling_off: bool = False
    template_fields: dict = field(default_factory=dict)


def zone():
    return current_app.config["TIMEZONE"]


def window_for(contact):
    window = send_window.parse_window(current_app.config["SEND_WINDOW"])
    if contact["safe_hours_start"] and contact["safe_hours_end"]:
        return send_window.intersect(window, send_window.parse_window(
            f"{contact['safe_hours_start']}-{contact['safe_hours_end']}"))
    return window


def visible_contacts(db):
    key_worker = None if current_user.sees_everyone else current_user.id
    return contacts.listing(db, key_worker_id=key_worker)


def fill_choices(db, form, search=""):
    people = [row for row in visible_contacts(db) if row["consent_state"] == "granted"
              and search.lower() in row["preferred_name"].lower()]
    form.contact_id.choices = [SelectChoice("", "Choose a person")] + [
        SelectChoice(row["id"], row["preferred_name"]) for row in people]
    form.situation.choices = [SelectChoice("", "Any situation")] + [
        SelectChoice(slug, label) for slug, label in SITUATIONS.items()]
    usable = sms_templates.usable_versions(db)
    recent = messages.recent_template_ids(db, current_user.id)
    rank = {template_id: index for index, template_id in enumerate(recent)}
    usable.sort(key=lambda v: (rank.get(v["template_id"], len(rank)), v["situation"], v["title"]))
    chosen_situation = form.situation.data or ""
    form.template_version_id.choices = [SelectChoice("", "Choose a template")] + [
        SelectChoice(v["id"], v["title"],
                     optgroup="Recently used by you" if v["template_id"] in rank
                     else SITUATIONS.get(v["situation"], v["situation"]),
                     render_kw={"data-situation": v["situation"],
                                "data-when-to-use": v["when_to_use"],
                                "data-fields": " ".join(sorted(placeholders_in(v["body"])))})
        for v in usable if not chosen_situation or v["situation"] == chosen_situation
        or v["template_id"] in rank]
    return usable


def sendable_contact(db, form):
    """The chosen contact if they may be texted now; otherwise None, with the reason."""
    contact = contacts.get(db, form.contact_id.data)
    visible = contact is not None and not contact["erased_at"] and (
        current_user.sees_everyone or contact["key_worker_id"] == current_user.id)
    if not visible:
        form.contact_id.errors.append("Choose who the text is for.")
        return None
    if contact["consent_state"] != "granted":
        form.contact_id.errors.append(
            f"{contact['preferred_name']} cannot be texted now: "
            f"{CONSENT_STATE_LABELS[contact['consent_state']].lower()}. Nothing was sent.")
        return None
    return contact


def usable_version(db, form):
    version = sms_templates.get_version(db, form.template_version_id.data)
    if version is None or version["status"] != "approved":
        form.template_version_id.errors.append(
            "That template has not been approved for use. Choose another.")
        return None
    if not sms_templates.is_usable(db, version["id"]):
        form.template_version_id.errors.append(
            "That template is no longer in use (it was retired or replaced while you were "
            "writing). Choose another; what you typed is kept.")
        return None
    return version


def next_meeting_text(form):
    """The typed meeting time written out, or '' (an error is set if unreadable)."""
    typed = (form.next_meeting_at.data or "").strip()
    if not typed:
        return ""
    moment = scheduling.parse_local(typed, zone())
    if moment is None:
        form.next_meeting_at.errors.append(
            "That meeting date and time could not be read. Choose it again.")
        return ""
    return scheduling.format_meeting(moment, zone())


def render_for(form, contact, version):
    """Render the text; a missing field becomes an error naming it. None on error."""
    values = {
        "name": contact["preferred_name"],
        "worker": current_user.first_name,
        "service": current_app.config["SERVICE_NAME"] if contact["ok_to_name_service"] else "",
        "next_meeting": next_meeting_text(form),
        "personal": form.personal.data,
    }
    if form.next_meeting_at.errors:
        return None
    try:
        return render_text(version["body"], values)
    except MissingFields as missing:
        for name in missing.names:
            target = {"next_meeting": form.next_meeting_at,
                      "personal": form.personal}.get(name, form.template_version_id)
            target.errors.append(f"Fill in the {PLACEHOLDERS[name]}: this template uses it.")
    except BadTemplate:
        form.template_version_id.errors.append(
            "This template cannot be used right now. Choose another and tell a reviewer.")
    return None


def number_needs_reconfirming(contact):
    confirmed = from_db_time(contact["number_confirmed_on"])
    days = current_app.config["NUMBER_RECONFIRM_DAYS"]
    return confirmed is None or utc_now() - confirmed > timedelta(days=days)


def choose_send_time(form, contact):
    service_window = send_window.parse_window(current_app.config["SEND_WINDOW"])
    moment, problem = scheduling.resolve(form.when.data, form.send_at_local.data, utc_now(),
                                         zone(), window_for(contact) or service_window)
    if problem:
        form.send_at_local.errors.append(problem)
        return None
    result = scheduling.check_time(moment, utc_now(), zone(), window_for(contact))
    if result.problem:
        form.send_at_local.errors.append(result.problem)
    return result


def build_draft(db, form, *, contact=None, with_time=False):
    """Check a compose form; a Draft when the text can be rendered, else None.

    Errors are left on the form's fields. With `with_time`, the send time and the
    number re-check are checked too (callers then look at `form.errors`).
    """
    form.validate()
    if contact is None and not form.contact_id.errors:
        contact = sendable_contact(db, form)
    version = usable_version(db, form) if not form.template_version_id.errors else None
    if contact is None or version is None:
        return None
    rendered = render_for(form, contact, version)
    if rendered is None or form.personal.errors:
        return None
    draft = Draft(contact=contact, version=version, rendered=rendered,
                  template_fields={"personal": form.personal.data or "",
                                   "next_meeting_at": form.next_meeting_at.data or ""})
    draft.warnings = [warning.as_dict() for warning in warnings_for(contact, rendered)]
    draft.suggest_cooling_off = (version["situation"] in scheduling.COOLING_OFF_SITUATIONS
                                 and form.when.data in ("now", "in_2_hours"))
    draft.needs_reconfirm = number_needs_reconfirming(contact)
    if with_time:
        draft.send_time = choose_send_time(form, contact)
        if draft.needs_reconfirm and not form.number_reconfirmed.data:
            form.number_reconfirmed.errors.append(
                f"It is a while since {contact['preferred_name']}'s number was checked. "
                "Check with them that it is still safe to text, then tick the box.")
    return draft


def warnings_for(contact, rendered):
    """The same checks a template passed, now on the whole text with the worker's words."""
    context = checks.Context(worker=current_user.first_name,
                             service_name=current_app.config["SERVICE_NAME"],
                             service_allowed=bool(contact["ok_to_name_service"]))
    return checks.check_text(rendered.body, context, name=contact["preferred_name"])


def fingerprint(body):
    """Marks the text whose warnings the worker was shown, so what is stored was seen."""
    return hashlib.sha256(body.encode("utf-8")).hexdigest()[:16]


def warnings_unseen(draft):
    return bool(draft.warnings) and request.form.get("seen_warnings") != fingerprint(
        draft.rendered.body)


def ready_to_schedule(draft, form):
    return (draft is not None and not form.errors and draft.send_time is not None
            and draft.send_time.at is not None)


@bp.route("/", methods=["GET", "POST"])
@role_required("worker", "reviewer", "admin")
def compose():
    db = get_db()
    form = ComposeForm()
    search = request.args.get("q", "").strip()[:80]
    fill_choices(db, form, search)
    if request.method == "GET":
        chosen = optional_int(request.args.get("contact", ""))
        if chosen is not None:
            form.contact_id.data = chosen
        return compose_page(form, search=search)
    if request.form.get("use_next_allowed"):
        form.when.data = "at"
        form.send_at_local.data = request.form["use_next_allowed"]
    action = "review" if request.form.get("use_next_allowed") else request.form.get("action")
    if action not in ("review", "confirm"):
        return compose_page(form, draft=build_draft(db, form), search=search)
    draft = build_draft(db, form, with_time=True)
    if not ready_to_schedule(draft, form):
        return compose_page(form, draft=draft, search=search)
    if action == "review" or warnings_unseen(draft):
        return render_template("compose/confirm.html", form=form, draft=draft,
                               masked=mask(draft.contact["phone"]),
                               fingerprint=fingerprint(draft.rendered.body),
                               held_for_warnings=action == "confirm")
    message_id, created = schedule(db, draft, form)
    if created:
        flash("Your text is scheduled. You can change or cancel it until it goes.")
    else:
        flash("This text was already scheduled a moment ago, so it was not scheduled "
              "again. You can change or cancel it until it goes.")
    return redirect(url_for("messages.show", message_id=message_id))


def compose_page(form, draft=None, search=""):
    db = get_db()
    unavailable = [row for row in visible_contacts(db) if row["consent_state"] != "granted"]
    return render_template(
        "compose/compose.html", form=form, draft=draft, search=search,
        unavailable=unavailable, personal_max=PERSONAL_LINE_MAX,
        no_contacts=len(form.contact_id.choices) <= 1 and not search
        and request.method == "GET",
        next_allowed=draft.send_time.next_allowed if draft and draft.send_time else None)


@bp.route("/preview", methods=["POST"])
@role_required("worker", "reviewer", "admin")
def preview():
    """The live preview: the same checks as sending, as JSON."""
    db = get_db()
    form = ComposeForm()
    fill_choices(db, form)
    draft = build_draft(db, form)
    errors = {name: messages_ for name, messages_ in form.errors.items() if name != "csrf_token"}
    if draft is None:
        return jsonify(body=None, errors=errors), 200
    return jsonify(preview_json(draft, errors))


def preview_json(draft, errors=None):
    rendered = draft.rendered
    return {
        "body": rendered.body,
        "encoding": rendered.encoding,
        "characters": rendered.characters,
        "parts": rendered.parts,
        "replaced": [r.describe() for r in rendered.replaced],
        "warnings": draft.warnings,
        "when_to_use": draft.version["when_to_use"],
        "errors": errors or {},
    }


def schedule(db, draft, form):
    """Store the text and its event; (message id, True). If this worker confirmed the
    same text to the same person moments ago, nothing is stored: (that id, False).
    The check and the insert share one write transaction, so two confirms at once
    cannot both pass it."""
    with write_transaction(db):
        repeat = messages.recent_duplicate(
            db, contact_id=draft.contact["id"], worker_id=current_user.id,
            body=draft.rendered.body, since=utc_now() - REPEAT_WINDOW)
        if repeat is not None:
            return repeat, False
        if form.number_reconfirmed.data:
            contacts.mark_number_confirmed(db, draft.contact["id"])
            events.record(db, action="contact.number_confirmed", subject_type="contact",
                          subject_id=draft.contact["id"], actor_type="user",
                          actor_id=current_user.id)
        rendered = draft.rendered
        message_id = messages.create(
            db, contact_id=draft.contact["id"], worker_id=current_user.id,
            template_version_id=draft.version["id"], body=rendered.body,
            encoding=rendered.encoding, characters=rendered.characters,
            parts=rendered.parts, warnings=draft.warnings,
            scheduled_for=draft.send_time.at, template_fields=draft.template_fields)
        events.record(db, action="message.scheduled", subject_type="message",
                      subject_id=message_id, actor_type="user", actor_id=current_user.id,
                      detail=scheduled_detail(draft))
    return message_id, True


def scheduled_detail(draft):
    """What the audit log keeps about a scheduled text: never the body or the name."""
    return {"template_version_id": draft.version["id"],
            "template_id": draft.version["template_id"],
            "version": draft.version["version"], "parts": draft.rendered.parts,
            # codes only: a warning's words can quote the name or the worker's line,
            # and the audit log can never be erased
            "warnings": [warning["code"] for warning in draft.warnings],
            "scheduled_for": draft.send_time.at.isoformat(timespec="seconds")}


@bp.app_template_filter("input_local")
def input_local(moment):
    """An aware datetime as a datetime-local input value in the service's zone."""
    return moment.astimezone(ZoneInfo(zone())).strftime("%Y-%m-%dT%H:%M") if moment else ""
