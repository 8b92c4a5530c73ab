"""Retention: after RETENTION_DAYS the words of texts and replies are removed.

Only `messages.body` (with `messages.template_fields`, the personal line and
meeting the worker typed), `inbound_messages.body`, a repair's note and reflection
(by when the repair was started) and the notes admins wrote when revealing a number
(`number_reveal_notes.note`) change. Ids, times, statuses,
template versions, the consent ledger and the audit log are kept: audit events
never hold names, numbers or bodies, so they need no redaction and their
append-only triggers no exception. Each run is itself an audit event.
"""
from dataclasses import dataclass
from datetime import timedelta

from .connection import to_db_time, utc_now, write_transaction
from .repairs import remove_old_words

BATCH_SIZE = 2000
NOT_YET_SENT = ("scheduled", "sending")


def removed_text(days):
    return f"[removed after {days} days]"


@dataclass(frozen=True)
class RetentionResult:
    cutoff: str
    messages: int
    replies: int
    repairs: int = 0


def _redact_batch(db, *, table, time_column, cutoff, text, stamp, extra="", also_clear=""):
    with write_transaction(db):
        cursor = db.execute(
            f"UPDATE {table} SET body = ?, body_removed_at = ? {also_clear}"
            f" WHERE id IN (SELECT id FROM {table}"
            f"              WHERE body_removed_at IS NULL AND {time_column} < ? {extra}"
            f"              LIMIT ?)",
            [text, stamp, cutoff, BATCH_SIZE])
    return cursor.rowcount


def _redact(db, **kwargs):
    """Redact in short transactions so the dispatcher and web app never wait long."""
    total = 0
    while True:
        changed = _redact_batch(db, **kwargs)
        total += changed
        if changed < BATCH_SIZE:
            return total


def run(db, *, days, now=None, actor_type="system", actor_id=None, trigger="scheduler"):
    """Remove the words of texts and replies older than `days`; returns the counts.

    A text still waiting to go out is never touched, however old its date.
    """
    from . import events

    now = now or utc_now()
    cutoff = to_db_time(now - timedelta(days=days))
    stamp = to_db_time(now)
    text = removed_text(days)
    statuses = ", ".join(f"'{status}'" for status in NOT_YET_SENT)
    messages = _redact(db, table="messages", time_column="scheduled_for", cutoff=cutoff,
                       text=text, stamp=stamp, extra=f"AND status NOT IN ({statuses})",
                       also_clear=", template_fields = '{}', warnings = '[]'")
    replies = _redact(db, table="inbound_messages", time_column="received_at",
                      cutoff=cutoff, text=text, stamp=stamp)
    from .reveals import remove_old_notes
    with write_transaction(db):
        repairs = remove_old_words(db, cutoff=now - timedelta(days=days), text=text,
                                   stamp=now)
        reveal_notes = remove_old_notes(db, cutoff=cutoff, text=text, stamp=stamp)
    if messages:
        from .messages import compact_search_index
        compact_search_index(db)
    events.record(db, action="retention.run", subject_type="service", actor_type=actor_type,
                  actor_id=actor_id, at=now,
                  detail={"retention_days": days, "cutoff": cutoff, "messages": messages,
                          "replies": replies, "repairs": repairs,
                          "reveal_notes": reveal_notes, "trigger": trigger})
    return RetentionResult(cutoff=cutoff, messages=messages, replies=replies, repairs=repairs)
