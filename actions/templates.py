"""The template library: loading the starter files, writing a new version, four-eyes
review, and retiring a template."""
import re
from dataclasses import dataclass

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


def propose_version(db, fields, *, author_id, template_id=None):
    """Save a draft version (of a new template when `template_id` is None); another
    reviewer must approve it before workers can use it."""
    new_template = template_id is None
    with write_transaction(db):
        if new_template:
            template_id = unique_template_id(db, fields["title"])
        version_id = sms_templates.create_draft(db, template_id=template_id, fields=fields,
                                                authored_by=author_id)
        draft = sms_templates.get_version(db, version_id)
        events.record(db, action="template.drafted", subject_type="template_version",
                      subject_id=version_id, actor_type="user", actor_id=author_id,
                      detail={"template_id": template_id, "version": draft["version"],
                              "new_template": new_template})
    return Proposed(template_id, draft["version"])


def review_version(db, version, *, status, note, reviewer_id, reviewer_name):
    """Approve or reject a draft; False when someone else reviewed it first."""
    with write_transaction(db):
        settled = sms_templates.settle_draft(
            db, version["id"], status=status, reviewer_id=reviewer_id,
            reviewer_name=reviewer_name, note=note, at=utc_now())
        if settled:
            events.record(db, action=f"template.{status}", subject_type="template_version",
                          subject_id=version["id"], actor_type="user", actor_id=reviewer_id,
                          detail={"template_id": version["template_id"],
                                  "version": version["version"],
                                  "authored_by": version["authored_by"], "note": note})
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


def load_library(db, templates):
    """Load the starter files as versions; returns the ids of templates that changed."""
    return sms_templates.sync_library(db, templates)
