"""Database connections as the web and the dispatcher use them.

Each serving thread keeps its connection between requests (opening one reads the
whole schema). What a request leaves uncommitted never reaches the next one or holds
the write lock, and a database file replaced under a running server is opened
afresh, never written through a connection to the old file. Writers wait their turn
for the write lock, and fail ("database is locked") only after the busy timeout."""
import os
import sqlite3
import threading
import time

import pytest

from storage import connection
from storage.connection import connect, write_transaction
from tests.harness.pages import client_for
from web.database import get_db


def test_a_request_left_mid_write_leaves_no_lock_and_no_half_change(app, app_config):
    with app.test_request_context("/"):
        db = get_db()
        db.conn.execute("BEGIN IMMEDIATE")
        db.conn.execute("UPDATE users SET name = 'Half Written' WHERE id = 1")
    # The request is over: another process can write at once, and the change is gone.
    other = sqlite3.connect(app_config["DATABASE_PATH"], timeout=0.5)
    other.execute("UPDATE users SET email = email WHERE id = 1")
    other.commit()
    assert other.execute("SELECT count(*) FROM users WHERE name = 'Half Written'"
                         ).fetchone()[0] == 0
    other.close()
    with app.test_request_context("/"):
        assert get_db() is db  # the same connection, clean
        assert not db.conn.in_transaction


def test_a_database_file_replaced_under_the_server_is_opened_afresh(app, app_config, tmp_path):
    client = client_for(app, "worker")
    assert "Log out" in client.get("/dashboard").get_data(as_text=True)  # a connection is kept now
    path = app_config["DATABASE_PATH"]
    copy = tmp_path / "restored.db"
    source = connect(path)
    source.execute(f"VACUUM INTO '{copy}'")
    source.close()
    restored = connect(copy)
    restored.execute("UPDATE users SET name = 'Restored Worker' WHERE role = 'worker'")
    restored.conn.commit()
    restored.close()
    os.replace(copy, path)
    assert "Log out Restored" in client.get("/dashboard").get_data(as_text=True)


def _write_lock_held(path, seconds):
    """Another process's writer (a connection of its own) holds SQLite's write lock for
    `seconds` from now; returns its thread once it holds it."""
    ready = threading.Event()

    def hold():
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        other.execute("UPDATE users SET name = name WHERE id = 1")
        ready.set()
        time.sleep(seconds)
        other.execute("COMMIT")
        other.close()

    holder = threading.Thread(target=hold)
    holder.start()
    ready.wait(5)
    return holder


def test_a_writer_waits_for_another_connections_lock_and_goes_when_it_is_free(app_config, user_ids):
    path = app_config["DATABASE_PATH"]
    holder = _write_lock_held(path, 0.3)
    db = connect(path)
    started = time.monotonic()
    with write_transaction(db):
        db.execute("UPDATE users SET name = 'After The Wait' WHERE id = 1")
    waited = time.monotonic() - started
    holder.join()
    assert db.execute("SELECT name FROM users WHERE id = 1").fetchone()[0] == "After The Wait"
    assert waited >= 0.25  # it waited for the lock rather than failing
    db.close()


def test_writers_in_many_threads_each_wait_their_turn_and_none_is_lost(app_config, user_ids):
    path = app_config["DATABASE_PATH"]
    errors = []

    def writer(n):
        db = connect(path)
        try:
            for k in range(20):
                with write_transaction(db):
                    count = db.execute("SELECT count(*) FROM login_attempts").fetchone()[0]
                    db.execute("INSERT INTO login_attempts (email, remote_addr, attempted_at,"
                               " succeeded) VALUES (?, '127.0.0.1', ?, 0)",
                               [f"writer{n}-{k}@example.org", f"2026-01-01T00:{count:04d}"])
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            db.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    db = connect(path)
    assert db.execute("SELECT count(*) FROM login_attempts WHERE email LIKE 'writer%'"
                      ).fetchone()[0] == 160
    db.close()


def test_a_writer_still_waiting_when_the_busy_timeout_ends_is_refused_and_writes_nothing(
        app_config, user_ids, monkeypatch):
    monkeypatch.setattr(connection, "BUSY_TIMEOUT_MS", 200)
    path = app_config["DATABASE_PATH"]
    holder = _write_lock_held(path, 1.0)
    db = connect(path)
    with pytest.raises(sqlite3.OperationalError, match="database is locked"):
        with write_transaction(db):
            db.execute("UPDATE users SET name = 'Never' WHERE id = 1")
    holder.join()
    assert db.execute("SELECT count(*) FROM users WHERE name = 'Never'").fetchone()[0] == 0
    db.close()
