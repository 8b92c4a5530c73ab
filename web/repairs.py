"""The repair journey: start a repair, reflect, text, plan and answer the next meeting,
a follow-up plan, close it; and what the service learns (the outcome ledger and the
reviewers' reflective-practice page).

A worker sees only their own repairs and reflections (404 for anyone else's); a
reviewer sees a reflection only when it was shared with them, without names.
"""
import functools
from datetime import timedelta

from flask import (Blueprint, Response, abort, current_app, flash, redirect, render_template,
                   request, url_for)
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import (BooleanField, RadioField, SelectChoice, SelectField, StringField,
                     TextAreaField)
from wtforms.validators import AnyOf, DataRequired, Length

from actions import repairs as workflows
from sms import repairs as rules
from sms import scheduling
from sms.labels import INBOUND_KIND_LABELS, action_label, actor_label
from storage import events, repairs, users
from storage.connection import from_db_time, to_db_time, utc_now

from . import charts
from .auth import role_required
from .caseload import contact_or_404, service, visible_contacts
from .database import get_db
from .drafting import optional_int

bp = Blueprint("repairs", __name__, url_prefix="/repairs")
STAFF = ("worker", "reviewer", "admin")
LONGEST_AGO = timedelta(days=90)


@bp.app_template_filter("situation_label")
def situation_label(slug):
    return rules.SITUATIONS.get(slug, slug)


@bp.app_template_global("meeting_outcome_choices")
def meeting_outcome_choices():
    return list(rules.MEETING_OUTCOMES.items())


class StartForm(FlaskForm):
    contact_id = SelectField("Who is it with?", coerce=optional_int, validate_choice=False,
                             validators=[DataRequired("Choose who the repair is with.")])
    situation = SelectField("What happened?", validators=[DataRequired(
        "Choose what happened.")], choices=[SelectChoice("", "Choose one")] + [
        SelectChoice(slug, label) for slug, label in rules.situation_choices()])
    happened_at = StringField("When did it happen?", validators=[Length(max=40)])
    note = TextAreaField("A short factual note (optional, private to you)", validators=[
        Length(max=rules.NOTE_MAX, message=f"Keep the note to {rules.NOTE_MAX} characters.")])


class ReflectionForm(FlaskForm):
    how_it_felt = TextAreaField(rules.REFLECTION_QUESTIONS["how_it_felt"])
    when_noticed = TextAreaField(rules.REFLECTION_QUESTIONS["when_noticed"])
    how_noticed = TextAreaField(rules.REFLECTION_QUESTIONS["how_noticed"])
    feelings_left = TextAreaField(rules.REFLECTION_QUESTIONS["feelings_left"])

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        for name in rules.REFLECTION_QUESTIONS:
            if len(self[name].data or "") > rules.REFLECTION_MAX:
                self[name].errors.append(
                    f"Keep each answer to {rules.REFLECTION_MAX} characters.")
                ok = False
        return ok


class ShareForm(FlaskForm):
    reviewer_id = SelectField("Share it with", coerce=optional_int, validate_choice=False)
    share_first_name = BooleanField("Show them my first name")


class MeetingForm(FlaskForm):
    meeting_at = StringField("When do you expect to meet next?", validators=[
        DataRequired("Choose the date and time you expect to meet."), Length(max=40)])


class MetForm(FlaskForm):
    outcome = RadioField("What happened?", validate_choice=False, choices=[
        SelectChoice(key, label) for key, label in rules.MEETING_OUTCOMES.items()],
        validators=[DataRequired("Choose what happened."),
                    AnyOf(list(rules.MEETING_OUTCOMES), message="Choose what happened.")])
    new_time = StringField("The new time, if you rearranged", validators=[Length(max=40)])
    back_to = StringField(validators=[Length(max=20)])


class PlanForm(FlaskForm):
    template_version_id = SelectField("Template", coerce=optional_int, validate_choice=False,
                                      validators=[DataRequired("Choose a template.")])
    first_days = SelectField("First text", coerce=optional_int, default=rules.DEFAULT_FIRST_GAP,
                             choices=[SelectChoice(k, v) for k, v in rules.FIRST_GAPS.items()],
                             validate_choice=False)
    second_days = SelectField("Second text", coerce=optional_int,
                              default=rules.DEFAULT_SECOND_GAP,
                              choices=[SelectChoice(k, v) for k, v in rules.SECOND_GAPS.items()],
                              validate_choice=False)


class CloseForm(FlaskForm):
    ending = RadioField("How does the relationship feel now?", validate_choice=False, choices=[
        SelectChoice(key, rules.ENDINGS[key]) for key in rules.WORKER_ENDINGS], validators=[
        DataRequired("Choose how the relationship feels now."),
        AnyOf(rules.WORKER_ENDINGS, message="Choose how the relationship feels now.")])


