"""`flask --app app audit verify|export`, `retention run` and `db backup PATH`."""
import sys

import click
from flask import current_app
from flask.cli import AppGroup

from storage import backup as backups
from storage import events, history, retention

from .audit_csv import csv_chunks
from .audit_filters import InvalidDate, end_of_day, filter_summary, parse_date, start_of_day
from .cli import db_cli, open_db

audit_cli = AppGroup("audit", help="The audit log: verify it, export the history.")
retention_cli = AppGroup("retention", help="Remove the words of old texts and replies.")


@audit_cli.command("verify")
def audit_verify():
    """Check every event's hash; exit 1 naming the first broken event."""
    report = events.verify(open_db())
    if report.problem:
        click.echo(f"The audit log has been altered: {report.problem}.", err=True)
        click.echo(f"The {report.count} event(s) before it check out; the last good "
                   f"hash is {report.head_hash}.", err=True)
    else:
        click.echo(f"The audit log is intact: {report.count} event(s) checked.")
        click.echo(f"Head hash: {report.head_hash}")
        click.echo("Record the head hash somewhere else (a ticket, an email): a chain "
                   "alone cannot show that its newest events were deleted.")
    if report.missing_triggers:
        click.echo("The triggers that refuse edits and deletes are missing ("
                   + ", ".join(report.missing_triggers) + "): someone removed them.",
                   err=True)
    if not report.intact:
        sys.exit(1)


def a_date(ctx, param, value):
    if value is None:
        return None
    try:
        return parse_date(value)
    except InvalidDate:
        raise click.BadParameter(f"{value!r} is not a date. Use YYYY-MM-DD, like 2026-03-01.")


@audit_cli.command("export")
@click.option("--since", callback=a_date, metavar="YYYY-MM-DD",
              help="From this day (in the service's time zone).")
@click.option("--until", callback=a_date, metavar="YYYY-MM-DD",
              help="To this day, inclusive.")
def audit_export(since, until):
    """Write the history of texts as CSV to standard output, oldest first."""
    zone = current_app.config["TIMEZONE"]
    db = open_db()
    filters = history.Filters(since=start_of_day(since, zone) if since else None,
                              until=end_of_day(until, zone) if until else None)
    events.record(db, action="audit.exported", subject_type="audit",
                  detail={**filter_summary(filters), "format": "csv", "by": "command line"})
    for chunk in csv_chunks(history.export_rows(db, filters), zone):
        click.echo(chunk, nl=False)


@retention_cli.command("run")
def retention_run():
    """Remove the words of texts and replies older than RETENTION_DAYS now."""
    days = current_app.config["RETENTION_DAYS"]
    result = retention.run(open_db(), days=days, trigger="command line")
    click.echo(f"Removed the words of {result.messages} text(s) and {result.replies} "
               f"repl(ies) older than {days} days (before {result.cutoff}).")


@db_cli.command("backup")
@click.argument("path", type=click.Path(dir_okay=False))
def db_backup(path):
    """Copy the database to PATH while the app keeps running (SQLite's backup API)."""
    db = open_db()
    try:
        count = backups.backup(db, path)
    except backups.BackupError as error:
        raise click.ClickException(str(error))
    events.record(db, action="database.backed_up", subject_type="service",
                  detail={"events_in_copy": count, "by": "command line"})
    click.echo(f"Backed up to {path} ({count} audit event(s) in the copy). "
               "Check it with: DATABASE_PATH=" + path + " flask --app app audit verify")


def init_app(app):
    for group in (audit_cli, retention_cli):
        app.cli.add_command(group)
