"""Each serving thread keeps its database connection between requests (opening one
reads the whole schema). What a request leaves uncommitted never reaches the next one
or holds the write lock, and a database file replaced under a running server is
opened afresh, never written through a connection to the old file."""
import os
import sqlite3

from storage.connection import connect
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
