"""`flask --app app demo load`."""
import sys

import click
from flask import current_app
from flask.cli import AppGroup

from actions import demo

from . import open_database

group = AppGroup("demo", help="Invented data for trying Mend out (development only).")


@group.command("load")
def demo_load():
    """Fill an empty development database with 90 days of invented repairs."""
    with open_database() as db:
        try:
            loaded = demo.load(db, environment=current_app.config["MEND_ENV"])
        except demo.DemoRefused as refused:
            click.echo(str(refused), err=True)
            sys.exit(1)
    click.echo(f"DEMO DATA loaded: {loaded.people} invented people, {loaded.repairs} repairs, "
               f"{loaded.texts} texts and {loaded.replies} replies over the past 90 days. "
               "Every name ends in \"(demo)\" and every number is in Ofcom's drama range.")
