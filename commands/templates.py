"""`flask --app app templates load|check`: the reviewed library in templates_sms/."""
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from sms.library import check_library, read_library
from actions import templates as workflows

from . import open_database

group = AppGroup("templates", help="The reviewed template library.")

LIBRARY_FOLDER = "templates_sms"


def library_folder():
    """templates_sms/ beside app.py, wherever the command is run from."""
    return Path(current_app.root_path) / LIBRARY_FOLDER


@group.command("load")
def templates_load():
    """Propose templates_sms/ for review: a new or changed file becomes a version
    waiting for a reviewer to approve it in the app. Nothing is approved here, and an
    approved version stays in use until its replacement is approved.

    A file with any problem `templates check` would report is skipped, not loaded.
    """
    templates, _ = read_library(library_folder())
    problems = check_library(library_folder(), service_name=current_app.config["SERVICE_NAME"])
    for problem in problems:
        click.echo(f"skipped: {problem}", err=True)
    broken = {problem.file for problem in problems}
    templates = [fields for fields in templates if f"{fields['id']}.toml" not in broken]
    with open_database() as db:
        loaded = workflows.load_library(db, templates)
    for template_id in loaded.waiting:
        click.echo(f"held back: {template_id}.toml changed, but a version of it is already "
                   "waiting for review; approve or reject that one first.", err=True)
    click.echo(f"{len(templates)} template(s) in the library; {len(loaded.proposed)} new or "
               "changed, proposed for review (a reviewer approves each in the app).")


@group.command("check")
@click.option("--folder", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Check this folder instead of templates_sms/.")
def templates_check(folder):
    """Check every file in templates_sms/; print `file: field: message` per problem."""
    folder = folder or library_folder()
    problems = check_library(folder, service_name=current_app.config["SERVICE_NAME"])
    for problem in problems:
        click.echo(str(problem))
    if problems:
        raise SystemExit(1)
    count = len(list(folder.glob("*.toml")))
    click.echo(f"{count} template(s) checked: no problems.")
