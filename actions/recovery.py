"""Surviving the loss of the machine: restoring the replica into a new database file,
checking it, and preparing it so that it never texts anyone twice.

A restored copy is a little behind the machine that was lost: a text claimed or sent
in its last moments may look `scheduled` (or `sending`) again. So every such text is
treated like a send that timed out: the dispatcher asks the provider whether it
already went before sending it, and a person checks it (`unknown`) when the provider
cannot be asked.
"""
import urllib.parse
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from storage import checkpoints as checkpoint_files
from storage import events, migrations, recovery, replication
from storage.connection import connect, from_db_time, to_db_time, utc_now, write_transaction

from . import checkpoints

ReplicationError = replication.ReplicationError
# Covers clocks that disagree a little and event times kept to the second. The
# look-up costs one question to the provider, so the margin errs wide.
RESTORE_MARGIN = timedelta(minutes=2)
DEFAULT_STALE_AFTER = timedelta(seconds=7200)  # STALE_AFTER_SECONDS' default
LOOKUP_REASON = ("Restored from the replica: Mend asks the provider whether it already "
                 "went before sending it.")


@dataclass(frozen=True)
class MarkedAfterRestore:
    copy_moment: object  # datetime of the copy's newest event, or None
    marked: list


@dataclass
class Restored:
    path: Path
    integrity: str = ""
    events_in_copy: int = 0
    copy_moment: object = None
    record: checkpoints.RecordCheck | None = None
    marked: list = field(default_factory=list)
    migrations_applied: list = field(default_factory=list)
    checkpoint: checkpoints.Taken | None = None
    problem: str | None = None  # why the copy is not ready to run

    @property
    def ready(self):
        return self.problem is None


def replica_name(replica_url):
    """The replica without its query (endpoint options), for the audit log."""
    parts = urllib.parse.urlsplit(replica_url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def _look_up_after(message, copy_moment, now, margin):
    """The earliest moment the lost primary could have sent it."""
    candidates = [(copy_moment or now) - margin]
    if message["status"] == "sending" and message.get("claimed_at"):
        candidates.append(from_db_time(message["claimed_at"]) - margin)
    if message.get("ambiguous_at"):
        candidates.append(from_db_time(message["ambiguous_at"]))
    return min(candidates)


def mark_texts_after_restore(db, *, now=None, margin=RESTORE_MARGIN,
                             stale_after=DEFAULT_STALE_AFTER):
    """Mark every text the lost machine may have sent after the copy's moment to be
    looked up at the provider before it is sent: all in `sending`, and every
    `scheduled` text due by now, unless it was already too late to send at the copy's
    moment (due more than `stale_after`, STALE_AFTER_SECONDS, before it). One
    transaction, an audit event per text."""
    now = now or utc_now()
    with write_transaction(db):
        copy_moment = recovery.newest_record(db)
        too_late_before = (copy_moment or now) - stale_after - margin
        marked = []
        for message in recovery.texts_that_may_have_gone(db, due_by=now + margin,
                                                         due_after=too_late_before):
            since = _look_up_after(message, copy_moment, now, margin)
            if recovery.mark_for_lookup(db, message, since=since, reason=LOOKUP_REASON,
                                        restored_at=now):
                marked.append(message["id"])
    return MarkedAfterRestore(copy_moment=copy_moment, marked=marked)


def restore_replica(replica_url, output_path, *, timestamp=None, checkpoint_settings=None,
                    now=None, prepare=True, stale_after=DEFAULT_STALE_AFTER):
    """Restore the replica (its newest state, or the one at `timestamp`) into the new
    file `output_path`, check it (`integrity_check`, the audit chain and checkpoints),
    and prepare it: migrations, texts to look up before sending, the restore in the
    audit log, a signed checkpoint. Returns Restored; `problem` says why a copy that
    failed a check was left unprepared. Raises ReplicationError if nothing was restored.
    """
    path = replication.restore(replica_url, output_path, timestamp=timestamp)
    db = connect(path)
    try:
        restored = _check(db, Restored(path=Path(path)), checkpoint_settings)
        if not restored.ready or not prepare:
            return restored
        return _prepare(db, restored, replica_url=replica_url, timestamp=timestamp,
                        settings=checkpoint_settings, now=now or utc_now(),
                        stale_after=stale_after)
    finally:
        db.close()


def _check(db, restored, settings):
    restored.integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
    if restored.integrity != "ok":
        restored.problem = f"SQLite's integrity check failed: {restored.integrity}"
        return restored
    restored.events_in_copy = checkpoint_files.chain_head(db)[0]
    restored.record = checkpoints.verify(db, settings, restoring_count=restored.events_in_copy)
    if not restored.record.intact:
        chain = restored.record.chain
        restored.problem = "The audit log in the copy does not check out: " + (
            chain.problem or (restored.record.problems or [
                "the triggers that refuse edits and deletes are missing ("
                + ", ".join(chain.missing_triggers) + ")"])[0])
    restored.copy_moment = recovery.newest_record(db)
    return restored


def _prepare(db, restored, *, replica_url, timestamp, settings, now, stale_after):
    restored.migrations_applied = migrations.pending_migrations(db)
    migrations.upgrade(db)
    with write_transaction(db):
        marked = mark_texts_after_restore(db, now=now, stale_after=stale_after)
        events.record(db, action="database.restored", subject_type="service", detail={
            "replica": replica_name(replica_url),
            "timestamp": to_db_time(timestamp) if timestamp else None,
            "copy_moment": to_db_time(marked.copy_moment) if marked.copy_moment else None,
            "events_in_copy": restored.events_in_copy,
            "marked_for_lookup": len(marked.marked),
            "migrations_applied": len(restored.migrations_applied)})
    restored.marked = marked.marked
    if settings is not None:
        chain = restored.record.chain  # just checked in full: sign on from its head
        restored.checkpoint = checkpoints.take(db, settings, kind="restore",
                                               restored_count=restored.events_in_copy,
                                               checked_head=(chain.count, chain.head_hash))
    return restored


def replication_problem(db, replica_url):
    """Why this database must not replicate to `replica_url`, or None.

    A copy restored from a replica must replicate somewhere new: sending it back into
    the replica it came from could mix two histories in one place.
    """
    if replica_name(replica_url) in recovery.replicas_restored_from(db):
        return (f"This database was restored from {replica_name(replica_url)}. Replicate it "
                "to a new location (set REPLICA_URL to a new folder or path), and keep the "
                "old replica until you no longer need it.")
    return None
