"""The `flask --app app ...` commands, one module per group.

A command reads its settings from the app's config, calls a workflow in `actions/`
for anything it changes, prints the outcome, and closes every connection it opens.
"""
import contextlib

from flask import current_app

from storage.connection import connect


@contextlib.contextmanager
def open_database():
    """The configured database, closed when the block ends (even on an error)."""
    db = connect(current_app.config["DATABASE_PATH"])
    try:
        yield db
    finally:
        db.close()


def register(app):
    from . import audit, db, demo, repairs, retention, scheduler, sms, templates, users

    for module in (db, users, templates, sms, scheduler, audit, retention, repairs, demo):
        app.cli.add_command(module.group)
