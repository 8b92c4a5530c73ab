"""Passwords after first use: change your own, an admin's temporary password that must
be changed at the next login (audited), and the command line for a lost one."""
import html
import re
import subprocess
from pathlib import Path

import pytest

from actions.accounts import password_matches
from storage import events, users
from tests.harness.database import ACCOUNTS, PASSWORD
from tests.harness.pages import log_in, post_form

ROOT = Path(__file__).resolve().parent.parent
NEW = "a new password for Sam"


def text_of(response):
    return html.unescape(response.get_data(as_text=True))


def change(client, current, new, confirm=None):
    return post_form(client, "/account/password",
                     {"current": current, "new": new, "confirm": confirm or new})


@pytest.mark.parametrize("current, new, confirm, message", [
    ("wrong password!", NEW, NEW, "That is not your current password. Check it and try again."),
    (PASSWORD, "short", "short", "The new password must be at least 12 characters."),
    (PASSWORD, NEW, NEW + "x", "The two new passwords are not the same. Type them again."),
    (PASSWORD, PASSWORD, PASSWORD, "Choose a password different from the one you have now."),
])
def test_a_password_change_that_cannot_happen_says_why_and_changes_nothing(
        worker, db, user_ids, current, new, confirm, message):
    response = change(worker, current, new, confirm)
    assert response.status_code == 400
    assert message in text_of(response)
    assert password_matches(users.get(db, user_ids["worker"])["password_hash"], PASSWORD)


def test_a_person_changes_their_own_password(app, worker, db, user_ids):
    assert 'href="/account/password">Your password</a>' in worker.get("/dashboard").get_data(
        as_text=True)
    response = change(worker, PASSWORD, NEW)
    assert response.headers["Location"] == "/dashboard"
    [event] = [e for e in events.for_subject(db, "user", user_ids["worker"])
               if e["action"] == "user.password_changed"]
    assert (event["actor_id"], event["detail"]) == (
        user_ids["worker"], {"by": "themselves", "was_temporary": False})
    assert NEW not in str(event["detail"])
    assert log_in(app.test_client(), ACCOUNTS["worker"][0], PASSWORD).status_code == 200
    assert log_in(app.test_client(), ACCOUNTS["worker"][0], NEW).status_code == 302


def test_an_admin_issues_a_temporary_password_that_must_be_changed_at_next_login(
        app, admin, db, user_ids):
    url = f"/admin/users/{user_ids['worker']}/reset-password"
    response = post_form(admin, url, {}, page="/admin/users")
    page = text_of(response)
    assert response.status_code == 200
    temporary = re.search(r"Temporary password for worker@example.org:</strong> <code>([^<]+)"
                          r"</code>", page).group(1)
    assert "Shown once" in page
    assert temporary not in text_of(admin.get("/admin/users"))  # once
    [event] = [e for e in events.for_subject(db, "user", user_ids["worker"])
               if e["action"] == "user.password_reset"]
    assert (event["actor_id"], event["detail"]) == (user_ids["admin"],
                                                    {"by": "admin", "must_change": True})

    worker = app.test_client()
    assert log_in(worker, ACCOUNTS["worker"][0], PASSWORD).status_code == 200  # old one gone
    assert log_in(worker, ACCOUNTS["worker"][0], temporary).status_code == 302
    for path in ("/dashboard", "/contacts/", "/compose/", "/dashboard/status.json"):
        assert worker.get(path).headers["Location"] == "/account/password"
    form = text_of(worker.get("/account/password"))
    assert "You logged in with a temporary password an admin gave you." in form
    assert change(worker, temporary, NEW).headers["Location"] == "/dashboard"
    assert worker.get("/dashboard").status_code == 200
    assert not users.get(db, user_ids["worker"])["must_change_password"]


def test_an_admin_cannot_reset_their_own_password_here(admin, user_ids):
    response = post_form(admin, f"/admin/users/{user_ids['admin']}/reset-password", {},
                         page="/admin/users")
    assert response.status_code == 400
    assert "To change your own password, use “Change your password”." in text_of(response)


def flask(tmp_path, *args, stdin=""):
    return subprocess.run([str(ROOT / ".venv/bin/flask"), "--app", "app", *args], cwd=ROOT,
                          input=stdin, capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "MEND_ENV": "development",
                               "DATABASE_PATH": str(tmp_path / "mend.db")})


def test_the_command_line_sets_a_lost_password(tmp_path):
    from tests.harness.database import prepare_database
    prepare_database(str(tmp_path / "mend.db"))
    result = flask(tmp_path, "users", "set-password", "Worker@Example.org", "--password-stdin",
                   stdin=NEW + "\n")
    assert (result.returncode, result.stdout) == (0, "Set a new password for "
                                                     "worker@example.org.\n")
    assert NEW not in result.stdout + result.stderr
    from storage.connection import connect
    db = connect(tmp_path / "mend.db")
    row = users.by_email(db, "worker@example.org")
    assert password_matches(row["password_hash"], NEW)
    assert [e["detail"] for e in events.for_subject(db, "user", row["id"])
            if e["action"] == "user.password_changed"] == [{"by": "command line"}]
    db.close()
    short = flask(tmp_path, "users", "set-password", "worker@example.org", "--password-stdin",
                  stdin="short\n")
    assert short.returncode == 1
    assert "The password must be at least 12 characters." in short.stderr
    nobody = flask(tmp_path, "users", "set-password", "nobody@example.org",
                   "--password-stdin", stdin=NEW + "\n")
    assert "No account for nobody@example.org." in nobody.stderr


def test_make_run_takes_a_port_and_a_host():
    result = subprocess.run(["make", "-n", "run", "PORT=8080", "HOST=0.0.0.0"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert "flask --app app run --host 0.0.0.0 --port 8080" in result.stdout
    default = subprocess.run(["make", "-n", "run"], cwd=ROOT, capture_output=True, text=True,
                             timeout=60)
    assert "flask --app app run --host 127.0.0.1 --port 5000" in default.stdout