class ButtonForm(FlaskForm):
    pass


def repair_or_404(repair_id):
    """One of the current user's own repairs; anyone else's is not found."""
    repair = repairs.get(get_db(), repair_id)
    if repair is None or repair["worker_id"] != current_user.id:
        abort(404)
    return repair


def typed_time(field, *, earliest, latest, problem):
    """A datetime-local field as UTC within [earliest, latest], or None with an error."""
    moment = scheduling.parse_local(field.data, service().zone)
    if moment is None or not earliest <= moment <= latest:
        field.errors = [*field.errors, problem]
        return None
    return moment


def timeline(db, repair):
    """The repair's steps (audit events) with its texts and replies, in time order."""
    names = {}

    def who(event):
        if event["actor_type"] == "user" and event["actor_id"] not in names:
            row = users.get(db, event["actor_id"])
            names[event["actor_id"]] = row["name"] if row else None
        return actor_label(event["actor_type"], names.get(event["actor_id"]))

    steps = events.for_subject(db, "repair", repair["id"])
    # A text or reply sits just after the step that linked it when the clock ties.
    linked = {(e["action"], e["detail"].get("message_id") or e["detail"].get("inbound_id")):
              e["id"] for e in steps}
    entries = [{"at": e["at"], "kind": "event", "what": action_label(e["action"]),
                "who": who(e), "detail": e["detail"], "order": e["id"]} for e in steps]
    entries += [{"at": m["sent_at"] or m["scheduled_for"], "kind": "text", "item": m,
                 "order": linked.get(("repair.text_linked", m["id"]), 0) + 0.5}
                for m in repairs.texts(db, repair["id"])]
    entries += [{"at": r["received_at"], "kind": "reply", "item": r,
                 "what": INBOUND_KIND_LABELS[r["kind"]],
                 "order": linked.get(("repair.reply_linked", r["id"]), 0) + 0.5}
                for r in repairs.replies(db, repair["id"])]
    return sorted(entries, key=lambda e: (from_db_time(e["at"]), e["order"]))


def render_repair(repair, status=200, **forms):
    db = get_db()
    defaults = {"meeting_form": MeetingForm(formdata=None), "met_form": MetForm(formdata=None),
                "plan_form": plan_form(formdata=None), "close_form": CloseForm(formdata=None),
                "button_form": ButtonForm(formdata=None)}
    return render_template(
        "repairs/show.html", repair=repair, timeline=timeline(db, repair),
        texts=repairs.texts(db, repair["id"]), reflection=repairs.reflection(db, repair["id"]),
        meetings=repairs.meetings(db, repair["id"]), rules=rules,
        now_iso=to_db_time(utc_now()),
        question=rules.meeting_question(repair["contact_name"],
                                        from_db_time(repair["next_meeting_at"]), utc_now(),
                                        service().zone) if repair["next_meeting_at"] else None,
        **{**defaults, **forms}), status


def plan_form(**kwargs):
    form = PlanForm(**kwargs)
    form.template_version_id.choices = [SelectChoice("", "Choose a template")] + [
        SelectChoice(v["id"], v["title"]) for v in workflows.follow_up_versions(get_db())]
    return form


def start_form(chosen=None):
    form = StartForm()
    form.contact_id.choices = [SelectChoice("", "Choose a person")] + [
        SelectChoice(row["id"], row["preferred_name"]) for row in visible_contacts(get_db())]
    if request.method == "GET":
        form.contact_id.data = chosen
        form.situation.data = request.args.get("situation", "")
    return form


@bp.route("/")
@role_required(*STAFF)
def index():
    return render_template("repairs/index.html",
                           rows=repairs.for_worker(get_db(), current_user.id), rules=rules)


def happened_time(form):
    """When it happened: now when left empty; None (with an error) when unreadable."""
    if not (form.happened_at.data or "").strip():
        return utc_now()
    now = utc_now()
    return typed_time(form.happened_at, earliest=now - LONGEST_AGO,
                      latest=now + timedelta(minutes=5),
                      problem="Give when it happened: a date and time in the last 90 days.")


@bp.route("/new", methods=["GET", "POST"])
@role_required(*STAFF)
def new():
    form = start_form(optional_int(request.args.get("contact", "")))
    valid = form.validate_on_submit()
    happened = happened_time(form) if valid else None
    if happened is None:
        return render_template("repairs/new.html", form=form), 400 if form.errors else 200
    contact = contact_or_404(form.contact_id.data)
    repair_id = workflows.start_repair(
        get_db(), contact_id=contact["id"], worker_id=current_user.id,
        situation=form.situation.data, happened_at=happened, note=form.note.data or "")
    flash("Repair started. Take a moment to reflect, then reach out when it feels right.")
    return redirect(url_for("repairs.show", repair_id=repair_id))


