"""One text's page: its timeline, and changing or cancelling it while it is scheduled."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from storage import contacts, events, messages, users
from storage.connection import from_db_time, write_transaction

from .auth import role_required
from .compose import (ComposeForm, build_draft, fill_choices, fingerprint, input_local,
                      ready_to_schedule, scheduled_detail, warnings_unseen)
from .database import get_db

bp = Blueprint("messages", __name__, url_prefix="/messages")

CANCEL_REASONS = {
    "talked_in_person": "We talked in person, so it is not needed",
    "wrong_wording": "The wording or the time was not right",
    "asked_not_to_text": "They asked not to be texted",
    "not_safe_now": "It may not be safe for them to get a text now",
    "other": "Another reason",
}
EVENT_LABELS = {
    "message.scheduled": "Scheduled",
    "message.edited": "Changed",
    "message.claimed": "Picked up to send",
    "message.deferred": "Waiting for the send window",
    "message.sent": "Sent",
    "message.delivered": "Delivered",
    "message.undelivered": "Not delivered",
    "message.failed": "Failed",
    "message.cancelled": "Cancelled",
    "message.expired": "Expired: not sent late",
    "message.unknown": "Needs checking",
}


SETTLE_CHOICES = {
    "arrived": ("sent", "Checked: it did go out"),
    "not_sent": ("failed", "Checked: it did not go out"),
}


class SettleForm(FlaskForm):
    outcome = SelectField("What did you find?", validators=[DataRequired("Choose what you found.")],
                          choices=[SelectChoice("", "Choose one")] + [
                              SelectChoice(code, label) for code, (_, label) in SETTLE_CHOICES.items()])


class CancelForm(FlaskForm):
    reason = SelectField("Why cancel it?", validators=[DataRequired("Choose why you are cancelling it.")],
                         choices=[SelectChoice("", "Choose a reason")] + [
                             SelectChoice(code, label) for code, label in CANCEL_REASONS.items()])
    note = TextAreaField("Anything to add (optional)", validators=[Length(max=300)])


def message_or_404(message_id):
    message = messages.get(get_db(), message_id)
    if message is None:
        abort(404)
    if not current_user.sees_everyone and message["key_worker_id"] != current_user.id:
        abort(404)
    return message


def timeline(db, message_id):
    names = {}
    entries = []
    for event in events.for_subject(db, "message", message_id):
        who = "Mend"
        if event["actor_type"] == "user" and event["actor_id"]:
            if event["actor_id"] not in names:
                row = users.get(db, event["actor_id"])
                names[event["actor_id"]] = row["name"] if row else "A former user"
            who = names[event["actor_id"]]
        elif event["actor_type"] == "twilio":
            who = "The phone network"
        elif event["actor_type"] == "person":
            who = "The person"
        entries.append({"at": event["at"], "label": EVENT_LABELS.get(event["action"], event["action"]),
                        "who": who, "why": event["detail"].get("reason_label")
                        or event["detail"].get("reason")})
    return entries


@bp.route("/<int:message_id>")
@role_required("worker", "reviewer", "admin")
def show(message_id):
    message = message_or_404(message_id)
    return message_page(message)


def message_page(message, *, cancel_form=None, settle_form=None, status=200):
    """The text's page, with a refused form's errors when there is one."""
    return render_template("messages/show.html", message=message, editable=editable(message),
                           timeline=timeline(get_db(), message["id"]),
                           cancel_form=cancel_form or CancelForm(),
                           settle_form=settle_form or SettleForm()), status


@bp.route("/<int:message_id>/settle", methods=["POST"])
@role_required("worker", "reviewer", "admin")
def settle(message_id):
    """A person records what happened to a text the dispatcher could not confirm.

    Mend never resends on its own; if it did not go out, the worker writes a new one.
    """
    message = message_or_404(message_id)
    db = get_db()
    form = SettleForm()
    if not form.validate_on_submit():
        return message_page(message, settle_form=form, status=400)
    status, label = SETTLE_CHOICES[form.outcome.data]
    with write_transaction(db):
        moved = messages.transition(db, message_id, from_statuses=("unknown",),
                                    to_status=status, status_reason=f"{label}.")
        if moved:
            events.record(db, action=f"message.{status}", subject_type="message",
                          subject_id=message_id, actor_type="user", actor_id=current_user.id,
                          detail={"reason": form.outcome.data, "reason_label": label})
    flash("Recorded. Thank you for checking." if moved else
          "Someone has already recorded what happened to this text.")
    return redirect(url_for("messages.show", message_id=message_id))


@bp.route("/<int:message_id>/cancel", methods=["POST"])
@role_required("worker", "reviewer", "admin")
def cancel(message_id):
    message = message_or_404(message_id)
    db = get_db()
    form = CancelForm()
    if not form.validate_on_submit():
        return message_page(message, cancel_form=form, status=400)
    label = CANCEL_REASONS[form.reason.data]
    note = (form.note.data or "").strip()
    with write_transaction(db):
        moved = messages.transition(db, message_id, from_statuses=("scheduled",),
                                    to_status="cancelled",
                                    status_reason=f"{label}." + (f" {note}" if note else ""))
        if moved:
            events.record(db, action="message.cancelled", subject_type="message",
                          subject_id=message_id, actor_type="user", actor_id=current_user.id,
                          detail={"reason": form.reason.data, "reason_label": label})
    flash("The text is cancelled. It will not be sent." if moved else
          "This text has already gone (or is going now), so it can no longer be cancelled.")
    return redirect(url_for("messages.show", message_id=message_id))


@bp.route("/<int:message_id>/edit", methods=["GET", "POST"])
@role_required("worker", "reviewer", "admin")
def edit(message_id):
    message = message_or_404(message_id)
    if message.get("purpose", "repair") != "repair":
        abort(404)  # a consent request is sent as written, or cancelled
    if message["status"] != "scheduled":
        flash("This text has already gone (or is going now), so it can no longer be changed.")
        return redirect(url_for("messages.show", message_id=message_id))
    if not editable(message):
        flash("Mend has already tried to send this text once, so it can no longer be "
              "changed. Cancel it if it should not go.")
        return redirect(url_for("messages.show", message_id=message_id))
    db = get_db()
    form = ComposeForm()
    if request.method == "GET":
        form.template_version_id.data = message["template_version_id"]
        form.personal.data = message["template_fields"].get("personal", "")
        form.next_meeting_at.data = message["template_fields"].get("next_meeting_at", "")
        form.when.data = "at"
        form.send_at_local.data = input_local(from_db_time(message["scheduled_for"]))
    form.contact_id.data = message["contact_id"]
    fill_choices(db, form)
    draft = None
    held_for_warnings = False
    if request.method == "POST":
        if request.form.get("use_next_allowed"):
            form.when.data = "at"
            form.send_at_local.data = request.form["use_next_allowed"]
        saving = request.form.get("action") == "save" or request.form.get("use_next_allowed")
        draft = build_draft(db, form, with_time=bool(saving))  # consent re-checked
        held_for_warnings = bool(saving and draft and warnings_unseen(draft))
        if saving and ready_to_schedule(draft, form) and not held_for_warnings:
            return save_edit(db, message_id, draft, form)
    return render_template("messages/edit.html", form=form, draft=draft, message=message,
                           held_for_warnings=held_for_warnings,
                           fingerprint=fingerprint(draft.rendered.body) if draft else "",
                           next_allowed=draft.send_time.next_allowed
                           if draft and draft.send_time else None)


def editable(message):
    """Only a text never tried can change: after an attempt that may have reached the
    person, the look-up before any resend matches on the text that was tried."""
    return (message["status"] == "scheduled" and not message.get("attempts")
            and not message.get("ambiguous_at") and message.get("purpose", "repair") == "repair")


def save_edit(db, message_id, draft, form):
    rendered = draft.rendered
    with write_transaction(db):
        if form.number_reconfirmed.data:
            contacts.mark_number_confirmed(db, draft.contact["id"])
            events.record(db, action="contact.number_confirmed", subject_type="contact",
                          subject_id=draft.contact["id"], actor_type="user",
                          actor_id=current_user.id)
        saved = messages.update_scheduled(
            db, message_id, template_version_id=draft.version["id"], body=rendered.body,
            encoding=rendered.encoding, characters=rendered.characters, parts=rendered.parts,
            warnings=draft.warnings, scheduled_for=draft.send_time.at,
            template_fields=draft.template_fields)
        if saved:
            events.record(db, action="message.edited", subject_type="message",
                          subject_id=message_id, actor_type="user", actor_id=current_user.id,
                          detail=scheduled_detail(draft))
    flash("Your changes are saved." if saved else
          "This text has already gone (or is going now), so the change was not saved.")
    return redirect(url_for("messages.show", message_id=message_id))
