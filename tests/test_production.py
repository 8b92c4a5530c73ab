"""Running for real: gunicorn with the shipped config, logs, request ids, upgrades."""
import http.client
import json
import logging
import os
import re
import select
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import requests
from sqlite_utils import Migrations

import settings
from storage import migrations
from storage.connection import connect
from tests.harness.database import prepare_database
from tests.harness.delivery import FROM_NUMBER
from tests.harness.fake_twilio import ACCOUNT_SID, AUTH_TOKEN
from tests.harness.processes import (free_port, server_environment, start_web, stop_process,
                                     wait_until_serving)
from tests.harness.twilio_signing import signature_for

ROOT = Path(__file__).resolve().parent.parent


def test_gunicorn_serves_mend_with_the_shipped_config(tmp_path):
    database = tmp_path / "mend.db"
    prepare_database(str(database))
    port = free_port()
    env = {**os.environ, "MEND_ENV": "production", "SECRET_KEY": "prod-like-secret",
           "DATABASE_PATH": str(database), "BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "2"}
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py", "app:create_app()"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for _ in range(100):
            try:
                response = urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError("gunicorn did not start")
        assert json.loads(response.read())["database"] == "ok"
        assert len(response.headers["X-Request-ID"]) == 32
    finally:
        process.terminate()
        output = process.communicate(timeout=20)[0]
    assert '"GET /healthz" 200' in output  # the access log, with no query string or body


def test_a_request_waiting_for_the_database_holds_up_no_request_after_it(tmp_path):
    """The shipped gunicorn workers take a request only when they are free. While one
    waits for SQLite's write lock (held here by another connection), the requests after
    it go to the other worker and are answered; none waits in a queue behind it (as they
    did behind a gthread worker of one thread, which takes connections it cannot serve)."""
    database = tmp_path / "mend.db"
    prepare_database(str(database))
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {**server_environment(database, fake_url="http://127.0.0.1:9",
                                public_base_url=base_url, BIND=f"127.0.0.1:{port}"),
           "WEB_CONCURRENCY": "2"}
    log_path = tmp_path / "web.log"
    web = start_web(env, log_path)
    holder = sqlite3.connect(database, isolation_level=None)
    waiting = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        wait_until_serving(base_url, web, log_path)
        holder.execute("BEGIN IMMEDIATE")  # nobody else may write until it ends
        params = {"MessageSid": "SM" + "0" * 32, "AccountSid": ACCOUNT_SID,
                  "From": "+447700900456", "To": FROM_NUMBER, "Body": "hello"}
        signature = signature_for(f"{base_url}/webhooks/twilio/inbound", params, AUTH_TOKEN)
        # Sent whole before any other request connects, so a worker takes it first.
        waiting.request("POST", "/webhooks/twilio/inbound", body=urllib.parse.urlencode(params),
                        headers={"X-Twilio-Signature": signature,
                                 "Content-Type": "application/x-www-form-urlencoded"})
        answered = [requests.get(f"{base_url}/healthz", timeout=8).status_code
                    for _ in range(10)]
        unanswered = select.select([waiting.sock], [], [], 0)[0] == []
        holder.execute("ROLLBACK")
        stored = waiting.getresponse()
        assert answered == [200] * 10 and unanswered
        assert stored.status == 200  # stored once the lock was free
    finally:
        waiting.close()
        holder.close()
        stop_process(web)


def test_production_logs_are_json_lines_with_the_request_id(app):
    from web.logging_setup import JsonFormatter, RequestIdFilter
    record = logging.LogRecord("mend.web", logging.WARNING, __file__, 1, "refused %s", ("x",), None)
    with app.test_request_context("/"):
        from flask import g
        g.request_id = "req-12345678"
        RequestIdFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert {k: line[k] for k in ("level", "logger", "request_id", "message")} == {
        "level": "WARNING", "logger": "mend.web", "request_id": "req-12345678",
        "message": "refused x"}


def test_a_well_formed_request_id_is_kept_and_anything_else_replaced(client):
    response = client.get("/healthz", headers={"X-Request-ID": "abc12345-from-proxy"})
    assert response.headers["X-Request-ID"] == "abc12345-from-proxy"
    hostile = client.get("/healthz", headers={"X-Request-ID": "<script>alert(1)</script>"})
    assert len(hostile.headers["X-Request-ID"]) == 32 and "<" not in hostile.headers["X-Request-ID"]


def test_a_database_made_by_the_first_released_schema_upgrades_with_its_data(tmp_path, app_config):
    path = str(tmp_path / "old.db")
    db = connect(path)
    db.enable_wal()
    names = [m.name for m in migrations.migrations.pending(db)]
    migrations.migrations.apply(db, stop_before=names[1:])  # the first released schema: m001 only
    db.execute("INSERT INTO users (email, name, role, password_hash, created_at) VALUES "
               "('w@example.org', 'W', 'worker', 'x', '2026-01-01T00:00:00+00:00')")
    db.execute("INSERT INTO contacts (preferred_name, phone, key_worker_id, created_at) VALUES "
               "('Alex', '+447911123456', 1, '2026-01-01T00:00:00+00:00')")
    db.execute("INSERT INTO messages (contact_id, worker_id, body, encoding, characters, parts, "
               "status, scheduled_for, created_at, updated_at) VALUES (1, 1, 'Hi', 'GSM-7', 2, 1, "
               "'scheduled', '2026-01-02T10:00:00+00:00', '2026-01-01T00:00:00+00:00', "
               "'2026-01-01T00:00:00+00:00')")
    assert migrations.pending_migrations(db) == names[1:]
    migrations.upgrade(db)
    assert migrations.pending_migrations(db) == []
    [message] = list(db.query("SELECT * FROM messages"))
    assert (message["body"], message["status"]) == ("Hi", "scheduled")
    assert list(db.query("SELECT preferred_name FROM contacts")) == [{"preferred_name": "Alex"}]


# The order storage/migrations.py registered (and so ran) them in before issue 11.
OLD_ORDER = ("m001_initial_schema", "m004_delivery", "m006_message_template_fields",
             "m002_template_review", "m003_consent_and_inbox",
             "m005_audit_search_retention_reveals")


# Migrations written after issue 11 came after those, in the file's order.
LATER = tuple(m.name for m in migrations.migrations.pending(connect(":memory:"))
              if m.name not in OLD_ORDER)
OLD_ORDER_THEN_LATER = OLD_ORDER + LATER


def registered_in_the_old_order():
    old = Migrations(migrations.migrations.name)
    for name in OLD_ORDER_THEN_LATER:
        old(name=name)(getattr(migrations, name))
    return old


def top_level_parts(create_sql):
    """The column definitions and constraints of a CREATE TABLE, as a sorted list:
    ALTER TABLE appends columns, so their order depends on the order migrations ran."""
    body = create_sql[create_sql.index("(") + 1:create_sql.rindex(")")]
    parts, depth, current = [], 0, ""
    for character in body:
        depth += {"(": 1, ")": -1}.get(character, 0)
        if character == "," and depth == 0:
            parts.append(" ".join(current.split()))
            current = ""
        else:
            current += character
    return sorted(parts + [" ".join(current.split())])


def schema(db):
    """Tables (columns and constraints, in any order), indexes and triggers by name."""
    rows = db.execute("SELECT type, name, tbl_name, sql FROM sqlite_master "
                      "WHERE name NOT LIKE 'sqlite_%' AND name NOT LIKE '_litestream_%' "
                      "ORDER BY type, name").fetchall()
    return {(kind, name, table): (top_level_parts(sql) if kind == "table" and sql else
                                  " ".join((sql or "").split()))
            for kind, name, table, sql in rows}


def test_migrations_run_in_the_order_they_are_written_in_the_file():
    source = (ROOT / "storage" / "migrations.py").read_text()
    written = re.findall(r"^@migrations\(\)\ndef (m\d{3}\w*)\(", source, flags=re.M)
    empty = connect(":memory:")
    assert [m.name for m in migrations.migrations.pending(empty)] == written
    assert written == sorted(written) and set(written) == set(OLD_ORDER_THEN_LATER)


@pytest.mark.parametrize("applied", range(1, len(OLD_ORDER_THEN_LATER) + 1))
def test_a_database_migrated_in_the_old_order_upgrades_to_the_schema_a_new_one_gets(
        tmp_path, applied):
    fresh = connect(str(tmp_path / "fresh.db"))
    migrations.upgrade(fresh)
    old = connect(str(tmp_path / "old.db"))
    old.enable_wal()
    registered_in_the_old_order().apply(old, stop_before=OLD_ORDER_THEN_LATER[applied:])
    assert [m.name for m in migrations.migrations.applied(old)] == \
        list(OLD_ORDER_THEN_LATER[:applied])
    assert sorted(migrations.pending_migrations(old)) == \
        sorted(OLD_ORDER_THEN_LATER[applied:])
    migrations.upgrade(old)
    assert migrations.pending_migrations(old) == []
    assert schema(old) == schema(fresh)
    assert old.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    fresh.close()
    old.close()


def test_a_database_made_in_the_old_order_is_not_migrated_again(tmp_path):
    db = connect(str(tmp_path / "old.db"))
    db.enable_wal()
    registered_in_the_old_order().apply(db)
    before = list(db.query("SELECT * FROM _sqlite_migrations ORDER BY rowid"))
    migrations.upgrade(db)
    after = list(db.query("SELECT * FROM _sqlite_migrations ORDER BY rowid"))
    assert after[:len(before)] == before  # only migrations written later are added
    assert {row["name"] for row in after[len(before):]}.isdisjoint(OLD_ORDER)
    db.close()


@pytest.mark.parametrize("name, value, message", [
    ("SESSION_IDLE_MINUTES", "0", "SESSION_IDLE_MINUTES must be 1 or more, not 0."),
    ("SESSION_IDLE_MINUTES", "half an hour",
     "SESSION_IDLE_MINUTES must be a whole number, not 'half an hour'."),
    ("HISTORY_PAGE_SIZE", "-5", "HISTORY_PAGE_SIZE must be 1 or more, not -5."),
    ("SCHEDULER_INTERVAL", "5s", "SCHEDULER_INTERVAL must be a whole number, not '5s'."),
])
def test_a_wrong_setting_is_named_with_what_it_must_be(tmp_path, name, value, message):
    with pytest.raises(settings.SettingsError) as error:
        settings.validate(settings.from_environment(
            str(tmp_path), {"SECRET_KEY": "x", name: value}))
    assert str(error.value) == message


def test_a_login_lasts_as_many_idle_minutes_as_the_setting_says(app_config, user_ids):
    from datetime import timedelta
    from app import create_app
    app = create_app({**app_config, "SESSION_IDLE_MINUTES": 5})
    assert app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(minutes=5)
    assert create_app(app_config).config["PERMANENT_SESSION_LIFETIME"] == timedelta(minutes=30)


@pytest.mark.parametrize("trust_proxy, recorded_address", [(0, "127.0.0.1"), (1, "203.0.113.9")])
def test_behind_a_trusted_proxy_the_client_address_and_webhook_signatures_hold(
        app_config, user_ids, database_path, trust_proxy, recorded_address):
    from app import create_app
    from tests.harness.twilio_signing import TEST_AUTH_TOKEN, signature_for
    app = create_app({**app_config, "TRUST_PROXY": trust_proxy, "TWILIO_AUTH_TOKEN": TEST_AUTH_TOKEN,
                      "PUBLIC_BASE_URL": "https://mend.example.org"})
    client = app.test_client()
    proxy_headers = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https",
                     "X-Forwarded-Host": "mend.example.org",
                     "Referer": "https://mend.example.org/login"}  # as a browser sends it
    client.get("/login", headers=proxy_headers)
    log_in_via_proxy = client.post("/login", headers=proxy_headers, data={
        "email": "worker@example.org", "password": "wrong",
        "csrf_token": re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                                client.get("/login", headers=proxy_headers).get_data(as_text=True)).group(1)})
    assert log_in_via_proxy.status_code == 200
    db = connect(database_path)
    [attempt] = list(db.query("SELECT remote_addr FROM login_attempts"))
    assert attempt["remote_addr"] == recorded_address
    params = {"MessageSid": "SM" + "5" * 32, "AccountSid": "AC" + "0" * 32,
              "From": "+447000000001", "To": "+447400123456", "Body": "hello"}
    signature = signature_for("https://mend.example.org/webhooks/twilio/inbound", params)
    response = client.post("/webhooks/twilio/inbound", data=params,
                           headers={**proxy_headers, "X-Twilio-Signature": signature})
    assert response.status_code == 200
