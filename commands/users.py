"""`flask --app app users create|list|deactivate|set-password|demo`."""
import sys

import click
from flask.cli import AppGroup

from actions import accounts
from actions import templates as template_workflows
from storage import users

from . import open_database

group = AppGroup("users", help="Staff accounts.")


@group.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", required=True, type=click.Choice(accounts.ROLES))
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def users_create(email, name, role, password_stdin):
    """Create an account; prints a random password unless one is given on stdin."""
    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    with open_database() as db:
        try:
            account = accounts.create_user(db, email=email, name=name, role=role,
                                           password=password, by="command line")
        except accounts.AccountError as error:
            raise click.ClickException(str(error))
    click.echo(f"Created {account.role} {account.email}.")
    if account.generated_password:
        click.echo(f"Password (shown once): {account.generated_password}")


@group.command("list")
def users_list():
    """List accounts."""
    with open_database() as db:
        rows = users.all_users(db)
    for row in rows:
        state = "active" if row["active"] else "deactivated"
        click.echo(f"{row['id']:>4}  {row['role']:<9} {state:<12} {row['email']}  ({row['name']})")


@group.command("deactivate")
@click.argument("email")
def users_deactivate(email):
    """Stop an account from logging in (its history is kept)."""
    with open_database() as db:
        try:
            result = accounts.deactivate_user(db, email, by="command line")
        except accounts.AccountError as error:
            raise click.ClickException(str(error))
    if result.already_deactivated:
        click.echo(f"{result.email} was already deactivated; nothing changed.")
    else:
        click.echo(f"Deactivated {result.email}.")


@group.command("set-password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def users_set_password(email, password_stdin):
    """Set an account's password (asked for twice, or read from standard input)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    with open_database() as db:
        try:
            changed = accounts.set_password(db, email, password, by="command line")
        except accounts.AccountError as error:
            raise click.ClickException(str(error))
    click.echo(f"Set a new password for {changed}.")


@group.command("demo")
def users_demo():
    """On a demo database: create the demo accounts missing (an admin, two reviewers, a
    worker), print them once, and approve the starter templates waiting for review as the
    demo reviewer, "for the demo"."""
    with open_database() as db:
        created = accounts.create_demo_users(db)
        approved = template_workflows.approve_starters_for_demo(
            db, reviewer=users.demo_reviewer(db))
        reviewer = users.demo_reviewer(db)
    if created:
        click.echo("=" * 64)
        click.echo(" DEMO ACCOUNTS (shown once: note them now)")
        for account in created:
            click.echo(f"   {account.role:<9} {account.email:<24} "
                       f"password: {account.generated_password}")
        click.echo(" Lost one? flask --app app users set-password EMAIL")
        click.echo("=" * 64)
    elif reviewer is None:
        click.echo("Accounts exist already; no demo accounts created.")
    else:
        click.echo("The demo accounts exist already. Lost a password? "
                   "flask --app app users set-password EMAIL")
    if approved:
        click.echo(f"Approved {approved} starter template(s) for the demo as "
                   f"{reviewer['name']}: a real service's reviewer reads and approves each "
                   "one in the app.")
