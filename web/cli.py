"""`flask --app app ...` commands: db, users, templates, sms, scheduler."""
import json
import secrets
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from scheduler import runner
from sms import encoding
from sms.library import check_library, read_library
from storage import events, migrations, sms_templates, users
from storage.connection import connect

from .auth import ROLES, hash_password

db_cli = AppGroup("db", help="The database: upgrade it, back it up.")
users_cli = AppGroup("users", help="Staff accounts.")
templates_cli = AppGroup("templates", help="The reviewed template library.")
scheduler_cli = AppGroup("scheduler", help="The dispatcher that sends due texts.")
sms_cli = AppGroup("sms", help="How a text is counted and billed.")

LIBRARY_FOLDER = "templates_sms"


def library_folder():
    """templates_sms/ beside app.py, wherever the command is run from."""
    return Path(current_app.root_path) / LIBRARY_FOLDER


def open_db():
    return connect(current_app.config["DATABASE_PATH"])


@db_cli.command("upgrade")
def db_upgrade():
    """Apply pending migrations (safe to run any number of times)."""
    db = open_db()
    pending = migrations.pending_migrations(db)
    migrations.upgrade(db)
    click.echo(f"Database {current_app.config['DATABASE_PATH']} is up to date "
               f"({len(pending)} migration(s) applied).")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def users_create(email, name, role, password_stdin):
    """Create an account; prints a random password unless one is given on stdin."""
    email = email.strip().lower()
    db = open_db()
    if users.by_email(db, email):
        raise click.ClickException(f"An account for {email} already exists.")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
        if len(password) < 12:
            raise click.ClickException("The password must be at least 12 characters.")
    else:
        password = secrets.token_urlsafe(12)
    user_id = users.create(db, email=email, name=name, role=role,
                           password_hash=hash_password(password))
    events.record(db, action="user.created", subject_type="user", subject_id=user_id,
                  detail={"role": role, "by": "command line"})
    click.echo(f"Created {role} {email}.")
    if not password_stdin:
        click.echo(f"Password (shown once): {password}")


@users_cli.command("list")
def users_list():
    """List accounts."""
    for row in users.all_users(open_db()):
        state = "active" if row["active"] else "deactivated"
        click.echo(f"{row['id']:>4}  {row['role']:<9} {state:<12} {row['email']}  ({row['name']})")


@users_cli.command("deactivate")
@click.argument("email")
def users_deactivate(email):
    """Stop an account from logging in (its history is kept)."""
    db = open_db()
    row = users.by_email(db, email)
    if row is None:
        raise click.ClickException(f"No account for {email}.")
    users.set_active(db, row["id"], False)
    events.record(db, action="user.deactivated", subject_type="user", subject_id=row["id"],
                  detail={"by": "command line"})
    click.echo(f"Deactivated {email}.")


@users_cli.command("demo")
def users_demo():
    """On a database with no accounts, create a demo admin and worker and print them once."""
    db = open_db()
    if users.count(db):
        click.echo("Accounts exist already; no demo accounts created.")
        return
    created = []
    for role, email, name in (("admin", "admin@example.org", "Demo Admin"),
                              ("reviewer", "reviewer@example.org", "Demo Reviewer"),
                              ("worker", "worker@example.org", "Sam Worker")):
        password = secrets.token_urlsafe(12)
        user_id = users.create(db, email=email, name=name, role=role,
                               password_hash=hash_password(password))
        events.record(db, action="user.created", subject_type="user", subject_id=user_id,
                      detail={"role": role, "by": "demo set-up"})
        created.append((role, email, password))
    click.echo("=" * 64)
    click.echo(" DEMO ACCOUNTS (shown once: note them now)")
    for role, email, password in created:
        click.echo(f"   {role:<9} {email:<24} password: {password}")
    click.echo("=" * 64)


@templates_cli.command("load")
def templates_load():
    """Load templates_sms/ as approved versions (a changed file becomes a new version).

    A file with any problem `templates check` would report is skipped, not loaded.
    """
    templates, _ = read_library(library_folder())
    problems = check_library(library_folder(), service_name=current_app.config["SERVICE_NAME"])
    for problem in problems:
        click.echo(f"skipped: {problem}", err=True)
    broken = {problem.file for problem in problems}
    templates = [fields for fields in templates if f"{fields['id']}.toml" not in broken]
    changed = sms_templates.sync_library(open_db(), templates)
    click.echo(f"{len(templates)} template(s) in the library; {len(changed)} new or changed.")


@templates_cli.command("check")
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


def count_summary(counted):
    return {
        "encoding": counted.encoding,
        "characters": counted.characters,
        "parts": counted.parts,
        "replaced": [{"original": r.original, "replacement": r.replacement, "count": r.count}
                     for r in counted.replaced],
        "non_gsm": counted.non_gsm,
    }


@sms_cli.command("count")
@click.argument("text")
@click.option("--json", "as_json", is_flag=True, help="Print the count as JSON.")
def sms_count(text, as_json):
    """Count TEXT as the carrier bills it: encoding, characters, parts."""
    summary = count_summary(encoding.count(text))
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False))
        return
    click.echo(f"Encoding:   {summary['encoding']}")
    click.echo(f"Characters: {summary['characters']}")
    click.echo(f"Parts:      {summary['parts']}")
    replaced = ", ".join(f"{r['original']} -> {r['replacement'] or '(removed)'} (x{r['count']})"
                         for r in summary["replaced"])
    click.echo(f"Replaced:   {replaced or 'nothing'}")
    click.echo(f"Not GSM-7:  {' '.join(summary['non_gsm']) or 'nothing'}")


@scheduler_cli.command("run")
def scheduler_run():
    """Run the dispatcher in the foreground (one copy per database)."""
    db = open_db()
    migrations.upgrade(db)
    db.close()
    try:
        runner.run_forever(current_app.config, echo=click.echo)
    except runner.AlreadyRunning as error:
        raise click.ClickException(str(error))


def init_app(app):
    for group in (db_cli, users_cli, templates_cli, sms_cli, scheduler_cli):
        app.cli.add_command(group)
