"""The `flask --app app ...` commands a newcomer and an operator use."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import settings
from app import create_app
from scheduler.runner import acquire_lock
from storage import migrations, users
from storage.connection import connect
from tests.harness.database import prepare_database

ROOT = Path(__file__).resolve().parent.parent
FLASK = Path(sys.executable).parent / "flask"
LIBRARY_SIZE = len(list((ROOT / "templates_sms").glob("*.toml")))
EVERY_LANGUAGE = len(list((ROOT / "templates_sms").rglob("*.toml")))  # and translations


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


def flask_without_a_secret(tmp_path, *args, env=None, input=None):
    """The real `.venv/bin/flask --app app` as in a fresh clone: no SECRET_KEY anywhere,
    MEND_ENV at its default (production), the database in tmp_path."""
    environment = {name: value for name, value in os.environ.items()
                   if name not in ("SECRET_KEY", "MEND_ENV", "FLASK_RUN_FROM_CLI")}
    environment.update({"DATABASE_PATH": str(tmp_path / "mend.db"), **(env or {})})
    return subprocess.run([str(FLASK), "--app", "app", *args], cwd=ROOT, env=environment,
                          input=input, capture_output=True, text=True, timeout=60)


def test_commands_that_sign_nothing_run_without_a_secret_key(tmp_path):
    checked = flask_without_a_secret(tmp_path, "templates", "check")
    assert (checked.returncode, checked.stderr) == (0, "")
    assert checked.stdout.splitlines()[0] == f"{EVERY_LANGUAGE} template(s) checked: no problems."

    counted = flask_without_a_secret(tmp_path, "sms", "count", "hello")
    assert (counted.returncode, counted.stderr) == (0, "")
    assert counted.stdout.splitlines() == [
        "Encoding:   GSM-7", "Characters: 5", "Parts:      1",
        "Replaced:   nothing", "Not GSM-7:  nothing"]

    upgraded = flask_without_a_secret(tmp_path, "db", "upgrade")
    assert (upgraded.returncode, upgraded.stderr) == (0, "")
    assert upgraded.stdout.startswith(f"Database {tmp_path / 'mend.db'} is up to date (")


def test_accounts_can_be_managed_without_a_secret_key(tmp_path):
    assert flask_without_a_secret(tmp_path, "db", "upgrade").returncode == 0
    created = flask_without_a_secret(
        tmp_path, "users", "create", "--email", "lead@example.org", "--name", "Kay Lead",
        "--role", "admin", "--password-stdin", input="a long enough password\n")
    assert (created.returncode, created.stdout) == (0, "Created admin lead@example.org.\n")
    listed = flask_without_a_secret(tmp_path, "users", "list")
    assert listed.returncode == 0
    assert "admin     active       lead@example.org  (Kay Lead)" in listed.stdout
    deactivated = flask_without_a_secret(tmp_path, "users", "deactivate", "lead@example.org")
    assert (deactivated.returncode, deactivated.stdout) == (0, "Deactivated lead@example.org.\n")
    demo = flask_without_a_secret(tmp_path, "users", "demo")
    assert demo.stdout == "Accounts exist already; no demo accounts created.\n"


def test_in_development_every_command_reads_the_key_make_run_generated(tmp_path):
    (tmp_path / "secret_key").write_text("generated-by-make-run\n")
    config = settings.from_environment(str(tmp_path), {"MEND_ENV": "development"})
    assert config["SECRET_KEY"] == "generated-by-make-run"
    production = settings.from_environment(str(tmp_path), {"MEND_ENV": "production"})
    assert production["SECRET_KEY"] == ""


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


@pytest.mark.parametrize("serve", [
    pytest.param([sys.executable, "-c", "from app import create_app; create_app()"],
                 id="gunicorn-or-wsgi"),
    pytest.param([str(FLASK), "--app", "app", "run", "--port", "0"], id="flask-run"),
])
def test_production_refuses_to_serve_without_a_secret_key(tmp_path, serve):
    prepare_database(str(tmp_path / "mend.db"))
    environment = {name: value for name, value in os.environ.items()
                   if name not in ("SECRET_KEY", "FLASK_RUN_FROM_CLI")}
    result = subprocess.run(serve, cwd=ROOT, capture_output=True, text=True, timeout=60,
                            env={**environment, "MEND_ENV": "production",
                                 "DATABASE_PATH": str(tmp_path / "mend.db")})
    assert result.returncode == 1
    assert "Mend cannot start: SECRET_KEY is not set." in result.stderr
    assert "Traceback" not in result.stderr


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


def test_each_account_change_is_one_audit_event(fresh_app):
    run(fresh_app, "db", "upgrade")
    run(fresh_app, "users", "create", "--email", "kay@example.org", "--name", "Kay Lead",
        "--role", "reviewer")
    run(fresh_app, "users", "deactivate", "kay@example.org")
    again = run(fresh_app, "users", "deactivate", "KAY@example.org")
    assert again.output == "kay@example.org was already deactivated; nothing changed.\n"
    db = connect(fresh_app.config["DATABASE_PATH"])
    assert [(e["action"], e["subject_id"], json.loads(e["detail"]))
            for e in db.query("SELECT * FROM events ORDER BY id")] == [
        ("user.created", 1, {"role": "reviewer", "by": "command line"}),
        ("user.deactivated", 1, {"by": "command line"})]
    db.close()


@pytest.mark.parametrize("args, stdin, message", [
    (["--email", "kay", "--name", "Kay", "--role", "worker"], None,
     "Error: 'kay' is not an email address, such as kay@example.org."),
    (["--email", "kay@example.org", "--name", "  ", "--role", "worker"], None,
     'Error: Give the account a name, such as "Kay Lead".'),
    (["--email", "kay@example.org", "--name", "Kay", "--role", "worker", "--password-stdin"],
     "short\n", "Error: The password must be at least 12 characters."),
    (["--email", "kay@example.org", "--name", "Kay", "--role", "boss"], None,
     "Error: Invalid value for '--role': 'boss' is not one of 'worker', 'reviewer', 'admin'."),
])
def test_a_wrong_account_detail_gets_a_clear_message_and_creates_nothing(
        fresh_app, args, stdin, message):
    run(fresh_app, "db", "upgrade")
    result = run(fresh_app, "users", "create", *args, input=stdin)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    db = connect(fresh_app.config["DATABASE_PATH"])
    assert users.count(db) == 0
    db.close()


def test_deactivating_an_unknown_account_says_so(fresh_app):
    run(fresh_app, "db", "upgrade")
    result = run(fresh_app, "users", "deactivate", "nobody@example.org")
    assert result.exit_code == 1
    assert "Error: No account for nobody@example.org." in result.output


def test_demo_accounts_are_printed_once_on_an_empty_database(fresh_app):
    run(fresh_app, "db", "upgrade")
    first = run(fresh_app, "users", "demo")
    assert "DEMO ACCOUNTS (shown once: note them now)" in first.output
    for email in ("worker@example.org", "admin@example.org", "reviewer@example.org",
                  "reviewer2@example.org"):
        assert email in first.output
    second = run(fresh_app, "users", "demo")
    assert "DEMO ACCOUNTS" not in second.output
    assert ("The demo accounts exist already. Lost a password? "
            "flask --app app users set-password EMAIL") in second.output
    db = connect(fresh_app.config["DATABASE_PATH"])
    password = first.output.split("worker@example.org")[1].split("password:")[1].split()[0]
    from actions.accounts import password_matches
    assert password_matches(users.by_email(db, "worker@example.org")["password_hash"], password)


def test_templates_load_is_idempotent(fresh_app):
    """A changed file becoming a new version is proved in tests/test_library.py."""
    run(fresh_app, "db", "upgrade")
    first = run(fresh_app, "templates", "load").output
    count = len(list((ROOT / "templates_sms").rglob("*.toml")))  # every language
    assert (f"{count} template(s) in the library; {count} new or changed, proposed for "
            "review") in first
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
