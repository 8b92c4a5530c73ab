"""`flask --app app audit verify|export`."""
import sys

import click
from flask import current_app
from flask.cli import AppGroup

from actions import maintenance
from storage import events, history
from actions.history_export import (InvalidDate, csv_chunks, end_of_day, filter_summary,
                                    parse_date, start_of_day)

from . import open_database

group = AppGroup("audit", help="The audit log: verify it, export the history.")


@group.command("verify")
def audit_verify():
    """Check every event's hash; exit 1 naming the first broken event."""
    with open_database() as db:
        report = events.verify(db)
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


@group.command("export")
@click.option("--since", callback=a_date, metavar="YYYY-MM-DD",
              help="From this day (in the service's time zone).")
@click.option("--until", callback=a_date, metavar="YYYY-MM-DD",
              help="To this day, inclusive.")
def audit_export(since, until):
    """Write the history of texts as CSV to standard output, oldest first."""
    zone = current_app.config["TIMEZONE"]
    filters = history.Filters(since=start_of_day(since, zone) if since else None,
                              until=end_of_day(until, zone) if until else None)
    with open_database() as db:
        maintenance.record_export(db, filter_summary=filter_summary(filters),
                                  export_format="csv", by="command line")
        for chunk in csv_chunks(history.export_rows(db, filters), zone):
            click.echo(chunk, nl=False)
