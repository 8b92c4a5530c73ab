"""Writing a repair text from a reviewed template: compose, preview, confirm, schedule.

The drafting itself (form, checks, time) lives in `web/drafting.py`, shared with
editing a scheduled text; storing it is `actions.texts.schedule_text`.
"""
from flask import (Blueprint, current_app, flash, jsonify, redirect, render_template,
                   request, url_for)
from flask_login import current_user

from actions import templates as template_workflows
from actions import texts
from sms import days, scheduling, text_language
from sms.phone import mask
from storage import repairs
from storage.connection import from_db_time

from .auth import role_required
from .caseload import visible_contacts
from .database import get_db
from .drafting import (PERSONAL_LINE_MAX, ComposeForm, build_draft, fill_choices, fingerprint,
                       input_local, next_allowed, optional_int, ready_to_schedule,
                       use_next_allowed, warnings_unseen, wanted_translation)

bp = Blueprint("compose", __name__, url_prefix="/compose")


@bp.route("/", methods=["GET", "POST"])
@role_required("worker", "reviewer", "admin")
def compose():
    db = get_db()
    form = ComposeForm()
    search = request.args.get("q", "").strip()[:80]
    if request.method == "GET":
        prefill(db, form)
        return compose_page(form, search=search)
    action = "review" if use_next_allowed(form) else request.form.get("action")
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
    return schedule(db, draft, form)


def schedule(db, draft, form):
    """Store the text (linked to its repair, if composed from one) and show where it is."""
    scheduled = texts.schedule_text(db, draft, worker_id=current_user.id,
                                    number_reconfirmed=form.number_reconfirmed.data,
                                    repair_id=optional_int(form.repair_id.data))
    flash("Your text is scheduled. You can change or cancel it until it goes."
          if scheduled.created else
          "This text was already scheduled a moment ago, so it was not scheduled "
          "again. You can change or cancel it until it goes.")
    if scheduled.repair_id:
        return redirect(url_for("repairs.show", repair_id=scheduled.repair_id))
    return redirect(url_for("messages.show", message_id=scheduled.message_id))


def prefill(db, form):
    """A link from a person's page chooses them; one from a repair (the worker's own,
    still open) also chooses its situation and links the text to it."""
    chosen = optional_int(request.args.get("contact", ""))
    repair = repairs.get(db, optional_int(request.args.get("repair", "")))
    if repair and repair["worker_id"] == current_user.id and not repair["closed_at"]:
        chosen = repair["contact_id"]
        form.situation.data = repair["situation"]
        form.repair_id.data = str(repair["id"])
        form.happened_on.data = local_date(repair["happened_at"])
    if chosen is not None:
        form.contact_id.data = chosen


def compose_page(form, draft=None, search=""):
    """The compose form, its lists filled in. Only this page shows them: the preview,
    the check step and scheduling read the chosen ids and look each one up."""
    fill_choices(get_db(), form, search)
    unavailable = [row for row in visible_contacts(get_db())
                   if row["consent_state"] != "granted"]
    return render_template(
        "compose/compose.html", form=form, draft=draft, search=search,
        cooling_off=sorted(scheduling.COOLING_OFF_SITUATIONS),
        unavailable=unavailable, personal_max=PERSONAL_LINE_MAX,
        no_contacts=len(form.contact_id.choices) <= 1 and not search
        and request.method == "GET",
        next_allowed=next_allowed(draft))


@bp.route("/preview", methods=["POST"])
@role_required("worker", "reviewer", "admin")
def preview():
    """The live preview: the same checks as sending, as JSON."""
    db = get_db()
    form = ComposeForm()
    draft = build_draft(db, form)
    errors = {name: messages_ for name, messages_ in form.errors.items() if name != "csrf_token"}
    if draft is None:
        return jsonify(body=None, errors=errors, language=language_json(form)), 200
    return jsonify(preview_json(draft, errors, form))


def language_json(form, draft=None):
    """The text's languages, or what is missing and the worker's choices."""
    plan = getattr(form, "text_plan", None)
    return {"languages": text_language.spoken(draft.languages) if draft else "",
            "problem": plan.problem if plan else "",
            "options": list(plan.options) if plan else []}


@bp.route("/ask-translation", methods=["POST"])
@role_required("worker", "reviewer", "admin")
def ask_translation():
    """"Ask a reviewer": the template has no approved version in the person's language.
    The request names the template and language only; what was typed stays on the page."""
    db = get_db()
    form = ComposeForm()
    wanted = wanted_translation(db, form)
    if wanted is None:
        return compose_page(form, draft=build_draft(db, form))
    version, languages = wanted
    asked = template_workflows.request_translation(db, version["template_id"], languages,
                                                   user_id=current_user.id)
    flash(f"Asked the reviewers for the {text_language.spoken(asked.languages)} version of "
          f"“{version['title']}”. Until one approves it, you can send another choice below."
          if asked.languages else f"“{version['title']}” is now approved in "
          f"{text_language.spoken(languages)}: Preview the text again.")
    return compose_page(form, draft=build_draft(db, form))


def preview_json(draft, errors=None, form=None):
    rendered = draft.rendered
    return {
        "body": rendered.body,
        "encoding": rendered.encoding,
        "characters": rendered.characters,
        "parts": rendered.parts,
        "replaced": [r.describe() for r in rendered.replaced],
        "warnings": draft.warnings,
        "budget": draft.budget[0],
        "budget_over": draft.budget[1],
        "when_to_use": (draft.chosen_version or draft.version)["when_to_use"],
        "day_note": draft.day_note,
        "errors": errors or {},
        "language": language_json(form, draft) if form is not None else {},
    }


def local_date(stored):
    """A stored UTC time as the date on the service's clock, for a date input."""
    return days.local_day(from_db_time(stored), current_app.config["TIMEZONE"]).isoformat()


@bp.app_template_filter("input_local")
def input_local_filter(moment):
    return input_local(moment, current_app.config["TIMEZONE"])
