"""`flask --app app retention run`."""
import click
from flask import current_app
from flask.cli import AppGroup

from actions import maintenance

from . import open_database

group = AppGroup("retention", help="Remove the words of old texts and replies.")


@group.command("run")
def retention_run():
    """Remove the words of texts and replies older than RETENTION_DAYS now."""
    days = current_app.config["RETENTION_DAYS"]
    with open_database() as db:
        result = maintenance.run_retention(db, days=days, trigger="command line")
    click.echo(f"Removed the words of {result.messages} text(s) and {result.replies} "
               f"repl(ies) older than {days} days (before {result.cutoff}).")
