"""Repairs: the repair, its linked texts and replies, the meetings recorded, the
worker's reflection, and the grouped counts behind the outcome ledger."""
from .connection import to_db_time, utc_now

REFLECTION_FIELDS = ("how_it_felt", "when_noticed", "how_noticed", "feelings_left")
WENT_OUT = ("sent", "delivered", "undelivered")

_SELECT = """
    SELECT repairs.*, contacts.preferred_name AS contact_name,
           contacts.erased_at AS contact_erased_at, users.name AS worker_name,
           template_versions.template_id AS template_id,
           template_versions.version AS template_version,
           template_versions.title AS template_title,
           template_versions.strategy AS strategy
    FROM repairs
    JOIN contacts ON contacts.id = repairs.contact_id
    JOIN users ON users.id = repairs.worker_id
    LEFT JOIN template_versions ON template_versions.id = repairs.template_version_id
"""


def create(db, *, contact_id, worker_id, situation, kind, happened_at, note,
           created_at=None, demo=False):
    table = db.table("repairs")
    table.insert({"contact_id": contact_id, "worker_id": worker_id, "situation": situation,
                  "kind": kind, "happened_at": to_db_time(happened_at), "note": note,
                  "created_at": to_db_time(created_at or utc_now()),
                  "demo": 1 if demo else 0})
    return table.last_pk


def get(db, repair_id):
    rows = list(db.query(_SELECT + " WHERE repairs.id = ?", [repair_id]))
    return rows[0] if rows else None


def for_worker(db, worker_id, *, open_only=False, limit=200):
    """A worker's own repairs, open ones first, newest first."""
    where = " AND repairs.closed_at IS NULL" if open_only else ""
    return list(db.query(
        _SELECT + f" WHERE repairs.worker_id = ?{where}"
        " ORDER BY repairs.closed_at IS NOT NULL, repairs.id DESC LIMIT ?",
        [worker_id, limit]))


def for_contact_and_worker(db, contact_id, worker_id):
    return list(db.query(_SELECT + " WHERE repairs.contact_id = ? AND repairs.worker_id = ?"
                         " ORDER BY repairs.closed_at IS NOT NULL, repairs.id DESC",
                         [contact_id, worker_id]))


def open_for_contact(db, contact_id):
    """The newest open repair with this person (whoever started it), or None."""
    rows = list(db.query("SELECT * FROM repairs WHERE contact_id = ? AND closed_at IS NULL"
                         " ORDER BY id DESC LIMIT 1", [contact_id]))
    return rows[0] if rows else None


def open_ids_for_contact(db, contact_id):
    return [row[0] for row in db.execute(
        "SELECT id FROM repairs WHERE contact_id = ? AND closed_at IS NULL", [contact_id])]


def meetings_due(db, worker_id, now):
    """Open repairs of this worker whose planned meeting has passed and is unanswered."""
    return list(db.query(
        _SELECT + " WHERE repairs.worker_id = ? AND repairs.closed_at IS NULL"
        " AND repairs.next_meeting_at IS NOT NULL AND repairs.next_meeting_at <= ?"
        " AND contacts.erased_at IS NULL ORDER BY repairs.next_meeting_at",
        [worker_id, to_db_time(now)]))


def update(db, repair_id, **fields):
    assignments = ", ".join(f"{name} = ?" for name in fields)
    db.execute(f"UPDATE repairs SET {assignments} WHERE id = ?", [*fields.values(), repair_id])


def close(db, repair_id, *, ending, closed_by, at=None):
    """Close an open repair; False when it was closed already."""
    cursor = db.execute(
        "UPDATE repairs SET closed_at = ?, ending = ?, closed_by = ?, next_meeting_at = NULL"
        " WHERE id = ? AND closed_at IS NULL",
        [to_db_time(at or utc_now()), ending, closed_by, repair_id])
    return cursor.rowcount == 1


def open_created_before(db, moment, limit=500):
    return [row[0] for row in db.execute(
        "SELECT id FROM repairs WHERE closed_at IS NULL AND created_at <= ? ORDER BY id"
        " LIMIT ?", [to_db_time(moment), limit])]


# --- texts and replies --------------------------------------------------------------

def link_text(db, *, repair_id, message_id, role, at=None):
    db.table("repair_texts").insert({"repair_id": repair_id, "message_id": message_id,
                                     "role": role, "linked_at": to_db_time(at or utc_now())})


def link_reply(db, *, repair_id, inbound_id, at=None):
    db.table("repair_replies").insert({"repair_id": repair_id, "inbound_id": inbound_id,
                                       "linked_at": to_db_time(at or utc_now())})


def repair_for_message(db, message_id):
    row = db.execute("SELECT repair_id FROM repair_texts WHERE message_id = ?",
                     [message_id]).fetchone()
    return row[0] if row else None


