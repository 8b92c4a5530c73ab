"""`flask --app app audit verify|export`."""
import sys

import click
from flask import current_app
from flask.cli import AppGroup

from actions import checkpoints, maintenance
from actions.checkpoints import CheckpointSettings, describe
from storage import checkpoints as checkpoint_files
from storage import history
from actions.history_export import (InvalidDate, csv_chunks, end_of_day, filter_summary,
                                    parse_date, start_of_day)

from . import open_database

group = AppGroup("audit", help="The audit log: verify it, export the history.")


@group.command("verify")
@click.option("--since-checkpoint", is_flag=True,
              help="Check only the events after the last good signed checkpoint.")
def audit_verify(since_checkpoint):
    """Check every event's hash, and the log against its signed checkpoints; exit 1
    naming the first broken event or the checkpoint the log no longer matches."""
    settings = CheckpointSettings.from_config(current_app.config)
    if since_checkpoint and settings is None:
        raise click.ClickException("--since-checkpoint needs AUDIT_CHECKPOINT_KEY: without "
                                   "it Mend signs no checkpoints.")
    with open_database() as db:
        check = checkpoints.verify(db, settings, since_checkpoint=since_checkpoint)
    report = check.chain
    if report.problem:
        click.echo(f"The audit log has been altered: {report.problem}.", err=True)
        click.echo(f"The {report.count} event(s) before it check out; the last good "
                   f"hash is {report.head_hash}.", err=True)
    elif check.checked_after:
        click.echo(f"The audit log is intact: {report.count - check.checked_after} event(s) "
                   f"after the checkpoint at event {check.checked_after} checked "
                   f"({report.count} in all).")
    else:
        click.echo(f"The audit log is intact: {report.count} event(s) checked.")
    for problem in check.problems:
        click.echo(problem, err=True)
    for note in check.notes:
        click.echo(note)
    if not report.problem:
        click.echo(f"Head hash: {report.head_hash}")
    if settings is None:
        click.echo("Checkpoints are off (AUDIT_CHECKPOINT_KEY is not set): record the head "
                   "hash somewhere else, because a chain alone cannot show that its "
                   "newest events were deleted.")
    elif check.last_good:
        click.echo(f"Last good checkpoint: {describe(check.last_good)} "
                   f"in {checkpoint_files.file_in(settings.folder)}.")
    else:
        click.echo(f"No good checkpoint yet in {checkpoint_files.file_in(settings.folder)} "
                   f"({check.checkpoints_read} read).")
    if report.missing_triggers:
        click.echo("The triggers that refuse edits and deletes are missing ("
                   + ", ".join(report.missing_triggers) + "): someone removed them.",
                   err=True)
    if not check.intact:
        sys.exit(1)


@group.command("checkpoint")
def audit_checkpoint():
    """Sign the audit log's head now and write it to the checkpoint folder."""
    settings = CheckpointSettings.from_config(current_app.config)
    if settings is None:
        raise click.ClickException("AUDIT_CHECKPOINT_KEY is not set, so there is nothing to "
                                   "sign with (see the README's settings).")
    with open_database() as db:
        taken = checkpoints.take(db, settings, kind="manual")
    if taken.problem:
        click.echo(f"Not signed: {taken.problem}", err=True)
        sys.exit(1)
    click.echo(f"Signed checkpoint: {describe(taken.checkpoint)} in {taken.path}.")


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
        maintenance.record_export(
            db, filter_summary=filter_summary(filters), export_format="csv",
            by="command line",
            checkpoint_settings=CheckpointSettings.from_config(current_app.config))
        for chunk in csv_chunks(history.export_rows(db, filters), zone):
            click.echo(chunk, nl=False)
