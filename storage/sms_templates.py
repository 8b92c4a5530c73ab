"""Reviewed SMS templates and their versions."""
from .connection import to_db_time, utc_now


def ensure_template(db, template_id):
    db.table("sms_templates").insert(
        {"id": template_id, "created_at": to_db_time(utc_now())}, ignore=True)


def latest_version(db, template_id):
    rows = list(db.query(
        "SELECT * FROM template_versions WHERE template_id = ? ORDER BY version DESC LIMIT 1",
        [template_id]))
    return rows[0] if rows else None


def add_version(db, *, template_id, fields, status, source, source_hash=None,
                authored_by=None, reviewed_by=None, reviewed_by_name=None, reviewed_on=None):
    ensure_template(db, template_id)
    previous = latest_version(db, template_id)
    table = db.table("template_versions")
    table.insert({
        "template_id": template_id,
        "version": (previous["version"] + 1) if previous else 1,
        "title": fields["title"],
        "situation": fields["situation"],
        "strategy": fields["strategy"],
        "when_to_use": fields["when_to_use"],
        "body": fields["body"],
        "notes": fields.get("notes", ""),
        "status": status,
        "source": source,
        "source_hash": source_hash,
        "authored_by": authored_by,
        "reviewed_by": reviewed_by,
        "reviewed_by_name": reviewed_by_name,
        "reviewed_on": reviewed_on,
        "created_at": to_db_time(utc_now()),
    })
    return table.last_pk


def get_version(db, version_id):
    rows = list(db.query("SELECT * FROM template_versions WHERE id = ?", [version_id]))
    return rows[0] if rows else None


def usable_versions(db):
    """The newest approved version of every template that is not retired."""
    return list(db.query(
        """
        SELECT v.* FROM template_versions v
        JOIN sms_templates t ON t.id = v.template_id
        WHERE t.retired_at IS NULL AND v.status = 'approved'
          AND v.version = (SELECT max(version) FROM template_versions
                           WHERE template_id = v.template_id AND status = 'approved')
        ORDER BY v.situation, v.title
        """
    ))


def is_usable(db, version_id):
    return any(v["id"] == version_id for v in usable_versions(db))


def sync_library(db, templates):
    """Load reviewed library templates as approved versions.

    An unchanged file adds nothing; a changed file becomes the next version.
    Returns the ids of templates that got a new version.
    """
    from . import events
    from .connection import write_transaction

    changed = []
    with write_transaction(db):
        for fields in templates:
            previous = list(db.query(
                "SELECT source_hash FROM template_versions WHERE template_id = ?"
                " AND source = 'library' ORDER BY version DESC LIMIT 1", [fields["id"]]))
            if previous and previous[0]["source_hash"] == fields["source_hash"]:
                continue
            version_id = add_version(
                db, template_id=fields["id"], fields=fields, status="approved",
                source="library", source_hash=fields["source_hash"],
                reviewed_by_name=fields["reviewed_by"], reviewed_on=fields["reviewed_on"])
            events.record(db, action="template.loaded", subject_type="template_version",
                          subject_id=version_id,
                          detail={"template_id": fields["id"],
                                  "reviewed_by": fields["reviewed_by"]})
            changed.append(fields["id"])
    return changed