def texts(db, repair_id):
    """The texts linked to a repair, with their status and role, oldest first."""
    return list(db.query(
        """SELECT messages.*, repair_texts.role, template_versions.title AS template_title,
                  template_versions.version AS template_version
           FROM repair_texts JOIN messages ON messages.id = repair_texts.message_id
           LEFT JOIN template_versions ON template_versions.id = messages.template_version_id
           WHERE repair_texts.repair_id = ? ORDER BY messages.scheduled_for, messages.id""",
        [repair_id]))


def replies(db, repair_id):
    return list(db.query(
        """SELECT inbound_messages.* FROM repair_replies
           JOIN inbound_messages ON inbound_messages.id = repair_replies.inbound_id
           WHERE repair_replies.repair_id = ? ORDER BY inbound_messages.received_at""",
        [repair_id]))


def first_sent_at(db, repair_id):
    """When the first linked text reached the provider (or was due, if the provider's
    time is not known), or None if none has gone."""
    marks = ", ".join("?" for _ in WENT_OUT)
    row = db.execute(
        f"""SELECT min(coalesce(messages.sent_at, messages.scheduled_for))
            FROM repair_texts JOIN messages ON messages.id = repair_texts.message_id
            WHERE repair_texts.repair_id = ? AND messages.status IN ({marks})""",
        [repair_id, *WENT_OUT]).fetchone()
    return row[0]


def scheduled_follow_ups(db, repair_id):
    return [row[0] for row in db.execute(
        """SELECT messages.id FROM repair_texts JOIN messages
             ON messages.id = repair_texts.message_id
           WHERE repair_texts.repair_id = ? AND repair_texts.role = 'follow_up'
             AND messages.status = 'scheduled' ORDER BY messages.id""", [repair_id])]


def latest_text_due(db, repair_id):
    row = db.execute(
        """SELECT max(messages.scheduled_for) FROM repair_texts
           JOIN messages ON messages.id = repair_texts.message_id
           WHERE repair_texts.repair_id = ? AND messages.status != 'cancelled'""",
        [repair_id]).fetchone()
    return row[0]


def active_plans_with_failed_texts(db, limit=500):
    """Repairs whose follow-up plan is still on although one of their texts failed."""
    return [row[0] for row in db.execute(
        """SELECT DISTINCT repair_texts.repair_id FROM repair_texts
           JOIN messages ON messages.id = repair_texts.message_id
           JOIN repairs ON repairs.id = repair_texts.repair_id
           WHERE repairs.plan_status = 'active' AND messages.status IN ('failed', 'undelivered')
           LIMIT ?""", [limit])]


# --- meetings -----------------------------------------------------------------------

def record_meeting(db, *, repair_id, planned_for, outcome, recorded_by, at=None):
    table = db.table("repair_meetings")
    table.insert({"repair_id": repair_id, "planned_for": planned_for, "outcome": outcome,
                  "recorded_at": to_db_time(at or utc_now()), "recorded_by": recorded_by})
    return table.last_pk


def meetings(db, repair_id):
    return list(db.query("SELECT * FROM repair_meetings WHERE repair_id = ? ORDER BY id",
                         [repair_id]))


# --- reflections --------------------------------------------------------------------

def reflection(db, repair_id):
    rows = list(db.query("SELECT * FROM repair_reflections WHERE repair_id = ?", [repair_id]))
    return rows[0] if rows else None


def save_reflection(db, *, repair_id, worker_id, answers, at=None):
    """Write or rewrite the reflection's answers; True when it is new."""
    now = to_db_time(at or utc_now())
    existing = reflection(db, repair_id)
    if existing is None:
        db.table("repair_reflections").insert({
            "repair_id": repair_id, "worker_id": worker_id, "written_at": now,
            "updated_at": now, **{name: answers.get(name, "") for name in REFLECTION_FIELDS}})
        return True
    assignments = ", ".join(f"{name} = ?" for name in REFLECTION_FIELDS)
    db.execute(f"UPDATE repair_reflections SET {assignments}, updated_at = ?,"
               " words_removed_at = NULL WHERE repair_id = ?",
               [*(answers.get(name, "") for name in REFLECTION_FIELDS), now, repair_id])
    return False


def share_reflection(db, repair_id, *, reviewer_id, share_first_name, at=None):
    db.execute("UPDATE repair_reflections SET shared_with = ?, share_first_name = ?,"
               " shared_at = ? WHERE repair_id = ?",
               [reviewer_id, 1 if share_first_name else 0,
                to_db_time(at or utc_now()) if reviewer_id else None, repair_id])


def shared_with(db, reviewer_id, *, since, until):
    """Reflections shared with this reviewer on repairs that happened in [since, until):
    the answers, the situation and kind, and the worker's name (the caller shows the
    first name only when the worker chose to share it). No person's name or number."""
    return list(db.query(
        """SELECT repair_reflections.*, repairs.situation, repairs.kind,
                  users.name AS worker_name
           FROM repair_reflections
           JOIN repairs ON repairs.id = repair_reflections.repair_id
           JOIN users ON users.id = repair_reflections.worker_id
           WHERE repair_reflections.shared_with = ?
             AND repairs.happened_at >= ? AND repairs.happened_at < ?
           ORDER BY repairs.happened_at, repairs.id""",
        [reviewer_id, to_db_time(since), to_db_time(until)]))


