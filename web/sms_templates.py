"""The template library: reading it, writing new versions, and four-eyes review.

Everyone may read the approved library. Only reviewers (clinical leads) write,
approve, reject and retire: the wording is a clinical decision, so admins read but
do not approve. A version is approved by a reviewer who did not write it.
"""
import difflib
import re

from flask import (Blueprint, abort, current_app, flash, redirect, render_template,
                   request, url_for)
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from sms.languages import LANGUAGES, name_of, parse_codes
from sms.library import SITUATIONS, STRATEGIES, body_findings, typical_render
from sms.rendering import PLACEHOLDERS, BadTemplate, is_old_format
from sms.text_language import cannot_review, reads
from actions import templates as workflows
from storage import sms_templates

from .auth import role_required
from .database import get_db

bp = Blueprint("sms_templates", __name__, url_prefix="/templates")

EVERYONE = ("worker", "reviewer", "admin")
SEES_DRAFTS = ("reviewer", "admin")
STATUS_LABELS = {"approved": "Approved", "draft": "Waiting for review", "rejected": "Rejected"}
DIFFED_FIELDS = (("title", "Title"), ("situation", "Situation"), ("strategy", "Strategy"),
                 ("when_to_use", "When to use it"), ("body", "Text"))


class TemplateForm(FlaskForm):
    title = StringField("Title", validators=[
        DataRequired("Give the template a short title."),
        Length(max=80, message="Keep the title under 80 characters.")])
    situation = SelectField("Situation", choices=[SelectChoice("", "Choose a situation")]
                            + [SelectChoice(slug, label) for slug, label in SITUATIONS.items()],
                            validators=[DataRequired("Choose the situation it is for.")])
    strategy = SelectField("What the text does", choices=[SelectChoice("", "Choose one")]
                           + [SelectChoice(name, name.capitalize()) for name in STRATEGIES],
                           validators=[DataRequired("Choose what the text does.")])
    when_to_use = TextAreaField(
        "When to use it", description="One or two sentences shown to workers.",
        validators=[DataRequired("Say when to use it, in a sentence or two."),
                    Length(max=300, message="Keep this under 300 characters.")])
    body = TextAreaField("Text", validators=[
        DataRequired("Write the text."),
        Length(max=1000, message="Keep the text under 1000 characters.")])
    notes = TextAreaField("Notes for reviewers (optional)",
                          description="Why it is worded this way, or what changed.",
                          validators=[Length(max=1000, message="Keep notes under 1000 "
                                                               "characters.")])


class ReviewForm(FlaskForm):
    decision = RadioField("Your decision", choices=[
        SelectChoice("approve", "Approve: workers can use it straight away"),
        SelectChoice("reject", "Reject: it goes back to its author")],
        validators=[DataRequired("Choose approve or reject.")])
    note = TextAreaField("Note for the author", validators=[
        Length(max=1000, message="Keep the note under 1000 characters.")])


class RetireForm(FlaskForm):
    reason = TextAreaField("Why retire it?", validators=[
        DataRequired("Say why it is being retired, for the history."),
        Length(max=500, message="Keep the reason under 500 characters.")])


def sees_drafts():
    return current_user.role in SEES_DRAFTS


def template_or_404(template_id):
    template = sms_templates.get_template(get_db(), template_id)
    if template is None:
        abort(404)
    return template


def version_or_404(template_id, number):
    """A version the current user may see: workers see approved versions only."""
    version = sms_templates.version_by_number(get_db(), template_id, number)
    if version is None or (version["status"] != "approved" and not sees_drafts()):
        abort(404)
    return version


def example(body, *, service_allowed):
    try:
        return typical_render(body, service_name=current_app.config["SERVICE_NAME"],
                              service_allowed=service_allowed)
    except BadTemplate:
        return None


def waiting_for_review(db):
    """Drafts a reviewer or admin may read: (starter wording, drafts written here), each
    with what it would replace."""
    if not sees_drafts():
        return [], []
    drafts = []
    for draft in sms_templates.drafts_awaiting_review(db):
        current = sms_templates.approved_before(db, draft["template_id"], draft["version"],
                                                draft["language"])
        drafts.append({**draft, "replaces": current["version"] if current and
                       current["reviewed_by"] else None})
    return ([d for d in drafts if d["source"] == "library"],
            [d for d in drafts if d["source"] != "library"])


def findings_for(body, situation=None, language="en"):
    """The checks a version must pass, in its own language (`sms.checks` keeps a list
    per language; where it has none, a finding says the reviewer's approval is the
    check)."""
    return body_findings(body, service_name=current_app.config["SERVICE_NAME"],
                         situation=situation, language=language)


