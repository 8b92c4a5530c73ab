"""`flask --app app users create|list|deactivate|demo`."""
import sys

import click
from flask.cli import AppGroup

from actions import accounts
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


@group.command("demo")
def users_demo():
    """On a database with no accounts, create a demo admin and worker and print them once."""
    with open_database() as db:
        created = accounts.create_demo_users(db)
    if not created:
        click.echo("Accounts exist already; no demo accounts created.")
        return
    click.echo("=" * 64)
    click.echo(" DEMO ACCOUNTS (shown once: note them now)")
    for account in created:
        click.echo(f"   {account.role:<9} {account.email:<24} "
                   f"password: {account.generated_password}")
    click.echo("=" * 64)