# --- the ledger ---------------------------------------------------------------------

_LEDGER_COUNTS = """
    count(*) AS repairs,
    sum(texts_sent) AS texts_sent,
    sum(replied_72h) AS replied_within_72_hours,
    sum(came_14d) AS came_to_next_meeting_within_14_days,
    sum(talked) AS talked_about_what_happened,
    sum(ifnull(ending, '') = 'better') AS ended_better,
    sum(ifnull(ending, '') = 'same') AS ended_same,
    sum(ifnull(ending, '') = 'worse') AS ended_worse,
    sum(ifnull(ending, '') = 'not_sure') AS ended_not_sure,
    sum(ifnull(ending, '') = 'not_recorded') AS ended_not_recorded,
    sum(ending IS NULL) AS still_open
"""


def ledger_counts(db):
    """Per situation and template version (with its template and strategy): the counts
    of repairs and of each outcome, read from `repair_ledger` (kept by triggers on
    `repairs`); the versions are looked up afterwards (there are few)."""
    groups = list(db.query(
        """SELECT situation, template_version_id, repairs, texts_sent,
                  replied_72h AS replied_within_72_hours,
                  came_14d AS came_to_next_meeting_within_14_days,
                  talked AS talked_about_what_happened, ended_better, ended_same,
                  ended_worse, ended_not_sure, ended_not_recorded, still_open
           FROM repair_ledger WHERE repairs > 0"""))
    return _with_versions(db, groups)


def ledger_counts_recomputed(db):
    """The same counts computed afresh from `repairs` (to check the triggers' sums)."""
    groups = list(db.query(
        f"SELECT situation, ifnull(template_version_id, 0) AS template_version_id,"
        f" {_LEDGER_COUNTS} FROM repairs GROUP BY situation, template_version_id"))
    return _with_versions(db, groups)


def _with_versions(db, groups):
    versions = {row["id"]: row for row in db.query(
        "SELECT id, template_id, version, title, strategy FROM template_versions")}
    for group in groups:
        version = versions.get(group.pop("template_version_id"))
        group.update(template_id=version["template_id"] if version else None,
                     template_version=version["version"] if version else None,
                     template_title=version["title"] if version else None,
                     strategy=version["strategy"] if version else None)
    return groups


def month_patterns(db, *, since, until):
    """The month's repairs (by when they happened): counts by kind and situation, and
    by the strategy of their first text with how they went."""
    bounds = [to_db_time(since), to_db_time(until)]
    by_situation = list(db.query(
        "SELECT kind, situation, count(*) AS repairs FROM repairs"
        " WHERE happened_at >= ? AND happened_at < ? GROUP BY kind, situation", bounds))
    by_strategy = list(db.query(
        f"""SELECT template_versions.strategy AS strategy, {_LEDGER_COUNTS}
            FROM repairs LEFT JOIN template_versions
              ON template_versions.id = repairs.template_version_id
            WHERE repairs.happened_at >= ? AND repairs.happened_at < ?
            GROUP BY template_versions.strategy""", bounds))
    return by_situation, by_strategy


def has_demo_data(db):
    return db.execute("SELECT 1 FROM repairs WHERE demo = 1 LIMIT 1").fetchone() is not None


# --- erasure and retention ----------------------------------------------------------

def erase_words_for_contact(db, contact_id):
    """Erasure: the repairs' notes and reflections go; the skeleton (ids, times,
    situation, outcomes) stays so the ledger's counts stay honest."""
    db.execute("UPDATE repairs SET note = '' WHERE contact_id = ?", [contact_id])
    db.execute("DELETE FROM repair_reflections WHERE repair_id IN"
               " (SELECT id FROM repairs WHERE contact_id = ?)", [contact_id])


def remove_old_words(db, *, cutoff, text, stamp):
    """Retention: notes and reflections of repairs started before `cutoff` become
    `text`. Returns how many repairs had words removed."""
    cutoff = to_db_time(cutoff)
    stamp = to_db_time(stamp)
    changed = db.execute(
        "UPDATE repairs SET note = CASE WHEN note = '' THEN '' ELSE ? END,"
        " words_removed_at = ? WHERE words_removed_at IS NULL AND created_at < ?",
        [text, stamp, cutoff]).rowcount
    blanks = ", ".join(f"{name} = CASE WHEN {name} = '' THEN '' ELSE :text END"
                       for name in REFLECTION_FIELDS)
    db.execute(
        f"UPDATE repair_reflections SET {blanks}, words_removed_at = :stamp"
        " WHERE words_removed_at IS NULL AND repair_id IN"
        " (SELECT id FROM repairs WHERE created_at < :cutoff)",
        {"text": text, "stamp": stamp, "cutoff": cutoff})
    return changed
