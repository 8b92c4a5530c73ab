"""`flask --app app db upgrade|backup PATH`."""
import click
from flask import current_app
from flask.cli import AppGroup

from actions import maintenance
from storage import migrations

from . import open_database

group = AppGroup("db", help="The database: upgrade it, back it up.")


@group.command("upgrade")
def db_upgrade():
    """Apply pending migrations (safe to run any number of times)."""
    with open_database() as db:
        pending = migrations.pending_migrations(db)
        migrations.upgrade(db)
    click.echo(f"Database {current_app.config['DATABASE_PATH']} is up to date "
               f"({len(pending)} migration(s) applied).")


@group.command("backup")
@click.argument("path", type=click.Path(dir_okay=False))
def db_backup(path):
    """Copy the database to PATH while the app keeps running (SQLite's backup API)."""
    with open_database() as db:
        try:
            copy = maintenance.back_up_database(db, path, by="command line")
        except maintenance.BackupError as error:
            raise click.ClickException(str(error))
    click.echo(f"Backed up to {copy.path} ({copy.events_in_copy} audit event(s) in the copy). "
               "Check it with: DATABASE_PATH=" + copy.path + " flask --app app audit verify")
