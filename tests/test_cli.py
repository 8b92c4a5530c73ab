"""The `flask --app app ...` commands a newcomer and an operator use."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app import create_app
from scheduler.runner import acquire_lock
from storage import migrations, users
from storage.connection import connect

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def fresh_app(tmp_path, monkeypatch):
    """An app loaded as the flask CLI loads it (so it does not insist on a current schema)."""
    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "true")
    return create_app({"TESTING": True, "MEND_ENV": "development", "SECRET_KEY": "x",
                       "DATABASE_PATH": str(tmp_path / "fresh.db")})


def run(app, *args, input=None):
    return app.test_cli_runner().invoke(args=list(args), input=input)


def flask_command(tmp_path, *args, env=None):
    """Run a real `flask --app app` process, as an operator would."""
    environment = {**os.environ, "MEND_ENV": "development", "SECRET_KEY": "x",
                   "DATABASE_PATH": str(tmp_path / "mend.db"), **(env or {})}
    return subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT,
                          env=environment, capture_output=True, text=True, timeout=60)


def test_db_upgrade_is_safe_to_run_again(fresh_app):
    all_migrations = len(migrations.pending_migrations(connect(fresh_app.config["DATABASE_PATH"])))
    first = run(fresh_app, "db", "upgrade")
    second = run(fresh_app, "db", "upgrade")
    assert first.exit_code == second.exit_code == 0
    assert f"({all_migrations} migration(s) applied)" in first.output
    assert "(0 migration(s) applied)" in second.output
    db = connect(fresh_app.config["DATABASE_PATH"])
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert migrations.pending_migrations(db) == []


def test_the_app_refuses_to_serve_a_database_that_is_behind(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", "from app import create_app; create_app()"], cwd=ROOT,
        env={**os.environ, "MEND_ENV": "development", "SECRET_KEY": "x",
             "DATABASE_PATH": str(tmp_path / "behind.db")},
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "needs upgrading" in result.stderr
    assert "Run: flask --app app db upgrade" in result.stderr


def test_secret_key_is_required_outside_development(tmp_path):
    result = flask_command(tmp_path, "db", "upgrade", env={"MEND_ENV": "production",
                                                          "SECRET_KEY": ""})
    assert result.returncode == 1
    assert "Mend cannot start: SECRET_KEY is not set." in result.stderr


def test_users_create_list_and_deactivate(fresh_app):
    run(fresh_app, "db", "upgrade")
    created = run(fresh_app, "users", "create", "--email", "Kay@Example.org", "--name",
                  "Kay Lead", "--role", "reviewer", "--password-stdin",
                  input="a long enough password\n")
    assert created.exit_code == 0, created.output
    assert "Created reviewer kay@example.org." in created.output
    assert "a long enough password" not in created.output
    listed = run(fresh_app, "users", "list")
    assert "reviewer  active       kay@example.org  (Kay Lead)" in listed.output
    assert run(fresh_app, "users", "deactivate", "kay@example.org").exit_code == 0
    assert "deactivated  kay@example.org" in run(fresh_app, "users", "list").output
    duplicate = run(fresh_app, "users", "create", "--email", "kay@example.org", "--name", "K",
                    "--role", "worker")
    assert duplicate.exit_code == 1
    assert "An account for kay@example.org already exists." in duplicate.output


def test_demo_accounts_are_printed_once_on_an_empty_database(fresh_app):
    run(fresh_app, "db", "upgrade")
    first = run(fresh_app, "users", "demo")
    assert "DEMO ACCOUNTS (shown once: note them now)" in first.output
    assert "worker@example.org" in first.output and "admin@example.org" in first.output
    second = run(fresh_app, "users", "demo")
    assert "Accounts exist already; no demo accounts created." in second.output
    db = connect(fresh_app.config["DATABASE_PATH"])
    password = first.output.split("worker@example.org")[1].split("password:")[1].split()[0]
    from web.auth import password_matches
    assert password_matches(users.by_email(db, "worker@example.org")["password_hash"], password)


def test_templates_load_is_idempotent(fresh_app):
    """A changed file becoming a new version is proved in tests/test_library.py."""
    run(fresh_app, "db", "upgrade")
    first = run(fresh_app, "templates", "load").output
    count = len(list((ROOT / "templates_sms").glob("*.toml")))
    assert f"{count} template(s) in the library; {count} new or changed." in first
    assert "0 new or changed" in run(fresh_app, "templates", "load").output


def test_a_second_scheduler_refuses_to_start_and_says_why(tmp_path):
    assert flask_command(tmp_path, "db", "upgrade").returncode == 0
    lock = acquire_lock(str(tmp_path / "mend.db"))
    try:
        result = flask_command(tmp_path, "scheduler", "run")
    finally:
        lock.release()
    assert result.returncode == 1
    assert "Another Mend scheduler is already running against" in result.stderr
    assert "stop the other one first" in result.stderr