@bp.route("/<int:repair_id>")
@role_required(*STAFF)
def show(repair_id):
    return render_repair(repair_or_404(repair_id))


@bp.route("/<int:repair_id>/reflection", methods=["GET", "POST"])
@role_required(*STAFF)
def reflection(repair_id):
    repair = repair_or_404(repair_id)
    db = get_db()
    saved = repairs.reflection(db, repair_id)
    form = ReflectionForm(data=saved if request.method == "GET" and saved else None)
    share = share_form(saved, formdata=None)
    if form.validate_on_submit():
        done = workflows.reflect(db, repair, answers=form.data, worker_id=current_user.id)
        if done.done:
            flash("Your reflection is saved. It is private to you unless you share it.")
            return redirect(url_for("repairs.reflection", repair_id=repair_id))
        form.how_it_felt.errors.append(done.problem)
    return render_template("repairs/reflection.html", repair=repair, form=form,
                           share=share, saved=saved), 400 if form.errors else 200


def share_form(saved, **kwargs):
    form = ShareForm(**kwargs)
    form.reviewer_id.choices = [SelectChoice("", "No one (keep it private)")] + [
        SelectChoice(row["id"], row["name"])
        for row in workflows.reviewers_to_share_with(get_db(), current_user.id)]
    if saved and kwargs.get("formdata", True) is None:
        form.reviewer_id.data = saved["shared_with"]
        form.share_first_name.data = bool(saved["share_first_name"])
    return form


@bp.route("/<int:repair_id>/share", methods=["POST"])
@role_required(*STAFF)
def share(repair_id):
    repair = repair_or_404(repair_id)
    db = get_db()
    form = share_form(None)
    if form.validate_on_submit():
        done = workflows.share_reflection(
            db, repair, reviewer_id=form.reviewer_id.data, worker_id=current_user.id,
            share_first_name=bool(form.share_first_name.data))
        if done.done:
            flash("Shared for supervision." if form.reviewer_id.data else
                  "Your reflection is private to you.")
            return redirect(url_for("repairs.reflection", repair_id=repair_id))
        form.reviewer_id.errors = [done.problem]
    saved = repairs.reflection(db, repair_id)
    return render_template("repairs/reflection.html", repair=repair, saved=saved,
                           form=ReflectionForm(formdata=None, data=saved or None),
                           share=form), 400


@bp.route("/<int:repair_id>/meeting", methods=["POST"])
@role_required(*STAFF)
def meeting(repair_id):
    repair = repair_or_404(repair_id)
    form = MeetingForm()
    now = utc_now()
    at = typed_time(form.meeting_at, earliest=now - rules.MEETING_RANGE,
                    latest=now + rules.MEETING_RANGE,
                    problem="Choose a date and time within 60 days of today."
                    ) if form.validate_on_submit() else None
    if at is None or repair["closed_at"]:
        return render_repair(repair, 400, meeting_form=form)
    workflows.plan_meeting(get_db(), repair, at=at, worker_id=current_user.id)
    flash("Next meeting saved. Mend will ask how it went afterwards.")
    return redirect(url_for("repairs.show", repair_id=repair_id))


def new_meeting_time(form):
    """The rearranged time, if one was typed (None, with an error, when unreadable)."""
    if not (form.new_time.data or "").strip():
        return None
    now = utc_now()
    return typed_time(form.new_time, earliest=now - timedelta(days=1),
                      latest=now + rules.MEETING_RANGE,
                      problem="Give the new time: a date and time in the next 60 days.")


@bp.route("/<int:repair_id>/met", methods=["POST"])
@role_required(*STAFF)
def met(repair_id):
    repair = repair_or_404(repair_id)
    form = MetForm()
    valid = form.validate_on_submit() and not repair["closed_at"]
    new_time = new_meeting_time(form) if valid else None
    done = None
    if valid and not form.new_time.errors:
        done = workflows.record_meeting(get_db(), repair, outcome=form.outcome.data,
                                        new_time=new_time, worker_id=current_user.id)
        if not done.done:
            form.new_time.errors = [done.problem]
    if done is None or not done.done:
        return render_repair(repair, 400, met_form=form)
    flash("Thank you: recorded." + (" The follow-up texts were cancelled."
                                    if done.cancelled else ""))
    if form.back_to.data == "dashboard":
        return redirect(url_for("dashboard.index"))
    return redirect(url_for("repairs.show", repair_id=repair_id))


