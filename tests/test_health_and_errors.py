"""/healthz, friendly error pages, and the audit chain's protection."""
import sqlite3

import pytest

from scheduler.dispatcher import DispatchSettings, dispatch_due
from sms.gateways import ConsoleGateway
from sms.send_window import parse_window
from storage import events
from tests.harness.pages import client_for


def test_healthz_reports_the_database_and_the_last_tick(client, db):
    body = client.get("/healthz").get_json()
    assert body == {"database": "ok", "scheduler_last_tick_seconds_ago": None, "alerts": []}
    dispatch_due(db, ConsoleGateway(), settings=DispatchSettings(
        zone="Europe/London", window=parse_window("00:00-24:00")))
    seconds = client.get("/healthz").get_json()["scheduler_last_tick_seconds_ago"]
    assert 0 <= seconds < 60


def test_an_unknown_page_is_a_friendly_404(worker):
    response = worker.get("/no/such/page")
    assert response.status_code == 404
    assert "We could not find that page" in response.get_data(as_text=True)


def test_an_error_is_a_friendly_500_with_no_stack_trace(app):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/__boom")
    def boom():
        raise RuntimeError("secret internals")

    response = client_for(app, "worker").get("/__boom")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Sorry, something went wrong on our side" in page
    assert "Traceback" not in page and "secret internals" not in page


def test_security_headers_are_on_every_page(client):
    headers = client.get("/login").headers
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"


def test_the_audit_log_refuses_edits_and_deletes_and_verifies(worker, db):
    count, problem = events.verify_chain(db)
    assert count >= 1 and problem is None
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("UPDATE events SET action = 'x' WHERE id = 1")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("DELETE FROM events WHERE id = 1")
