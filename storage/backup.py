"""Online backups with SQLite's backup API: a consistent copy while the app runs."""
import sqlite3
from pathlib import Path


class BackupError(RuntimeError):
    """The message says what went wrong and what to do."""


def backup(db, target_path):
    """Copy the open database `db` to a new file at `target_path` and check the copy.

    The copy is taken in one step inside a read transaction, so it is one
    consistent moment even while the web app and dispatcher keep writing (in WAL
    mode readers never block writers). The copy is left as a single file
    (journal_mode DELETE), ready to be moved elsewhere. Returns the copy's event count.
    """
    target_path = Path(target_path)
    if target_path.exists():
        raise BackupError(f"{target_path} already exists. Choose a new file name; "
                          "a backup never overwrites a file.")
    if not target_path.parent.is_dir():
        raise BackupError(f"The folder {target_path.parent} does not exist.")
    target = sqlite3.connect(str(target_path))
    try:
        db.conn.backup(target)
        target.execute("PRAGMA journal_mode = DELETE")
        check = target.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"The copy at {target_path} failed SQLite's check: {check}")
        return target.execute("SELECT count(*) FROM events").fetchone()[0]
    finally:
        target.close()
