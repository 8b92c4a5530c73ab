"""What a restored copy needs before it may send: how recent it is, and which texts
may have gone out in the moments the copy does not hold."""
from . import events, messages
from .connection import from_db_time, to_db_time, write_transaction


def newest_record(db):
    """When the copy's newest audit event was written (every change writes one), or None."""
    row = db.execute("SELECT at FROM events ORDER BY id DESC LIMIT 1").fetchone()
    return from_db_time(row[0]) if row else None


def texts_that_may_have_gone(db, *, due_by, due_after):
    """Texts the lost primary could have sent after the copy's moment: every text in
    `sending` (claimed, result not recorded), and every `scheduled` text due (its
    retry or window time included) by `due_by` and not before `due_after` (a text due
    earlier was already too late to send, so the dispatcher would only expire it)."""
    return [messages.decode(row) for row in db.query(
        """
        SELECT * FROM messages
        WHERE status = 'sending'
           OR (status = 'scheduled' AND scheduled_for >= ?
               AND max(scheduled_for, coalesce(next_attempt_at, scheduled_for)) <= ?)
        ORDER BY id
        """, [to_db_time(due_after), to_db_time(due_by)])]


def mark_for_lookup(db, message, *, since, reason, restored_at):
    """Back to (or left in) `scheduled`, with `ambiguous_at` = `since`: the dispatcher
    asks the provider for a text sent after `since` before it sends anything, and a
    person checks it (`unknown`) when the provider cannot be asked. A `sending` text
    loses its retry time; a scheduled one keeps its window. Returns True if it moved."""
    fields = {"ambiguous_at": to_db_time(since), "status_reason": reason}
    if message["status"] == "sending":
        fields["next_attempt_at"] = None
    with write_transaction(db):
        moved = messages.transition(db, message["id"], from_statuses=(message["status"],),
                                    to_status="scheduled", **fields)
        if moved:
            events.record(db, action="message.lookup_after_restore", subject_type="message",
                          subject_id=message["id"],
                          detail={"was": message["status"], "look_up_after": to_db_time(since),
                                  "restored_at": to_db_time(restored_at)})
    return moved


def replicas_restored_from(db):
    """The replicas (as recorded) this database was ever restored from."""
    return {row[0] for row in db.execute(
        "SELECT json_extract(detail, '$.replica') FROM events"
        " WHERE action = 'database.restored'") if row[0]}