@bp.route("/")
@role_required(*EVERYONE)
def library():
    db = get_db()
    listing = sms_templates.library_listing(db)
    in_use = [row for row in listing if row["version_id"] and not row["retired_at"]]
    starters, drafts = waiting_for_review(db)
    return render_template(
        "sms_templates/library.html", starters=starters, drafts=drafts,
        groups=[(label, [row for row in in_use if row["situation"] == slug])
                for slug, label in SITUATIONS.items()],
        examples={row["version_id"]: example(row["body"], service_allowed=False)
                  for row in in_use}, any_in_use=bool(in_use),
        waiting_examples={d["id"]: example(d["body"], service_allowed=False)
                          for d in starters + drafts},
        checks={d["id"]: findings_for(d["body"], d["situation"], d["language"])
                for d in starters + drafts},
        retired=[row for row in listing if row["retired_at"]], situations=SITUATIONS,
        asked_for=sms_templates.open_translation_requests(db) if sees_drafts() else [],
        in_language_order=lambda text: [code for code in LANGUAGES if code in parse_codes(text)])


@bp.route("/<template_id>")
@role_required(*EVERYONE)
def history(template_id):
    template = template_or_404(template_id)
    versions = [version for version in sms_templates.versions_of(get_db(), template_id)
                if sees_drafts() or version["status"] == "approved"]
    if not versions:
        abort(404)
    return render_template("sms_templates/history.html", template=template,
                           versions=versions, retire_form=RetireForm(),
                           status_labels=STATUS_LABELS, situations=SITUATIONS)


def show_version(template_id, number, *, review_form=None, status=200):
    template = template_or_404(template_id)
    version = version_or_404(template_id, number)
    previous = sms_templates.approved_before(get_db(), template_id, number, version["language"])
    return render_template(
        "sms_templates/version.html", template=template, version=version, previous=previous,
        changes=field_changes(previous, version) if previous else [],
        examples=[example(version["body"], service_allowed=allowed) for allowed in (False, True)],
        checks=findings_for(version["body"], version["situation"], version["language"])
        if version["status"] == "draft" else [],
        in_use=sms_templates.usable_version_of(get_db(), template_id, version["language"]),
        review_form=review_form or ReviewForm(), status_labels=STATUS_LABELS,
        situations=SITUATIONS, language_refusal=cannot_review(current_user.languages,
                                                              version["language"])), status


@bp.route("/<template_id>/v<int:number>")
@role_required(*EVERYONE)
def version(template_id, number):
    return show_version(template_id, number)


def findings_as_errors(form, language="en"):
    """The checks a template must pass, as errors on the text field. True if any."""
    for finding in findings_for(form.body.data, form.situation.data, language):
        form.body.errors.append(finding.message)
    return bool(form.body.errors)


def form_fields(form):
    return {name: (getattr(form, name).data or "").strip()
            for name in ("title", "situation", "strategy", "when_to_use", "body", "notes")}


def render_form(form, *, template=None, status=200, language="en"):
    english = (sms_templates.usable_version_of(get_db(), template["id"])
               if template and language != "en" else None)
    return render_template("sms_templates/form.html", form=form, template=template,
                           placeholders=PLACEHOLDERS, old_format=is_old_format(
                               form.body.data or ""), language=language,
                           english=english), status


def chosen_language():
    """The language of the version being written (`?language=cy`); English by default."""
    language = request.args.get("language", "en")
    if language not in LANGUAGES:
        abort(404)
    return language


def language_refused(form, language):
    """Only someone who reads a language writes a version in it. True if refused."""
    if not reads(current_user.languages, language):
        form.body.errors.append(
            f"{name_of(language)} is not on your account, so you cannot write a version "
            f"in it. A reviewer who reads {name_of(language)} writes it; an admin can add "
            "the language to an account under Accounts.")
    return bool(form.body.errors)


def starting_point(db, template_id, language):
    """What the form starts from: the newest version in this language, or for a first
    version in it the English one's details with the text left for the translator."""
    latest = sms_templates.latest_in(db, template_id, language)
    base = latest or sms_templates.latest_in(db, template_id, "en") or \
        sms_templates.versions_of(db, template_id)[0]
    data = {name: base[name] for name in ("title", "situation", "strategy", "when_to_use")}
    data["body"] = base["body"] if latest else ""
    return data


def save_draft(fields, *, template_id=None, language="en"):
    proposed = workflows.propose_version(get_db(), fields, author_id=current_user.id,
                                         template_id=template_id, language=language)
    flash(f"Version {proposed.version} of “{fields['title']}” is saved as a draft. Another "
          "reviewer must approve it before workers can use it.")
    return redirect(url_for("sms_templates.version", template_id=proposed.template_id,
                            number=proposed.version))


@bp.route("/new", methods=["GET", "POST"])
@role_required("reviewer")
def new_template():
    form = TemplateForm()
    if not form.validate_on_submit() or findings_as_errors(form):
        return render_form(form, status=400 if request.method == "POST" else 200)
    return save_draft(form_fields(form))


