"""Looking after the service: record an export, back up the database, run retention."""
from dataclasses import dataclass

from storage import backup as backups
from storage import events, retention

from . import checkpoints

BackupError = backups.BackupError


@dataclass(frozen=True)
class Backup:
    path: str
    events_in_copy: int
    event_id: int


def record_export(db, *, filter_summary, export_format="csv", by="command line",
                  user_id=None, checkpoint_settings=None):
    """Record that the history was exported, with its filters (never the words searched
    for: `filter_summary` says only which filters were used), then sign a checkpoint
    of the audit log's head when checkpoints are on. Returns the event id."""
    event_id = events.record(db, action="audit.exported", subject_type="audit",
                             actor_type="user" if user_id else "system", actor_id=user_id,
                             detail={**filter_summary, "format": export_format, "by": by})
    if checkpoint_settings is not None:
        checkpoints.take(db, checkpoint_settings, kind="export")
    return event_id


def back_up_database(db, target_path, *, by="command line"):
    """Copy the database to a new file with SQLite's backup API, then record it.

    Raises BackupError (with a message for a person) if the file exists, its folder
    does not, or the copy fails SQLite's check; nothing is recorded then.
    """
    count = backups.backup(db, target_path)
    event_id = events.record(db, action="database.backed_up", subject_type="service",
                             detail={"events_in_copy": count, "by": by})
    return Backup(path=str(target_path), events_in_copy=count, event_id=event_id)


def run_retention(db, *, days, trigger="command line", now=None):
    """Remove the words of texts and replies older than `days` (never a text still to
    go out); the run is an audit event with its counts. Returns a RetentionResult."""
    return retention.run(db, days=days, trigger=trigger, now=now)
