"""One database connection per request, on `g` (the flaskr pattern)."""
from flask import current_app, g

from storage import migrations
from storage.connection import connect


def get_db():
    if "db" not in g:
        g.db = connect(current_app.config["DATABASE_PATH"])
    return g.db


def close_db(exception=None):
    db = g.pop("db", None)
    if db is not None:
        db.close()


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
    app.teardown_appcontext(close_db)