@bp.route("/<template_id>/new-version", methods=["GET", "POST"])
@role_required("reviewer")
def new_version(template_id):
    template, language = template_or_404(template_id), chosen_language()
    db = get_db()
    if template["retired_at"]:
        flash("This template is retired, so it cannot have a new version.")
        return redirect(url_for("sms_templates.history", template_id=template_id))
    draft = sms_templates.pending_draft(db, template_id, language)
    if draft is not None:
        in_language = "" if language == "en" else f" ({name_of(language)})"
        flash(f"Version {draft['version']}{in_language} is waiting for review. It needs "
              "approving or rejecting before anyone writes another version.")
        return redirect(url_for("sms_templates.version", template_id=template_id,
                                number=draft["version"]))
    form = TemplateForm(data=starting_point(db, template_id, language))
    if (not form.validate_on_submit() or findings_as_errors(form, language)
            or language_refused(form, language)):
        return render_form(form, template=template, language=language,
                           status=400 if request.method == "POST" else 200)
    return save_draft(form_fields(form), template_id=template_id, language=language)


@bp.route("/<template_id>/v<int:number>/review", methods=["POST"])
@role_required("reviewer")
def review(template_id, number):
    version = version_or_404(template_id, number)
    form = ReviewForm()
    if version["status"] != "draft":
        flash(f"Version {number} was already {version['status']}; nothing changed.")
        return redirect(url_for("sms_templates.version", template_id=template_id, number=number))
    refusal = cannot_review(current_user.languages, version["language"])
    if refusal:
        form.decision.errors = [refusal]
        return show_version(template_id, number, review_form=form, status=403)
    if version["authored_by"] == current_user.id:
        form.decision.errors = [
            "You wrote this version, so you cannot approve or reject it. Another reviewer "
            "must read it: four eyes on every text that goes out."]
        return show_version(template_id, number, review_form=form, status=403)
    if not form.validate_on_submit() or not decision_is_complete(form, version):
        return show_version(template_id, number, review_form=form, status=400)
    status = "approved" if form.decision.data == "approve" else "rejected"
    settle(version, status, (form.note.data or "").strip())
    return redirect(url_for("sms_templates.version", template_id=template_id, number=number))


def decision_is_complete(form, version):
    """A rejection says why; an approval needs the text to pass every check today."""
    if form.decision.data == "reject" and not (form.note.data or "").strip():
        form.note.errors.append("Say why it is rejected, so the author knows what to change.")
    if form.decision.data == "approve":
        for finding in findings_for(version["body"], version["situation"],
                                    version["language"]):
            form.decision.errors.append(f"It cannot be approved: {finding.message}")
    return not (form.note.errors or form.decision.errors)


def settle(version, status, note):
    settled = workflows.review_version(get_db(), version, status=status, note=note,
                                       reviewer_id=current_user.id,
                                       reviewer_name=current_user.name,
                                       reviewer_languages=current_user.languages)
    if not settled:
        flash(f"Version {version['version']} was reviewed by someone else first; "
              "nothing changed.")
    elif status == "approved":
        flash(f"Approved version {version['version']} of “{version['title']}”. Workers "
              "can use it now.")
    else:
        flash(f"Rejected version {version['version']} of “{version['title']}”. Workers "
              "will not see it.")


@bp.route("/<template_id>/retire", methods=["POST"])
@role_required("reviewer")
def retire(template_id):
    template = template_or_404(template_id)
    form = RetireForm()
    db = get_db()
    if not form.validate_on_submit():
        versions = sms_templates.versions_of(db, template_id)
        return render_template("sms_templates/history.html", template=template,
                               versions=versions, retire_form=form,
                               status_labels=STATUS_LABELS, situations=SITUATIONS), 400
    title = sms_templates.versions_of(db, template_id)[0]["title"]
    retired = workflows.retire_template(db, template_id, reason=form.reason.data.strip(),
                                        user_id=current_user.id)
    flash(f"Retired “{title}”. Workers can no longer choose it; texts already "
          "sent keep their record." if retired else "This template was already retired.")
    return redirect(url_for("sms_templates.library"))


def word_diff(old, new):
    """[(kind, text)] with kind 'same', 'removed' or 'added', word by word."""
    before = [word for word in re.split(r"(\s+)", old or "") if word]
    after = [word for word in re.split(r"(\s+)", new or "") if word]
    segments = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            segments.append(("same", "".join(before[i1:i2])))
            continue
        if i2 > i1:
            segments.append(("removed", "".join(before[i1:i2])))
        if j2 > j1:
            segments.append(("added", "".join(after[j1:j2])))
    return segments


def field_changes(previous, version):
    """The fields that differ from `previous`, each as a word diff; the text always."""
    changes = []
    for name, label in DIFFED_FIELDS:
        old, new = previous[name] or "", version[name] or ""
        if name == "situation":
            old, new = SITUATIONS.get(old, old), SITUATIONS.get(new, new)
        if old != new or name == "body":
            changes.append({"label": label, "changed": old != new,
                            "segments": word_diff(old, new)})
    return changes
