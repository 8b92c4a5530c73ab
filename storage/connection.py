"""Opening the database: one connection per request or thread, never shared."""
import contextlib
import re
import sqlite3
from datetime import datetime, timezone

import sqlite_utils
from sqlite_utils.utils import dedupe_keys

BUSY_TIMEOUT_MS = 10_000


_PLAIN_SELECT = re.compile(r"\s*SELECT\s", re.IGNORECASE)


class Database(sqlite_utils.Database):
    """sqlite-utils' Database, with a plain SELECT read without the savepoint that
    `query` wraps every statement in (three statements for one: a page makes dozens
    of reads). The savepoint lets sqlite-utils undo a statement that turns out not to
    return rows; a SELECT writes nothing, so there is nothing for it to undo."""

    def query(self, sql, params=None):
        if self._tracer or not _PLAIN_SELECT.match(sql):
            return super().query(sql, params)
        return _as_dicts(self.conn.execute(sql, params if params is not None else ()))


def _as_dicts(cursor):
    """A cursor's rows as dicts, read as they are used (as sqlite-utils' `query`)."""
    keys = dedupe_keys(column[0] for column in cursor.description)
    return (dict(zip(keys, row)) for row in cursor)


def connect(path):
    """Open `path` with foreign keys on and a busy timeout (WAL is set by migrations)."""
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000)
    db = Database(conn)
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA synchronous = NORMAL")
    # Deleted and overwritten content is zeroed, not left in free space, so an erased
    # name or number cannot be read back out of the file.
    db.execute("PRAGMA secure_delete = ON")
    return db


def checkpoint_and_truncate_wal(db):
    """Copy the WAL into the database and empty it, so old page images do not linger.

    Returns True when the whole WAL was written back (False if a reader held it).
    """
    busy, _, _ = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    return busy == 0


def checkpoint_without_waiting(db):
    """A PASSIVE checkpoint: copies what it can into the database and never waits.

    While Litestream replicates, it owns checkpointing and holds a read lock, so a
    TRUNCATE checkpoint would wait the whole busy timeout and do nothing.
    """
    db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()


@contextlib.contextmanager
def write_transaction(db):
    """A transaction that takes the write lock up front (BEGIN IMMEDIATE).

    A plain BEGIN that reads first and writes later can fail with "database is
    locked" under WAL when another writer commits in between; taking the lock at
    the start makes the busy timeout apply instead.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        raise
    else:
        db.conn.execute("COMMIT")


def select(db, sql, params=()):
    """The rows of a read, or of a write's RETURNING, as dicts, all read at once.

    For the dispatcher's claim (an UPDATE ... RETURNING inside its transaction, where
    sqlite-utils' `query` would wrap it in a savepoint of its own) and its re-checks."""
    return list(_as_dicts(db.conn.execute(sql, params)))


def ping(db):
    """Raises if the database cannot answer a trivial query."""
    db.execute("SELECT 1").fetchone()


def utc_now():
    return datetime.now(timezone.utc)


def to_db_time(moment):
    """Stored datetimes are UTC ISO 8601 strings, so they sort as text."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        raise ValueError("naive datetime given to storage")
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def from_db_time(text):
    if text is None:
        return None
    return datetime.fromisoformat(text)
