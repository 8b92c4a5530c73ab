"""Admins' number reveals: the reason (a code from a short list) in an append-only
ledger, and the admin's optional note apart from it, so erasure and retention can
blank the note (free text in an append-only table could never be erased)."""
from .connection import to_db_time, utc_now, write_transaction


def record(db, *, contact_id, message_id, revealed_by, reason, note=""):
    """Returns the reveal's id; the audit event names it, never the note."""
    from . import events

    with write_transaction(db):
        table = db.table("number_reveals")
        table.insert({"contact_id": contact_id, "message_id": message_id,
                      "revealed_by": revealed_by, "reason": reason,
                      "revealed_at": to_db_time(utc_now())})
        reveal_id = table.last_pk
        if note:
            db.table("number_reveal_notes").insert(
                {"reveal_id": reveal_id, "contact_id": contact_id, "note": note})
        events.record(db, action="contact.number_revealed", subject_type="contact",
                      subject_id=contact_id, actor_type="user", actor_id=revealed_by,
                      detail={"message_id": message_id, "reveal_id": reveal_id,
                              "reason": reason})
    return reveal_id


def for_contact(db, contact_id):
    return list(db.query(
        "SELECT r.*, users.name AS revealed_by_name, n.note, n.erased_at AS note_erased_at"
        " FROM number_reveals r JOIN users ON users.id = r.revealed_by"
        " LEFT JOIN number_reveal_notes n ON n.reveal_id = r.id"
        " WHERE r.contact_id = ? ORDER BY r.id", [contact_id]))


def erase_notes(db, contact_id, *, at):
    db.execute("UPDATE number_reveal_notes SET note = '', erased_at = ? WHERE contact_id = ?",
               [to_db_time(at), contact_id])


def remove_old_notes(db, *, cutoff, text, stamp):
    """Retention: notes on reveals older than `cutoff` become `text`; returns how many."""
    return db.execute(
        "UPDATE number_reveal_notes SET note = ?, erased_at = ? WHERE erased_at IS NULL"
        " AND reveal_id IN (SELECT id FROM number_reveals WHERE revealed_at < ?)",
        [text, stamp, cutoff]).rowcount
