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


def add_version(db, *, template_id, fields, source, source_hash=None, authored_by=None,
                drafted_by=None):
    """A new draft version; only a reviewer in the app approves it (`settle_draft`)."""
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
        "status": "draft",
        "source": source,
        "source_hash": source_hash,
        "authored_by": authored_by,
        "drafted_by": drafted_by,
        "created_at": to_db_time(utc_now()),
    })
    return table.last_pk


def get_version(db, version_id):
    rows = list(db.query("SELECT * FROM template_versions WHERE id = ?", [version_id]))
    return rows[0] if rows else None


# Approved by a reviewer in the app. Versions loaded before issue 12 were marked
# approved by a name written in a starter file; they never reach workers.
APPROVED_IN_APP = "status = 'approved' AND reviewed_by IS NOT NULL"


def usable_versions(db):
    """The newest version of every template that is not retired and that a reviewer
    approved in the app."""
    return list(db.query(
        f"""
        SELECT v.* FROM template_versions v
        JOIN sms_templates t ON t.id = v.template_id
        WHERE t.retired_at IS NULL AND v.status = 'approved' AND v.reviewed_by IS NOT NULL
          AND v.version = (SELECT max(version) FROM template_versions
                           WHERE template_id = v.template_id AND {APPROVED_IN_APP})
        ORDER BY v.situation, v.title
        """
    ))


def usable_version_of(db, template_id):
    """The version of this template workers use now, or None."""
    return next((v for v in usable_versions(db) if v["template_id"] == template_id), None)


def is_usable(db, version_id):
    return any(v["id"] == version_id for v in usable_versions(db))


def latest_library_version(db, template_id):
    """The newest version loaded from a starter file, whatever became of it."""
    rows = list(db.query(
        "SELECT * FROM template_versions WHERE template_id = ? AND source = 'library'"
        " ORDER BY version DESC LIMIT 1", [template_id]))
    return rows[0] if rows else None


def waiting_library_drafts(db):
    return list(db.query("SELECT * FROM template_versions WHERE status = 'draft'"
                         " AND source = 'library' ORDER BY template_id"))


def get_template(db, template_id):
    rows = list(db.query("SELECT * FROM sms_templates WHERE id = ?", [template_id]))
    return rows[0] if rows else None


_VERSION_WITH_NAMES = """
    SELECT v.*, author.name AS authored_by_name,
           coalesce(reviewer.name, v.reviewed_by_name) AS reviewer_name,
           reviewer.demo AS reviewer_is_demo
    FROM template_versions v
    LEFT JOIN users author ON author.id = v.authored_by
    LEFT JOIN users reviewer ON reviewer.id = v.reviewed_by
"""


def versions_of(db, template_id):
    """Every version of a template, newest first, with who wrote and reviewed it."""
    return list(db.query(_VERSION_WITH_NAMES + " WHERE v.template_id = ? ORDER BY v.version DESC",
                         [template_id]))


def version_by_number(db, template_id, version):
    rows = list(db.query(_VERSION_WITH_NAMES + " WHERE v.template_id = ? AND v.version = ?",
                         [template_id, version]))
    return rows[0] if rows else None


def approved_before(db, template_id, version):
    """The newest approved version older than `version`: what it would replace."""
    rows = list(db.query(
        _VERSION_WITH_NAMES + " WHERE v.template_id = ? AND v.version < ?"
        " AND v.status = 'approved' ORDER BY v.version DESC LIMIT 1", [template_id, version]))
    return rows[0] if rows else None


def pending_draft(db, template_id):
    rows = list(db.query(
        "SELECT * FROM template_versions WHERE template_id = ? AND status = 'draft'"
        " ORDER BY version DESC LIMIT 1", [template_id]))
    return rows[0] if rows else None


def library_listing(db):
    """Every template with its current approved version (if any) and review state."""
    return list(db.query(
        f"""
        SELECT t.id AS template_id, t.retired_at, t.retired_reason,
               current.id AS version_id, current.version, current.title, current.situation,
               current.strategy, current.when_to_use, current.body, current.source,
               current.reviewed_on, current.reviewed_at,
               coalesce(reviewer.name, current.reviewed_by_name) AS reviewer_name,
               reviewer.demo AS reviewer_is_demo,
               latest.title AS latest_title, latest.situation AS latest_situation,
               (SELECT count(*) FROM template_versions d
                WHERE d.template_id = t.id AND d.status = 'draft') AS drafts
        FROM sms_templates t
        JOIN template_versions latest ON latest.template_id = t.id
             AND latest.version = (SELECT max(version) FROM template_versions
                                   WHERE template_id = t.id)
        LEFT JOIN template_versions current ON current.template_id = t.id
             AND current.version = (SELECT max(version) FROM template_versions
                                    WHERE template_id = t.id AND {APPROVED_IN_APP})
        LEFT JOIN users reviewer ON reviewer.id = current.reviewed_by
        ORDER BY coalesce(current.title, latest.title) COLLATE NOCASE
        """
    ))


def drafts_awaiting_review(db):
    return list(db.query(_VERSION_WITH_NAMES + " WHERE v.status = 'draft' ORDER BY v.created_at"))


def create_draft(db, *, template_id, fields, authored_by):
    """A new version written in the app; it waits for a second reviewer."""
    return add_version(db, template_id=template_id, fields=fields, source="app",
                       authored_by=authored_by)


def settle_draft(db, version_id, *, status, reviewer_id, reviewer_name, note, at):
    """Approve or reject a draft. False if it was no longer a draft (someone else was first).

    The database itself refuses approval by the version's author.
    """
    if status not in ("approved", "rejected"):
        raise ValueError(f"a draft is approved or rejected, not {status!r}")
    cursor = db.execute(
        "UPDATE template_versions SET status = ?, reviewed_by = ?, reviewed_by_name = ?,"
        " reviewed_on = ?, reviewed_at = ?, review_note = ?"
        " WHERE id = ? AND status = 'draft'",
        [status, reviewer_id, reviewer_name, at.date().isoformat(), to_db_time(at), note,
         version_id])
    return cursor.rowcount == 1


def retire(db, template_id, *, retired_by, reason, at):
    """Take a template out of use. False if it was already retired."""
    cursor = db.execute(
        "UPDATE sms_templates SET retired_at = ?, retired_by = ?, retired_reason = ?"
        " WHERE id = ? AND retired_at IS NULL",
        [to_db_time(at), retired_by, reason, template_id])
    return cursor.rowcount == 1


def template_id_taken(db, template_id):
    return get_template(db, template_id) is not None
