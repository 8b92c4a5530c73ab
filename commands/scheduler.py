"""`flask --app app scheduler run`: the dispatcher, in its own process."""
import click
from flask import current_app
from flask.cli import AppGroup

from scheduler import runner
from storage import migrations

from . import open_database

group = AppGroup("scheduler", help="The dispatcher that sends due texts.")


@group.command("run")
def scheduler_run():
    """Run the dispatcher in the foreground (one copy per database)."""
    with open_database() as db:
        migrations.upgrade(db)
    try:
        runner.run_forever(current_app.config, echo=click.echo)
    except runner.AlreadyRunning as error:
        raise click.ClickException(str(error))
