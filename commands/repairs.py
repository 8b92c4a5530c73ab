"""`flask --app app repairs ledger [--json] | sweep`."""
import json

import click
from flask.cli import AppGroup

from actions import repairs
from sms.repairs import MEASURES

from . import open_database

group = AppGroup("repairs", help="The repair journey: the outcome ledger, the hourly sweep.")


@group.command("ledger")
@click.option("--json", "as_json", is_flag=True, help="Print the ledger as JSON.")
def repairs_ledger(as_json):
    """The outcome ledger: per situation, template version and strategy. Rows with
    fewer than 10 repairs show no figures."""
    with open_database() as db:
        rows = repairs.ledger(db)
    if as_json:
        click.echo(json.dumps([row.as_json() for row in rows], indent=2))
        return
    for row in rows:
        where = f"{row.situation} / {row.template_id or 'no text'}" + (
            f" v{row.template_version} ({row.strategy})" if row.template_id else "")
        if row.suppressed:
            click.echo(f"{where}: fewer than 10 repairs (no figures shown)")
            continue
        click.echo(f"{where}: {row.repairs} repairs, {row.texts_sent} texts sent")
        for key, label in MEASURES:
            click.echo(f"    {label}: {row.measures[key].describe()}")


@group.command("sweep")
def repairs_sweep():
    """Close repairs nobody closed in 60 days ("not recorded"); stop plans whose text failed."""
    with open_database() as db:
        swept = repairs.sweep(db)
    click.echo(f"{len(swept.closed)} repair(s) closed as not recorded; "
               f"{len(swept.plans_ended)} follow-up plan(s) stopped.")
