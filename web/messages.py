"""One text's page: its timeline, and changing or cancelling it while it is scheduled."""
from flask import (Blueprint, abort, flash, jsonify, redirect, render_template, request,
                   url_for)
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from actions import texts
from sms.labels import STATUS_LABELS, action_label, actor_label
from storage import events, users
from storage.connection import from_db_time

from .auth import role_required
from .caseload import message_or_404, service
from .database import get_db
from .security import passive
from .formatting import live_fingerprint
from .drafting import (ComposeForm, build_draft, fill_choices, fingerprint, input_local,
                       next_allowed, ready_to_schedule, use_next_allowed, warnings_unseen)

bp = Blueprint("messages", __name__, url_prefix="/messages")

CANCEL_REASONS = {
    "talked_in_person": "We talked in person, so it is not needed",
    "wrong_wording": "The wording or the time was not right",
    "asked_not_to_text": "They asked not to be texted",
    "not_safe_now": "It may not be safe for them to get a text now",
    "other": "Another reason",
}
def status_label(status):
    return STATUS_LABELS.get(status, status)


GONE = "This text has already gone (or is going now), so it can no longer be changed."


class SettleForm(FlaskForm):
    outcome = SelectField("What did you find?", validators=[DataRequired("Choose what you found.")],
                          choices=[SelectChoice("", "Choose one")] + [
                              SelectChoice(code, label)
                              for code, (_, label) in texts.SETTLE_OUTCOMES.items()])


class CancelForm(FlaskForm):
    reason = SelectField("Why cancel it?", validators=[DataRequired("Choose why you are cancelling it.")],
                         choices=[SelectChoice("", "Choose a reason")] + [
                             SelectChoice(code, label) for code, label in CANCEL_REASONS.items()])
    note = TextAreaField("Anything to add (optional)", validators=[Length(max=300)])


def timeline(db, message_id):
    names = {}
    entries = []
    for event in events.for_subject(db, "message", message_id):
        actor_id = event["actor_id"]
        if event["actor_type"] == "user" and actor_id and actor_id not in names:
            row = users.get(db, actor_id)
            names[actor_id] = row["name"] if row else None
        entries.append({"at": event["at"], "label": action_label(event["action"]),
                        "who": actor_label(event["actor_type"], names.get(actor_id)),
                        "why": event["detail"].get("reason_label")
                        or event["detail"].get("reason")})
    return entries


@bp.route("/<int:message_id>")
@role_required("worker", "reviewer", "admin")
def show(message_id):
    return message_page(message_or_404(message_id))


def message_page(message, *, cancel_form=None, settle_form=None, status=200):
    """The text's page, with a refused form's errors when there is one."""
    entries = timeline(get_db(), message["id"])
    return render_template("messages/show.html", message=message, editable=editable(message),
                           timeline=entries, live_version=live_version(message, entries),
                           cancel_form=cancel_form or CancelForm(),
                           settle_form=settle_form or SettleForm()), status


def live_version(message, timeline_):
    return live_fingerprint(message["status"], message.get("status_reason"),
                            message.get("sent_at"), len(timeline_))


@bp.route("/<int:message_id>/status.json")
@role_required("worker", "reviewer", "admin")
@passive
def status(message_id):
    """The text's status and a fingerprint of its page, for the page's script to poll."""
    message = message_or_404(message_id)
    return jsonify(version=live_version(message, timeline(get_db(), message_id)),
                   status=message["status"], label=status_label(message["status"]),
                   final=message["status"] not in ("scheduled", "sending", "sent"))


@bp.route("/<int:message_id>/settle", methods=["POST"])
@role_required("worker", "reviewer", "admin")
def settle(message_id):
    """A person records what happened to a text the dispatcher could not confirm."""
    message = message_or_404(message_id)
    form = SettleForm()
    if not form.validate_on_submit():
        return message_page(message, settle_form=form, status=400)
    moved = texts.settle_unknown_text(get_db(), message_id, outcome=form.outcome.data,
                                      worker_id=current_user.id)
    flash("Recorded. Thank you for checking." if moved else
          "Someone has already recorded what happened to this text.")
    return redirect(url_for("messages.show", message_id=message_id))


@bp.route("/<int:message_id>/cancel", methods=["POST"])
@role_required("worker", "reviewer", "admin")
def cancel(message_id):
    message = message_or_404(message_id)
    form = CancelForm()
    if not form.validate_on_submit():
        return message_page(message, cancel_form=form, status=400)
    moved = texts.cancel_text(get_db(), message_id, reason=form.reason.data,
                              reason_label=CANCEL_REASONS[form.reason.data],
                              note=form.note.data, worker_id=current_user.id)
    flash("The text is cancelled. It will not be sent." if moved else
          "This text has already gone (or is going now), so it can no longer be cancelled.")
    return redirect(url_for("messages.show", message_id=message_id))


@bp.route("/<int:message_id>/edit", methods=["GET", "POST"])
@role_required("worker", "reviewer", "admin")
def edit(message_id):
    message = message_or_404(message_id)
    if message.get("purpose", "repair") != "repair":
        abort(404)  # a consent request is sent as written, or cancelled
    refusal = edit_refusal(message)
    if refusal:
        flash(refusal)
        return redirect(url_for("messages.show", message_id=message_id))
    db = get_db()
    form = edit_form(message)
    fill_choices(db, form)
    draft = None
    held_for_warnings = False
    if request.method == "POST":
        saving = use_next_allowed(form) or request.form.get("action") == "save"
        draft = build_draft(db, form, with_time=saving)  # consent re-checked
        held_for_warnings = bool(saving and draft and warnings_unseen(draft))
        if saving and ready_to_schedule(draft, form) and not held_for_warnings:
            saved = texts.reschedule_text(db, message_id, draft, worker_id=current_user.id,
                                          number_reconfirmed=form.number_reconfirmed.data)
            flash("Your changes are saved." if saved else
                  "This text has already gone (or is going now), so the change was not saved.")
            return redirect(url_for("messages.show", message_id=message_id))
    return render_template("messages/edit.html", form=form, draft=draft, message=message,
                           held_for_warnings=held_for_warnings,
                           fingerprint=fingerprint(draft.rendered.body) if draft else "",
                           next_allowed=next_allowed(draft))


def edit_form(message):
    """The compose form for this text: its saved values on GET, what was typed on POST."""
    form = ComposeForm()
    if request.method == "GET":
        fields = message["template_fields"]
        form.template_version_id.data = fields.get("chosen_version_id",
                                                   message["template_version_id"])
        form.language_choice.data = fields.get("language_choice", "")
        form.personal.data = message["template_fields"].get("personal", "")
        form.next_meeting_at.data = message["template_fields"].get("next_meeting_at", "")
        form.happened_on.data = message["template_fields"].get("happened_on", "")
        form.when.data = "at"
        form.send_at_local.data = input_local(from_db_time(message["scheduled_for"]),
                                              service().zone)
    form.contact_id.data = message["contact_id"]
    return form


def edit_refusal(message):
    if message["status"] != "scheduled":
        return GONE
    if not editable(message):
        return ("Mend has already tried to send this text once, so it can no longer be "
                "changed. Cancel it if it should not go.")
    return None


def editable(message):
    """Only a text never tried can change: after an attempt that may have reached the
    person, the look-up before any resend matches on the text that was tried."""
    return (message["status"] == "scheduled" and not message.get("attempts")
            and not message.get("ambiguous_at") and message.get("purpose", "repair") == "repair")
