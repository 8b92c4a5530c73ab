"""One database connection per request, on `g` (the flaskr pattern).

Each serving thread keeps its connection from one request to the next: opening one
reads and parses the whole schema (its tables, indexes and triggers), about 2 ms,
more than most pages' own queries. A request never inherits anything but the open
file: what it left uncommitted is rolled back when it ends, as closing did, and a
database file replaced under a running server (a restore done without stopping it)
is opened afresh rather than written through a connection to the old file.
"""
import os
import threading

from flask import current_app, g

from storage import migrations
from storage.connection import connect


def get_db():
    if "db" not in g:
        g.db = _kept_connection(current_app)
    return g.db


def _kept_connection(app):
    kept = app.extensions["mend.connections"]
    path = app.config["DATABASE_PATH"]
    identity = _file_identity(path)
    db = getattr(kept, "db", None)
    if db is not None and identity is not None and kept.identity == (path, identity):
        return db
    if db is not None:
        db.close()
    db = connect(path)
    kept.db, kept.identity = db, (path, _file_identity(path))
    return db


def _file_identity(path):
    """The file behind `path` (device and inode), or None when there is none yet."""
    try:
        found = os.stat(path)
    except (OSError, ValueError):
        return None
    return found.st_dev, found.st_ino


def close_db(exception=None):
    """The request is over: undo anything it left uncommitted; the thread keeps the
    connection for its next request."""
    db = g.pop("db", None)
    if db is not None and db.conn.in_transaction:
        db.conn.rollback()


def require_current_schema(app):
    """Refuse to serve a database whose schema is behind, naming the command to run."""
    db = connect(app.config["DATABASE_PATH"])
    try:
        pending = migrations.pending_migrations(db)
    finally:
        db.close()
    if pending:
        raise SystemExit(
            f"Mend cannot start: the database at {app.config['DATABASE_PATH']} needs upgrading "
            f"({len(pending)} migration(s) pending). Run: flask --app app db upgrade")


def init_app(app):
    app.extensions["mend.connections"] = threading.local()
    app.teardown_appcontext(close_db)
