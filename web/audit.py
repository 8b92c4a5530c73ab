"""The audit pages for reviewers and admins: history, one text's timeline, CSV
export, number reveals and the dashboard. Looking at any of it is itself recorded."""
from datetime import datetime, timedelta

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from actions import audit as audit_actions
from actions import maintenance
from actions.checkpoints import CheckpointSettings
from actions.history_export import csv_chunks, filter_summary
from sms.labels import (CONSENT_STATE_LABELS, INBOUND_KIND_LABELS, REVEAL_REASONS,
                        action_label, actor_label)
from sms.library import SITUATIONS
from sms.phone import display
from storage import events, history, reveals, users
from storage.connection import connect, to_db_time, utc_now

from . import audit_filters, charts, dashboard_figures
from .auth import role_required
from .database import get_db

bp = Blueprint("audit", __name__, url_prefix="/audit")

AUDITORS = ("reviewer", "admin")
LARGEST_ID = 2**63 - 1

class RevealForm(FlaskForm):
    reason = SelectField("Why do you need to see the full number?",
                         choices=[SelectChoice("", "Choose a reason")] + [
                             SelectChoice(code, label) for code, label in REVEAL_REASONS.items()],
                         validators=[DataRequired("Choose why you need to see the full number.")])
    note = TextAreaField("Note (optional)", description=(
        "Kept apart from the reason, so erasing their details removes it. Leave out "
        "anything that identifies them."), validators=[
        Length(max=300, message="Keep the note to 300 characters.")])

    def validate_note(self, field):
        if self.reason.data == "other" and not (field.data or "").strip():
            raise ValidationError("Say in the note why you need to see it.")


def record_view(action, *, subject_type="audit", subject_id=None, detail=None):
    audit_actions.record_view(get_db(), action, user_id=current_user.id,
                              subject_type=subject_type, subject_id=subject_id, detail=detail)


def page_size():
    return current_app.config["HISTORY_PAGE_SIZE"]


def validated_filters(db):
    """(form, filters) where filters is None when something typed was wrong."""
    form = audit_filters.filter_form(db, request.args)
    if not form.validate():
        return form, None
    return form, audit_filters.filters_from(form, current_app.config["TIMEZONE"])


def link_args(form, **changes):
    """The current filters as query arguments, without empty ones."""
    args = {field.name: field.data for field in form if field.data}
    args.update(changes)
    return {name: value for name, value in args.items() if value}


def filters_refused(form):
    """The history page with what was wrong in the filters, and no results (400)."""
    return render_template("audit/history.html", form=form, rows=[], next_args=None,
                           contact_name=None, link_args=link_args), 400


@bp.route("/history")
@role_required(*AUDITORS)
def history_page():
    db = get_db()
    form, filters = validated_filters(db)
    if filters is None:
        return filters_refused(form)
    before = (audit_filters.decode_page_token(form.after.data)
              if form.after.data else None)
    rows, next_key = history.page(db, filters, before=before, size=page_size())
    record_view("audit.history_viewed",
                detail={**filter_summary(filters),
                        "page": "later" if before else "first", "rows": len(rows)})
    next_args = (link_args(form, after=audit_filters.encode_page_token(next_key))
                 if next_key else None)
    return render_template(
        "audit/history.html", form=form, rows=rows, next_args=next_args,
        contact_name=(history.contact_name(db, filters.contact_id)
                      if filters.contact_id else None),
        link_args=link_args)


def streamed_csv(database_path, filters, timezone):
    """The CSV, a chunk at a time, from its own connection: the response is sent
    after the request's connection has closed, and memory stays flat."""
    db = connect(database_path)
    try:
        yield from csv_chunks(history.export_rows(db, filters), timezone)
    finally:
        db.close()


