"""The template library: loading the starter files, writing a new version, four-eyes
review, and retiring a template."""
import re
from dataclasses import dataclass

from sms.languages import LANGUAGES
from sms.text_language import cannot_review
from storage import events, sms_templates
from storage.connection import utc_now, write_transaction


@dataclass(frozen=True)
class Proposed:
    template_id: str
    version: int


def unique_template_id(db, title):
    base = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "template"
    candidate, number = base, 2
    while sms_templates.template_id_taken(db, candidate):
        candidate, number = f"{base}-{number}", number + 1
    return candidate


def propose_version(db, fields, *, author_id, template_id=None, language="en"):
    """Save a draft version (of a new template when `template_id` is None) in
    `language`; another reviewer who reads that language must approve it before
    workers can use it."""
    if language not in LANGUAGES:
        raise ValueError(f"Mend has no language {language!r}")
    new_template = template_id is None
    with write_transaction(db):
        if new_template:
            template_id = unique_template_id(db, fields["title"])
        version_id = sms_templates.create_draft(db, template_id=template_id, fields=fields,
                                                authored_by=author_id, language=language)
        draft = sms_templates.get_version(db, version_id)
        events.record(db, action="template.drafted", subject_type="template_version",
                      subject_id=version_id, actor_type="user", actor_id=author_id,
                      detail={"template_id": template_id, "version": draft["version"],
                              "new_template": new_template, "language": language})
    return Proposed(template_id, draft["version"])


class NotTheirLanguage(PermissionError):
    """A reviewer tried to settle a version in a language their account does not have."""


def review_version(db, version, *, status, note, reviewer_id, reviewer_name, demo=False,
                   reviewer_languages=None):
    """Approve or reject a draft; False when someone else reviewed it first.

    With `reviewer_languages` (the account's codes), a version in a language the
    reviewer does not read raises NotTheirLanguage; the database refuses such an
    approval in any case (trigger `template_versions_reviewer_reads_language`)."""
    language = version.get("language") or "en"
    if reviewer_languages is not None and cannot_review(reviewer_languages, language):
        raise NotTheirLanguage(cannot_review(reviewer_languages, language))
    with write_transaction(db):
        settled = sms_templates.settle_draft(
            db, version["id"], status=status, reviewer_id=reviewer_id,
            reviewer_name=reviewer_name, note=note, at=utc_now())
        if settled:
            events.record(db, action=f"template.{status}", subject_type="template_version",
                          subject_id=version["id"], actor_type="user", actor_id=reviewer_id,
                          detail={"template_id": version["template_id"],
                                  "version": version["version"],
                                  "authored_by": version["authored_by"], "note": note,
                                  "language": language,
                                  **({"demo": True} if demo else {})})
    return bool(settled)


def retire_template(db, template_id, *, reason, user_id):
    """Workers can no longer choose it; texts already sent keep their record. False
    when it was already retired."""
    with write_transaction(db):
        latest = sms_templates.versions_of(db, template_id)[0]
        retired = sms_templates.retire(db, template_id, retired_by=user_id, reason=reason,
                                       at=utc_now())
        if retired:
            events.record(db, action="template.retired", subject_type="template_version",
                          subject_id=latest["id"], actor_type="user", actor_id=user_id,
                          detail={"template_id": template_id, "reason": reason})
    return bool(retired)


@dataclass(frozen=True)
class LibraryLoad:
    """What `templates load` did: ids proposed for review, unchanged, or held back
    because a version of that template is already waiting for review."""
    proposed: tuple = ()
    unchanged: tuple = ()
    waiting: tuple = ()


def load_library(db, templates):
    """Propose the starter files' wording for review; never approve, never replace.

    A file unchanged since it was last loaded adds nothing. A new or changed file
    becomes a draft version waiting for a reviewer of this service, so an approved
    version stays in use until a reviewer approves the new one. A template with a
    version already waiting is left alone until that one is approved or rejected.

    A translation (`language` other than "en", from `templates_sms/<lang>/`) is a
    version of the same template in that language, marked "needs review by a fluent
    reviewer": only a reviewer whose account has that language can approve it, and
    the demo reviewer never approves it.
    """
    proposed, unchanged, waiting = [], [], []
    with write_transaction(db):
        for fields in templates:
            language = fields.get("language") or "en"
            label = fields["id"] if language == "en" else f"{fields['id']} ({language})"
            previous = sms_templates.latest_library_version(db, fields["id"], language)
            if previous and previous["source_hash"] == fields["source_hash"]:
                unchanged.append(label)
                continue
            if sms_templates.pending_draft(db, fields["id"], language) is not None:
                waiting.append(label)
                continue
            fluent = bool(fields.get("needs_fluent_review")) or language != "en"
            version_id = sms_templates.add_version(
                db, template_id=fields["id"], fields=fields, source="library",
                source_hash=fields["source_hash"], drafted_by=fields["drafted_by"],
                language=language, needs_fluent_review=fluent)
            version = sms_templates.get_version(db, version_id)
            events.record(db, action="template.proposed", subject_type="template_version",
                          subject_id=version_id,
                          detail={"template_id": fields["id"], "version": version["version"],
                                  "source_hash": fields["source_hash"], "language": language,
                                  **({"needs_fluent_review": True} if fluent else {})})
            proposed.append(label)
    return LibraryLoad(tuple(proposed), tuple(unchanged), tuple(waiting))


DEMO_APPROVAL_NOTE = "Approved for the demo (make run), not reviewed by a service."


def approve_starters_for_demo(db, *, reviewer):
    """In a demo database, the demo reviewer approves the starter wording waiting for
    review, saying so. Returns how many were approved; 0 unless `reviewer` is a demo
    account."""
    if not reviewer or not reviewer["demo"] or reviewer["role"] != "reviewer":
        return 0
    approved = 0
    with write_transaction(db):
        for version in sms_templates.waiting_library_drafts(db):
            approved += review_version(db, version, status="approved",
                                       note=DEMO_APPROVAL_NOTE, reviewer_id=reviewer["id"],
                                       reviewer_name=reviewer["name"], demo=True)
    return approved


@dataclass(frozen=True)
class TranslationRequested:
    template_id: str
    languages: tuple = ()  # asked for; a language approved meanwhile is left out


def request_translation(db, template_id, languages, *, user_id):
    """A worker asks the reviewers for this template in `languages` (the request names
    no person). One request and one audit event per language still missing."""
    unknown = [code for code in languages if code not in LANGUAGES or code == "en"]
    if unknown:
        raise ValueError(f"no translation into {unknown!r}")
    asked = []
    with write_transaction(db):
        for language in languages:
            if sms_templates.usable_version_of(db, template_id, language) is not None:
                continue
            request_id = sms_templates.add_translation_request(
                db, template_id=template_id, language=language, requested_by=user_id,
                at=utc_now())
            events.record(db, action="template.translation_requested",
                          subject_type="translation_request", subject_id=request_id,
                          actor_type="user", actor_id=user_id,
                          detail={"template_id": template_id, "language": language})
            asked.append(language)
    return TranslationRequested(template_id, tuple(asked))
