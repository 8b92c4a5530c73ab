"""Logging in: hashed passwords, clear errors, the throttle, CSRF and cookies."""
import pytest
import time_machine

from storage import users
from tests.harness.database import ACCOUNTS, PASSWORD
from tests.harness.pages import csrf_token, log_in, post_form


def test_login_takes_a_worker_to_their_dashboard(client):
    response = log_in(client, "worker@example.org")
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"
    assert "Hello Sam" in client.get("/dashboard").get_data(as_text=True)


@pytest.mark.parametrize("email, password", [
    ("worker@example.org", "wrong password"),
    ("nobody@example.org", PASSWORD),
])
def test_wrong_password_or_unknown_email_says_so_and_keeps_the_email(client, email, password):
    page = log_in(client, email, password).get_data(as_text=True)
    assert "That email address and password do not match an account." in page
    assert f'value="{email}"' in page
    assert "There is a problem" in page


def test_empty_fields_are_named(client):
    page = post_form(client, "/login", {"email": "", "password": ""}).get_data(as_text=True)
    assert "Enter your email address." in page
    assert "Enter your password." in page


def test_passwords_are_stored_hashed_with_argon2(db):
    row = users.by_email(db, "worker@example.org")
    assert row["password_hash"].startswith("$argon2")
    assert PASSWORD not in row["password_hash"]


def test_failed_logins_are_throttled_with_the_time_to_try_again(client):
    with time_machine.travel("2026-06-01 12:00:00+00:00", tick=False):
        for _ in range(5):
            log_in(client, "worker@example.org", "wrong password")
        response = log_in(client, "worker@example.org")  # even the right password waits
        page = response.get_data(as_text=True)
    assert response.status_code == 429
    assert "Too many failed attempts for this account. Try again at 13:15 (in 15 minutes)." in page
    with time_machine.travel("2026-06-01 12:16:00+00:00", tick=False):
        assert log_in(client, "worker@example.org").status_code == 302


def test_a_deactivated_account_cannot_log_in(app, db, client):
    users.set_active(db, users.by_email(db, "worker@example.org")["id"], False)
    page = log_in(client, "worker@example.org").get_data(as_text=True)
    assert "do not match an account" in page


def test_a_post_without_a_csrf_token_is_refused(client):
    response = client.post("/login", data={"email": "worker@example.org", "password": PASSWORD})
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)


def test_session_cookie_is_httponly_and_samesite_lax(client):
    response = log_in(client, "worker@example.org")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # PUBLIC_BASE_URL is http in tests


def test_session_cookie_is_secure_behind_https(app_config, user_ids):
    from app import create_app
    app = create_app({**app_config, "PUBLIC_BASE_URL": "https://mend.example.org"})
    response = log_in(app.test_client(), "worker@example.org")
    assert "Secure" in response.headers["Set-Cookie"]


def test_login_starts_a_new_session(client):
    csrf_token(client, "/login")
    with client.session_transaction() as session:
        session["planted_by_attacker"] = "x"
        token_before = session["csrf_token"]
    log_in(client, "worker@example.org")
    client.get("/dashboard")
    with client.session_transaction() as session:
        assert "planted_by_attacker" not in session
        assert session["csrf_token"] != token_before
        assert session["_user_id"]


def test_logout_ends_the_session(worker):
    response = post_form(worker, "/logout", {}, page="/dashboard")
    assert response.status_code == 302
    assert worker.get("/dashboard").status_code == 302


def test_pages_need_a_login(client):
    response = client.get("/contacts/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_admin_pages_refuse_workers_and_reviewers(worker, reviewer, admin):
    assert worker.get("/admin/users").status_code == 403
    assert reviewer.get("/admin/users").status_code == 403
    page = admin.get("/admin/users").get_data(as_text=True)
    for email, _, _ in ACCOUNTS.values():
        assert email in page


def test_no_one_is_logged_in_without_the_user_login_event(app, client, db):
    """The attempt, the audit event and the session go together: here the audit log
    refuses the event (a trigger stands in for a crash mid-login), so none is kept."""
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answer 500 as production does
    db.execute("CREATE TRIGGER refuse_login_event BEFORE INSERT ON events"
               " WHEN NEW.action = 'user.login'"
               " BEGIN SELECT RAISE(ABORT, 'the audit log is unavailable'); END")

    assert log_in(client, "worker@example.org").status_code == 500

    assert list(db.query("SELECT * FROM login_attempts WHERE succeeded = 1")) == []
    assert client.get("/dashboard").headers["Location"].startswith("/login")
