"""`flask --app app templates load|check`: the reviewed library in templates_sms/."""
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from sms.languages import ENGLISH, LANGUAGES, name_of
from sms.library import check_library, library_summary, read_library
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

    A file with any problem `templates check` would report is skipped, not loaded (a
    problem in `cy/door-stays-open.toml` skips that file only, never the English one).
    """
    templates, _ = read_library(library_folder())
    problems = check_library(library_folder(), service_name=current_app.config["SERVICE_NAME"])
    for problem in problems:
        click.echo(f"skipped: {problem}", err=True)
    broken = {problem.file for problem in problems}
    templates = [fields for fields in templates if fields["file"] not in broken]
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
    templates, _ = read_library(folder)
    click.echo(f"{len(templates)} template(s) checked: no problems.")
    summary = library_summary(templates, service_name=current_app.config["SERVICE_NAME"])
    if set(summary) - {ENGLISH}:
        for code in sorted(summary, key=list(LANGUAGES).index):
            click.echo(f"  {name_of(code)}: {summary[code]['files']}"
                       f"{language_line(code, summary[code])}")
        click.echo("Reading age is measured in English only. The word lists for other "
                   "languages were written by the project, not a fluent speaker.")


def language_line(code, line):
    """What a language's files cost when sent together with the English."""
    if code == ENGLISH:
        return ""
    parts = line["bilingual_parts"]
    words = ", each needs a fluent reviewer"
    if parts:
        spread = (f"{min(parts)} to {max(parts)}" if min(parts) != max(parts)
                  else f"{parts[0]}")
        words += f"; {len(parts)} fit with the English in {spread} parts"
    if line["on_its_own"]:
        words += f"; {line['on_its_own']} too long for that, sent only on their own"
    return words
