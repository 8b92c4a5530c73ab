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
                drafted_by=None, language="en", needs_fluent_review=False):
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
        "language": language,
        "needs_fluent_review": 1 if needs_fluent_review else 0,
        "created_at": to_db_time(utc_now()),
    })
    return table.last_pk


def get_version(db, version_id):
    rows = list(db.query("SELECT * FROM template_versions WHERE id = ?", [version_id]))
    return rows[0] if rows else None


# Approved by a reviewer in the app. Versions loaded before issue 12 were marked
# approved by a name written in a starter file; they never reach workers.
APPROVED_IN_APP = "status = 'approved' AND reviewed_by IS NOT NULL"


def usable_versions(db, language="en"):
    """The newest version in `language` of every template that is not retired and that
    a reviewer approved in the app."""
    return list(db.query(
        f"""
        SELECT v.* FROM template_versions v
        JOIN sms_templates t ON t.id = v.template_id
        WHERE t.retired_at IS NULL AND v.status = 'approved' AND v.reviewed_by IS NOT NULL
          AND v.language = :language
          AND v.version = (SELECT max(version) FROM template_versions
                           WHERE template_id = v.template_id AND language = :language
                             AND {APPROVED_IN_APP})
        ORDER BY v.situation, v.title
        """, {"language": language}
    ))


def usable_version_of(db, template_id, language="en"):
    """The version of this template workers use now in `language`, or None."""
    rows = list(db.query(
        """
        SELECT v.* FROM template_versions v JOIN sms_templates t ON t.id = v.template_id
        WHERE t.id = :template_id AND t.retired_at IS NULL AND v.language = :language
          AND v.status = 'approved' AND v.reviewed_by IS NOT NULL
        ORDER BY v.version DESC LIMIT 1
        """, {"template_id": template_id, "language": language}))
    return rows[0] if rows else None


def usable_languages(db, template_id):
    """language -> the version workers use now in it, for one template."""
    rows = db.query(
        f"""
        SELECT v.* FROM template_versions v JOIN sms_templates t ON t.id = v.template_id
        WHERE t.id = ? AND t.retired_at IS NULL AND v.status = 'approved'
          AND v.reviewed_by IS NOT NULL
          AND v.version = (SELECT max(version) FROM template_versions
                           WHERE template_id = v.template_id AND language = v.language
                             AND {APPROVED_IN_APP})
        """, [template_id])
    return {row["language"]: row for row in rows}


def is_usable(db, version_id):
    version = get_version(db, version_id)
    if version is None:
        return False
    current = usable_version_of(db, version["template_id"], version["language"])
    return current is not None and current["id"] == version_id


def latest_library_version(db, template_id, language="en"):
    """The newest version in `language` loaded from a starter file, whatever became of it."""
    rows = list(db.query(
        "SELECT * FROM template_versions WHERE template_id = ? AND source = 'library'"
        " AND language = ? ORDER BY version DESC LIMIT 1", [template_id, language]))
    return rows[0] if rows else None


def waiting_library_drafts(db):
    """Starter wording waiting for review, except translations: those wait for a
    reviewer who reads their language."""
    return list(db.query("SELECT * FROM template_versions WHERE status = 'draft'"
                         " AND source = 'library' AND needs_fluent_review = 0"
                         " ORDER BY template_id"))


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


def approved_before(db, template_id, version, language="en"):
    """The newest approved version in `language` older than `version`: what it would
    replace."""
    rows = list(db.query(
        _VERSION_WITH_NAMES + " WHERE v.template_id = ? AND v.version < ? AND v.language = ?"
        " AND v.status = 'approved' ORDER BY v.version DESC LIMIT 1",
        [template_id, version, language]))
    return rows[0] if rows else None


def pending_draft(db, template_id, language="en"):
    rows = list(db.query(
        "SELECT * FROM template_versions WHERE template_id = ? AND status = 'draft'"
        " AND language = ? ORDER BY version DESC LIMIT 1", [template_id, language]))
    return rows[0] if rows else None


def latest_in(db, template_id, language):
    """The newest version in `language`, whatever became of it, or None."""
    rows = list(db.query(
        "SELECT * FROM template_versions WHERE template_id = ? AND language = ?"
        " ORDER BY version DESC LIMIT 1", [template_id, language]))
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
                WHERE d.template_id = t.id AND d.status = 'draft') AS drafts,
               (SELECT group_concat(language) FROM (
                    SELECT DISTINCT a.language FROM template_versions a
                    WHERE a.template_id = t.id AND a.status = 'approved'
                      AND a.reviewed_by IS NOT NULL ORDER BY a.language))
                   AS approved_languages
        FROM sms_templates t
        JOIN template_versions latest ON latest.template_id = t.id
             AND latest.version = (SELECT max(version) FROM template_versions
                                   WHERE template_id = t.id)
        LEFT JOIN template_versions current ON current.template_id = t.id
             AND current.version = (SELECT max(version) FROM template_versions
                                    WHERE template_id = t.id AND language = 'en'
                                      AND {APPROVED_IN_APP})
        LEFT JOIN users reviewer ON reviewer.id = current.reviewed_by
        ORDER BY coalesce(current.title, latest.title) COLLATE NOCASE
        """
    ))


def drafts_awaiting_review(db):
    return list(db.query(_VERSION_WITH_NAMES + " WHERE v.status = 'draft' ORDER BY v.created_at"))


def create_draft(db, *, template_id, fields, authored_by, language="en"):
    """A new version written in the app; it waits for a second reviewer."""
    return add_version(db, template_id=template_id, fields=fields, source="app",
                       authored_by=authored_by, language=language)


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


def add_translation_request(db, *, template_id, language, requested_by, at):
    db.table("translation_requests").insert({
        "template_id": template_id, "language": language, "requested_by": requested_by,
        "requested_at": to_db_time(at)})
    return db.table("translation_requests").last_pk


def open_translation_requests(db):
    """Versions workers asked for that no reviewer has approved since: one row per
    template and language, with how many asked and when first."""
    return list(db.query(
        """
        SELECT r.template_id, r.language, count(*) AS asked, min(r.requested_at) AS first_asked,
               (SELECT title FROM template_versions WHERE template_id = r.template_id
                ORDER BY version DESC LIMIT 1) AS title
        FROM translation_requests r
        WHERE NOT EXISTS (
            SELECT 1 FROM template_versions v WHERE v.template_id = r.template_id
              AND v.language = r.language AND v.status = 'approved'
              AND v.reviewed_by IS NOT NULL AND v.reviewed_at >= r.requested_at)
        GROUP BY r.template_id, r.language ORDER BY first_asked
        """))