@bp.route("/history.csv")
@role_required(*AUDITORS)
def export_csv():
    db = get_db()
    form, filters = validated_filters(db)
    if filters is None:
        return filters_refused(form)
    maintenance.record_export(
        db, filter_summary=filter_summary(filters), export_format="csv", by="web",
        user_id=current_user.id,
        checkpoint_settings=CheckpointSettings.from_config(current_app.config))
    chunks = streamed_csv(current_app.config["DATABASE_PATH"], filters,
                          current_app.config["TIMEZONE"])
    filename = f"mend-history-{utc_now():%Y%m%d-%H%M}.csv"
    return Response(chunks, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def message_or_404(db, message_id):
    row = history.message(db, message_id) if message_id <= LARGEST_ID else None
    if row is None:
        abort(404)
    return row


def timeline(db, message):
    """The text's own events, the person's texts back and consent changes, in time order."""
    start = message["created_at"]
    reference = datetime.fromisoformat(message["sent_at"] or message["scheduled_for"])
    end = to_db_time(reference + timedelta(days=history.REPLY_WINDOW_DAYS))
    names = {}

    def actor_name(event):
        if event["actor_type"] == "user" and event["actor_id"] not in names:
            row = users.get(db, event["actor_id"])
            names[event["actor_id"]] = row["name"] if row else None
        return actor_label(event["actor_type"], names.get(event["actor_id"]))

    entries = [{"at": event["at"], "what": action_label(event["action"]),
                "who": actor_name(event), "reason": event["detail"].get("reason"),
                "kind": "event", "sequence": event["id"]}
               for event in events.for_subject(db, "message", message["id"])]
    entries += [{"at": row["recorded_at"],
                 "what": f"Consent changed: {CONSENT_STATE_LABELS[row['state']].lower()}",
                 "who": row["recorded_by_name"] or "Mend", "reason": None,
                 "kind": "consent", "consent": row, "sequence": row["event_id"] or 0}
                for row in history.consents_between(db, message["contact_id"], start, end)]
    entries += [{"at": row["received_at"], "what": INBOUND_KIND_LABELS[row["kind"]],
                 "who": "The person", "reason": None, "kind": "inbound", "inbound": row,
                 "sequence": 0}
                for row in history.inbound_between(db, message["contact_id"], start, end)]
    # Times are kept to the second; within one second the audit log's order decides.
    return sorted(entries, key=lambda entry: (entry["at"], entry["sequence"]))


def consent_when_sent(db, message):
    """The consent in force when the text went (or, if it never went, when it was
    last handled), ordered by the audit log, falling back to the clock."""
    message_events = events.for_subject(db, "message", message["id"])
    moment_event = next((event for event in message_events
                         if event["action"] == "message.sent"),
                        message_events[-1] if message_events else None)
    consent = (history.consent_before_event(db, message["contact_id"], moment_event["id"])
               if moment_event else None)
    return consent or history.consent_at(db, message["contact_id"],
                                         message["sent_at"] or message["scheduled_for"])


def render_message(db, message, *, form, revealed_number=None, status=200):
    return render_template(
        "audit/message.html", message=message, form=form, revealed_number=revealed_number,
        consent=consent_when_sent(db, message),
        timeline=timeline(db, message), situation=SITUATIONS.get(message["situation"]),
        reveals=reveals.for_contact(db, message["contact_id"]),
        reveal_reasons=REVEAL_REASONS), status


@bp.route("/messages/<int:message_id>")
@role_required(*AUDITORS)
def message_page(message_id):
    db = get_db()
    message = message_or_404(db, message_id)
    record_view("audit.message_viewed", subject_type="message", subject_id=message_id)
    return render_message(db, message, form=RevealForm())


@bp.route("/messages/<int:message_id>/reveal", methods=["POST"])
@role_required("admin")
def reveal_number(message_id):
    db = get_db()
    message = message_or_404(db, message_id)
    form = RevealForm()
    if not form.validate_on_submit():
        return render_message(db, message, form=form, status=400)
    audit_actions.reveal_number(db, contact_id=message["contact_id"], message_id=message_id,
                                user_id=current_user.id, reason=form.reason.data,
                                note=form.note.data or "")
    number = display(message["contact_phone"]) if message["contact_phone"] else "(erased)"
    return render_message(db, message, form=RevealForm(formdata=None),
                          revealed_number=number)


@bp.route("/dashboard")
@role_required(*AUDITORS)
def dashboard():
    db = get_db()
    figures = dashboard_figures.gather(db, now=utc_now())
    record_view("audit.dashboard_viewed")
    return render_template("audit/dashboard.html", figures=figures,
                           charts=dashboard_figures.draw(figures))


@bp.route("/charts.css")
@role_required(*AUDITORS)
def chart_stylesheet():
    response = Response(charts.stylesheet(), mimetype="text/css")
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response

