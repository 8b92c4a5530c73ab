"""`flask --app app db upgrade|backup PATH|replicate|restore`."""
import os
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from actions import maintenance, recovery
from actions.checkpoints import CheckpointSettings, describe
from storage import migrations, replication

from . import open_database

group = AppGroup("db", help="The database: upgrade it, back it up, replicate and restore it.")


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


def replica_url():
    url = current_app.config["REPLICA_URL"]
    if not url:
        raise click.ClickException(
            "Replication is off: REPLICA_URL is not set. Set it to a folder "
            "(file:///srv/mend-replica/mend) or S3-compatible storage (s3://bucket/mend); "
            "see docs/operations.md.")
    return url


@group.command("replicate")
def db_replicate():
    """Replicate the database continuously with Litestream (runs until stopped)."""
    url = replica_url()
    database_path = current_app.config["DATABASE_PATH"]
    if not Path(database_path).exists():
        raise click.ClickException(
            f"There is no database at {database_path} to replicate. Run "
            "`flask --app app db upgrade` to create one, or `flask --app app db restore` "
            "to bring one back from the replica.")
    with open_database() as db:
        migrations.upgrade(db)  # WAL mode, which Litestream needs
        problem = recovery.replication_problem(db, url)
    if problem:
        raise click.ClickException(problem)
    try:
        argv, env = replication.replicate_command(database_path, url)
    except replication.ReplicationError as error:
        raise click.ClickException(str(error))
    click.echo(f"Replicating {database_path} to {recovery.replica_name(url)} with Litestream.")
    sys.stdout.flush()
    os.execve(argv[0], argv, env)  # Litestream takes this process: signals reach it


def a_timestamp(ctx, param, value):
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a time. Use UTC in ISO 8601, like "
                                 "2026-11-30T14:05:00Z.")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def default_output(database_path, *, check_only=False):
    """The database path itself on a fresh machine; beside it when a file is there, or
    when the copy is only a restore test (an unprepared copy must never be the one the
    services start on: its texts have not been marked for a look-up)."""
    path = Path(database_path)
    if not path.exists() and not check_only:
        return path
    return path.with_name(f"{path.stem}-restored-{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}"
                          f"{path.suffix}")


@group.command("restore")
@click.option("--timestamp", callback=a_timestamp, metavar="TIME",
              help="Restore the state at this UTC time (ISO 8601), not the newest.")
@click.option("--output", type=click.Path(dir_okay=False),
              help="The new database file (default: DATABASE_PATH if there is no file "
                   "there yet, else a new file beside it).")
@click.option("--replica", metavar="URL", help="Restore from this replica, not REPLICA_URL.")
@click.option("--check-only", is_flag=True,
              help="A restore test: restore and check the copy, change nothing in it.")
def db_restore(timestamp, output, replica, check_only):
    """Restore the replica into a new database file, check it, and prepare it to run."""
    url = replica or replica_url()
    target = Path(output) if output else default_output(current_app.config["DATABASE_PATH"],
                                                        check_only=check_only)
    click.echo(f"Restoring {recovery.replica_name(url)}"
               + (f" as it was at {timestamp:%Y-%m-%d %H:%M:%S} UTC" if timestamp else "")
               + f" into {target} ...")
    try:
        restored = recovery.restore_replica(
            url, target, timestamp=timestamp,
            checkpoint_settings=CheckpointSettings.from_config(current_app.config),
            prepare=not check_only,
            stale_after=timedelta(seconds=current_app.config["STALE_AFTER_SECONDS"]))
    except replication.ReplicationError as error:
        raise click.ClickException(str(error))
    report_restore(restored, current_app.config["DATABASE_PATH"], check_only=check_only)
    if not restored.ready:
        sys.exit(1)


def report_restore(restored, database_path, *, check_only=False):
    echo = click.echo
    echo(f"integrity_check: {restored.integrity}")
    if restored.record is not None:
        chain = restored.record.chain
        echo(f"Audit log: {chain.count} event(s)"
             + (" checked, intact." if restored.record.intact else f": {chain.problem or ''}"))
        for line in restored.record.problems:
            echo(f"  {line}", err=True)
        for line in restored.record.notes:
            echo(f"  {line}")
        if restored.record.last_good:
            echo("  Last good checkpoint: " + describe(restored.record.last_good))
    if not restored.ready:
        echo(f"The copy is NOT ready to run: {restored.problem}", err=True)
        echo(f"It is kept at {restored.path} for a person to inspect; nothing was changed "
             "in it. Try an earlier --timestamp.", err=True)
        return
    if restored.copy_moment:
        echo(f"The copy holds everything up to {restored.copy_moment:%Y-%m-%d %H:%M:%S} UTC "
             "(its newest event).")
    if check_only:
        echo(f"Restore test passed. Nothing was changed in {restored.path}; delete it now "
             "(it holds personal data).")
        return
    echo(f"{len(restored.marked)} text(s) that may have gone out after that will be looked "
         "up at the provider before they are sent (and marked 'needs checking' if the "
         "provider cannot be asked).")
    if restored.checkpoint and restored.checkpoint.checkpoint:
        echo(f"Signed a restore checkpoint in {restored.checkpoint.path}.")
    elif restored.checkpoint and restored.checkpoint.problem:
        echo(f"No checkpoint was signed: {restored.checkpoint.problem}", err=True)
    echo("Ready. Next:")
    if Path(database_path).resolve() != restored.path.resolve():
        echo(f"  - stop mend-web and mend-scheduler if they still run, move {database_path} "
             f"aside, and set DATABASE_PATH={restored.path} (or move it to {database_path});")
    echo("  - set REPLICA_URL to a NEW location (keep the old replica until you no longer "
         "need it), then start replication, the scheduler and the web app;")
    echo("  - texts scheduled, and replies received, after the copy's moment are not in it: "
         "check the provider's message log for that time.")