@bp.route("/<int:repair_id>/plan", methods=["POST"])
@role_required(*STAFF)
def plan(repair_id):
    repair = repair_or_404(repair_id)
    form = plan_form()
    done = workflows.set_plan(
        get_db(), repair, version_id=form.template_version_id.data,
        first_days=form.first_days.data, second_days=form.second_days.data or 0,
        worker_id=current_user.id, worker_first_name=current_user.first_name,
        service=service()) if form.validate_on_submit() and gaps_ok(form) else None
    if done is None or not done.done:
        if done is not None:
            form.template_version_id.errors = [done.problem]
        return render_repair(repair, 400, plan_form=form)
    flash("Follow-up texts scheduled. A reply, a STOP, a failed text, a meeting or "
          "closing the repair cancels what is left of them.")
    return redirect(url_for("repairs.show", repair_id=repair_id))


def gaps_ok(form):
    ok = (form.first_days.data in rules.FIRST_GAPS
          and (form.second_days.data or 0) in rules.SECOND_GAPS)
    if not ok:
        form.first_days.errors = ["Choose when the follow-up texts go from the list."]
    return ok


@bp.route("/<int:repair_id>/plan/cancel", methods=["POST"])
@role_required(*STAFF)
def cancel_plan(repair_id):
    repair = repair_or_404(repair_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    done = workflows.cancel_plan(get_db(), repair, worker_id=current_user.id)
    flash(f"Follow-up plan stopped; {len(done.cancelled)} text(s) cancelled." if done.done
          else "There was no follow-up plan to stop.")
    return redirect(url_for("repairs.show", repair_id=repair_id))


@bp.route("/<int:repair_id>/close", methods=["POST"])
@role_required(*STAFF)
def close(repair_id):
    repair = repair_or_404(repair_id)
    form = CloseForm()
    if not form.validate_on_submit():
        return render_repair(repair, 400, close_form=form)
    done = workflows.close_repair(get_db(), repair, ending=form.ending.data,
                                  worker_id=current_user.id)
    flash("Repair closed. Thank you for recording how it went." if done.done
          else done.problem)
    return redirect(url_for("repairs.show", repair_id=repair_id))


# --- what the service learns ---------------------------------------------------------

def ledger_chart(rows):
    """The chart of the rows with figures; drawn once per set of figures (pygal takes
    longer than the query), since the same figures always make the same chart."""
    shown = tuple((f"{row.situation_label} · {row.template_title or 'no text'}"
                   + (f" v{row.template_version}" if row.template_version else ""),
                   tuple((round(100 * row.measures[key].rate, 1),
                          round(100 * row.measures[key].low, 1),
                          round(100 * row.measures[key].high, 1)) for key, _ in rules.CHARTED))
                  for row in rows if not row.suppressed)
    return _drawn_chart(shown) if shown else None


@functools.lru_cache(maxsize=16)
def _drawn_chart(shown):
    labels = [label for label, _ in shown]
    series = [(name, [{"value": figures[index][0],
                       "ci": {"low": figures[index][1], "high": figures[index][2]}}
                      for _, figures in shown])
              for index, (_, name) in enumerate(rules.CHARTED)]
    chart = charts.bar("Outcomes per situation and template (with 95% intervals)", labels,
                       series, horizontal=True, percent=True)
    return charts.to_inline_svg(chart, "Bar chart of the outcome rates with their 95% "
                                       "intervals; the same figures are in the table.")


@bp.route("/ledger")
@role_required("reviewer", "admin")
def ledger():
    db = get_db()
    rows = workflows.ledger(db)
    workflows.record_ledger_view(db, user_id=current_user.id)
    return render_template("repairs/ledger.html", rows=rows, rules=rules,
                           chart=ledger_chart(rows), demo=repairs.has_demo_data(db))


@bp.route("/ledger.csv")
@role_required("reviewer", "admin")
def ledger_export():
    db = get_db()
    body = workflows.ledger_csv(workflows.ledger(db))
    workflows.record_ledger_view(db, user_id=current_user.id, export_format="csv")
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="mend-ledger-{utc_now():%Y%m%d}.csv"'})


@bp.route("/practice")
@role_required("reviewer")
def practice():
    month = request.args.get("month", "")[:7] or f"{utc_now():%Y-%m}"
    try:
        workflows.month_bounds(month)
    except ValueError:
        flash("Choose a month like 2026-11.")
        month = f"{utc_now():%Y-%m}"
    page = workflows.reflective_practice(get_db(), reviewer_id=current_user.id, month=month)
    return render_template("repairs/practice.html", page=page, rules=rules,
                           timezone=current_app.config["TIMEZONE"])
