"""The team around the person: cover, handover, replies left unread, and checking a
held number in person. Views read their form, call one workflow, flash, redirect."""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import (BooleanField, RadioField, SelectChoice, SelectField, StringField,
                     TextAreaField)
from wtforms.validators import DataRequired, Length, StopValidation

from actions import cover, handover, number_hold, reply_alerts
from sms.team import parse_day
from storage import team, users

from .auth import role_required
from .caseload import contact_or_404, covering, service
from .database import get_db

bp = Blueprint("team", __name__, url_prefix="/team")

class Day:
    """A date typed or picked as YYYY-MM-DD; leaves the date on `field.day`."""

    def __init__(self, missing):
        self.missing = missing

    def __call__(self, form, field):
        if not (field.data or "").strip():
            raise StopValidation(self.missing)
        field.day = parse_day(field.data)
        if field.day is None:
            raise StopValidation("Enter a date, such as 2026-12-24.")


class CoverForm(FlaskForm):
    key_worker_id = SelectField("Whose people", coerce=int, validate_choice=True)
    cover_worker_id = SelectField("Who covers them", coerce=int, validate_choice=True)
    starts_on = StringField("First day of cover", validators=[
        Day("Enter the first day of cover."), Length(max=20)])
    ends_on = StringField("Last day of cover", validators=[
        Day("Enter the last day of cover."), Length(max=20)])


class EndCoverForm(FlaskForm):
    pass


class HandoverForm(FlaskForm):
    new_worker_id = SelectField("New key worker", coerce=int, validate_choice=True)
    scheduled = RadioField("Texts waiting to go", default=handover.RE_SIGN, choices=[
        SelectChoice(handover.RE_SIGN,
                     "Keep them: the new key worker signs them (each is checked again)"),
        SelectChoice(handover.CANCEL, "Cancel them, with a reason")],
        validators=[DataRequired("Choose what happens to the texts waiting to go.")])
    cancel_reason = TextAreaField("Why they are cancelled (if you cancel them)",
                                  validators=[Length(max=300)])
    send_notice = BooleanField("Send the reviewed \u201cI am moving on\u201d text from the "
                               "current key worker, naming the new one")


class NumberCheckedForm(FlaskForm):
    confirm = BooleanField("I checked with them in person that this number is theirs, "
                           "and that it is safe to text", validators=[DataRequired(
                               "Tick the box once you have checked the number with them "
                               "in person. Nothing has changed.")])


def worker_choices(db):
    return [SelectChoice(row["id"], row["name"]) for row in users.all_users(db)
            if row["active"] and row["role"] == "worker"]


def cover_form(db):
    form = CoverForm()
    workers = worker_choices(db)
    form.cover_worker_id.choices = [w for w in workers if w.value != current_user.id
                                    or current_user.role == "admin"]
    form.key_worker_id.choices = (workers if current_user.role == "admin" else
                                  [SelectChoice(current_user.id, current_user.name)])
    return form


def cover_page(db, form, status=200):
    today = service().today()
    mine = None if current_user.role == "admin" else current_user.id
    return render_template("team/cover.html", form=form, end_form=EndCoverForm(),
                           covers=team.covers_not_over(db, today=today, user_id=mine),
                           today=today), status


@bp.route("/cover", methods=["GET", "POST"])
@role_required("worker", "admin")
def cover_index():
    db = get_db()
    form = cover_form(db)
    if not form.validate_on_submit():
        return cover_page(db, form, 400 if form.is_submitted() else 200)
    result = cover.set_cover(db, key_worker_id=form.key_worker_id.data,
                             cover_worker_id=form.cover_worker_id.data,
                             starts_on=form.starts_on.day, ends_on=form.ends_on.day,
                             user_id=current_user.id, role=current_user.role,
                             today=service().today())
    if result.problem:
        form.ends_on.errors.append(result.problem)
        return cover_page(db, form, 400)
    flash("Cover set. During it, the cover worker sees these people, their texts and "
          "replies on their dashboard, and everything they do is recorded as them.")
    return redirect(url_for("team.cover_index"))


@bp.route("/cover/<int:cover_id>/end", methods=["POST"])
@role_required("worker", "admin")
def end_cover(cover_id):
    if not EndCoverForm().validate_on_submit():
        abort(400)
    result = cover.end_cover(get_db(), cover_id, user_id=current_user.id,
                             role=current_user.role)
    if result.cover_id is None:
        abort(404)  # not theirs to see, let alone end
    flash(result.problem or "Cover ended.")
    return redirect(url_for("team.cover_index"))


def handover_form(db, contact):
    form = HandoverForm()
    form.new_worker_id.choices = [choice for choice in worker_choices(db)
                                  if choice.value != contact["key_worker_id"]]
    return form


@bp.route("/people/<int:contact_id>/handover", methods=["GET", "POST"])
@role_required("reviewer", "admin")
def handover_person(contact_id):
    contact = contact_or_404(contact_id)
    db = get_db()
    form = handover_form(db, contact)
    if form.validate_on_submit():
        result = handover.hand_over(
            db, contact["id"], new_worker_id=form.new_worker_id.data,
            scheduled=form.scheduled.data, cancel_reason=form.cancel_reason.data or "",
            send_notice=bool(form.send_notice.data), user_id=current_user.id,
            role=current_user.role, service=service())
        if result.problem is None:
            flash(handover_notice(result))
            return redirect(url_for("contacts.show", contact_id=contact["id"]))
        form.new_worker_id.errors.append(result.problem)
    return render_template("team/handover.html", contact=contact, form=form,
                           waiting=team.scheduled_texts(db, contact["id"])), (
        400 if form.is_submitted() else 200)


def handover_notice(result):
    parts = ["Handed over."]
    if result.re_signed:
        parts.append(f"{len(result.re_signed)} waiting text(s) now signed by the new key worker.")
    if result.cancelled:
        parts.append(f"{len(result.cancelled)} waiting text(s) cancelled.")
    if result.unread:
        parts.append(f"{result.unread} unread repl(ies) moved with them.")
    if result.notice_id:
        parts.append("The moving-on text is scheduled.")
    return " ".join(parts)


@bp.route("/unread")
@role_required("reviewer", "admin")
def unread_replies():
    rules = service()
    return render_template("team/unread.html",
                           replies=reply_alerts.overdue_replies(get_db(), rules),
                           no_reader=reply_alerts.waiting_for_a_language(get_db()),
                           after_hours=rules.unread_after_hours, hours=rules.hours)


@bp.route("/people/<int:contact_id>/number-checked", methods=["POST"])
@role_required("worker", "reviewer", "admin")
def number_checked(contact_id):
    contact = contact_or_404(contact_id)
    form = NumberCheckedForm()
    if not form.validate_on_submit():
        flash(form.confirm.errors[0] if form.confirm.errors else "Please try again.")
        return redirect(url_for("contacts.show", contact_id=contact["id"], _anchor="number-held"))
    released = number_hold.lift_hold(get_db(), contact["id"], user_id=current_user.id)
    flash("Nothing to do: their number was not held." if released is None else
          "Recorded: you checked their number with them in person. Texts may go to it again"
          + (f"; {len(released)} waiting text(s) will go when their time and window allow."
             if released else "."))
    return redirect(url_for("contacts.show", contact_id=contact["id"]))


def cover_panel(db):
    """What the dashboard shows a cover worker: whose people they cover, and their
    unread texts."""
    keys = covering() if not current_user.sees_everyone else frozenset()
    return {"covering_for": [users.get(db, key) for key in sorted(keys)],
            "cover_unread": team.unread_for_key_workers(db, sorted(keys))}
