"""`flask --app app audit verify` proves the audit log was not altered behind the
app's back, even by someone who can edit the SQLite file and drop its triggers."""
import hashlib
import sqlite3

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storage import events
from tests.audit_helpers import tamper
from tests.test_cli import flask_command


@pytest.fixture
def chained_db(db):
    """At least six events: the starter library's, and two more at the end."""
    for number in (1, 2):
        events.record(db, action="alert.raised", subject_type="alert", subject_id=number,
                      detail={"n": number})
    assert events.count(db) >= 6
    return db


def last_id(db):
    return events.count(db)


def verify(app):
    return app.test_cli_runner().invoke(args=["audit", "verify"])


def head_hash(db):
    return db.execute("SELECT hash FROM events ORDER BY id DESC LIMIT 1").fetchone()[0]


def test_an_intact_log_exits_0_with_the_count_and_the_head_hash(app, chained_db):
    result = verify(app)
    assert result.exit_code == 0, result.output
    assert f"The audit log is intact: {last_id(chained_db)} event(s) checked." in result.output
    assert f"Head hash: {head_hash(chained_db)}" in result.output


TAMPERING = pytest.mark.parametrize("statements, problem", [
    (["UPDATE events SET detail = '{\"n\": 50}' WHERE id = 3"],
     "event 3 was altered (its hash does not match its content)"),
    (["UPDATE events SET at = '2020-01-01T00:00:00+00:00' WHERE id = 5"],
     "event 5 was altered (its hash does not match its content)"),
    (["UPDATE events SET detail = CAST(detail AS BLOB) WHERE id = 4"],
     "event 4 was altered (its hash does not match its content)"),
    (["UPDATE events SET detail = CAST(detail AS BLOB) WHERE id = 1"],
     "event 1 was altered (its hash does not match its content)"),
    (["UPDATE events SET actor_id = 2.5 WHERE id = 3"],
     "event 3 was altered (its hash does not match its content)"),
    (["UPDATE events SET detail = CAST(x'7b22ff227d' AS TEXT) WHERE id = 5"],
     "event 5 was altered (its hash does not match its content)"),
    (["DELETE FROM events WHERE id = 3"],
     "event 3 is missing (the next event is 4)"),
    (["DELETE FROM events WHERE id = 1"],
     "event 1 is missing (the next event is 2)"),
    (["DELETE FROM events WHERE id = 3", "UPDATE events SET id = id - 1 WHERE id > 3"],
     "event 3 does not follow event 2: an event before it was removed, added or reordered"),
    (["UPDATE events SET id = 100 WHERE id = 3", "UPDATE events SET id = 3 WHERE id = 4",
      "UPDATE events SET id = 4 WHERE id = 100"],
     "event 3 does not follow event 2: an event before it was removed, added or reordered"),
    (["INSERT INTO events (id, at, actor_type, action, subject_type, detail, prev_hash, hash)"
      " SELECT id + 1, at, actor_type, action, subject_type, detail, hash, hash FROM events"
      " WHERE id = (SELECT max(id) FROM events)"],
     "event {after_last} was altered (its hash does not match its content)"),
    (["INSERT INTO events (id, at, actor_type, action, subject_type, detail, prev_hash, hash)"
      " SELECT 0, at, actor_type, action, subject_type, detail, prev_hash, hash FROM events"
      " WHERE id = 1"],
     "event 1 is missing (the next event is 0)"),
], ids=["edit detail", "edit time", "detail made bytes", "first detail made bytes",
        "id made a fraction", "detail not UTF-8",
        "delete middle", "delete first", "delete and renumber",
        "reorder", "forge an event", "forge an event before the first"])


@TAMPERING
def test_tampering_through_raw_sqlite_is_detected_naming_the_first_broken_event(
        app, chained_db, database_path, statements, problem):
    problem = problem.format(after_last=last_id(chained_db) + 1)
    tamper(database_path, *statements)
    result = verify(app)
    assert result.exit_code == 1
    assert f"The audit log has been altered: {problem}." in result.output


@TAMPERING
def test_a_large_log_checked_in_parallel_names_the_same_first_broken_event(
        app, chained_db, database_path, statements, problem, monkeypatch):
    """A log of a million events or more is checked in stretches, one process per
    core; whatever was changed, the report is the one a single pass gives. (One
    stretch per process here, so the changed event falls inside a stretch.)"""
    monkeypatch.setattr(events, "PARALLEL_FROM", 0)
    monkeypatch.setattr(events, "STRETCHES_PER_PROCESS", 1)
    monkeypatch.setattr(events.os, "cpu_count", lambda: 2)
    problem = problem.format(after_last=last_id(chained_db) + 1)
    tamper(database_path, *statements)
    result = verify(app)
    assert result.exit_code == 1
    assert f"The audit log has been altered: {problem}." in result.output


def test_a_large_intact_log_checked_in_parallel_gives_the_count_and_head_of_one_pass(
        chained_db, monkeypatch):
    one_pass = events.verify(chained_db)
    monkeypatch.setattr(events, "PARALLEL_FROM", 0)
    monkeypatch.setattr(events.os, "cpu_count", lambda: 3)
    assert events._verify_in_parallel(chained_db, events.GENESIS_HASH, 1) == (
        one_pass.count, one_pass.head_hash, None, None)
    assert events.verify(chained_db) == one_pass
    after = (2, chained_db.execute("SELECT hash FROM events WHERE id = 2").fetchone()[0])
    assert events.verify(chained_db, after=after) == one_pass


def test_an_attacker_who_recomputes_one_hash_still_breaks_the_next_link(
        app, chained_db, database_path):
    row = dict(zip(("id", "at", "actor_type", "actor_id", "action", "subject_type",
                    "subject_id", "detail", "prev_hash"),
                   chained_db.execute("SELECT id, at, actor_type, actor_id, action,"
                                      " subject_type, subject_id, detail, prev_hash"
                                      " FROM events WHERE id = 2").fetchone()))
    row["detail"] = '{"edited": true}'
    forged = events.event_hash(row, row["prev_hash"])
    tamper(database_path, f"UPDATE events SET detail = '{row['detail']}', hash = '{forged}'"
                          " WHERE id = 2")
    result = verify(app)
    assert result.exit_code == 1
    assert "event 3 does not follow event 2" in result.output


def test_removed_append_only_triggers_are_reported(app, chained_db, database_path):
    conn = sqlite3.connect(database_path)
    conn.execute("DROP TRIGGER events_append_only_delete")
    conn.commit()
    conn.close()
    result = verify(app)
    assert result.exit_code == 1
    assert ("The triggers that refuse edits and deletes are missing "
            "(events_append_only_delete): someone removed them.") in result.output


def test_deleting_the_newest_event_is_caught_only_by_the_recorded_head_hash(
        app, chained_db, database_path):
    """A chain cannot show that its tail was cut: the head hash printed by verify,
    kept somewhere else, can."""
    recorded, last = head_hash(chained_db), last_id(chained_db)
    tamper(database_path, f"DELETE FROM events WHERE id = {last}")
    result = verify(app)
    assert result.exit_code == 0
    assert f"The audit log is intact: {last - 1} event(s) checked." in result.output
    assert f"Head hash: {recorded}" not in result.output


def test_the_database_still_refuses_edits_and_deletes_of_events(chained_db):
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        chained_db.execute("UPDATE events SET detail = '{}' WHERE id = 2")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        chained_db.execute("DELETE FROM events WHERE id = 6")


def test_verify_runs_as_an_operator_would_type_it(tmp_path):
    assert flask_command(tmp_path, "db", "upgrade").returncode == 0
    result = flask_command(tmp_path, "audit", "verify")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[:2] == [
        "The audit log is intact: 0 event(s) checked.", f"Head hash: {'0' * 64}"]


def events_table(rows):
    """An in-memory events table holding `rows` (dicts of every column), as the
    migration makes it."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, at TEXT NOT NULL,"
                 " actor_type TEXT NOT NULL, actor_id INTEGER, action TEXT NOT NULL,"
                 " subject_type TEXT NOT NULL, subject_id INTEGER,"
                 " detail TEXT NOT NULL DEFAULT '{}', prev_hash TEXT NOT NULL,"
                 " hash TEXT NOT NULL)")
    conn.executemany("INSERT INTO events VALUES (:id, :at, :actor_type, :actor_id, :action,"
                     " :subject_type, :subject_id, :detail, :prev_hash, :hash)", rows)
    return conn


def chained(fields_list, first_id=1, prev_hash=events.GENESIS_HASH):
    """Rows chained as `record` chains them."""
    rows = []
    for offset, fields in enumerate(fields_list):
        event = {**fields, "id": first_id + offset}
        digest = events.event_hash(event, prev_hash)
        rows.append({**event, "prev_hash": prev_hash, "hash": digest})
        prev_hash = digest
    return rows


def check(conn, first_id=1):
    return events._check_range(conn, "", [], events.GENESIS_HASH, first_id)


_EVENT = st.fixed_dictionaries({
    "at": st.text(), "actor_type": st.sampled_from(events.ACTOR_TYPES),
    "actor_id": st.none() | st.integers(min_value=-2**63, max_value=2**63 - 1),
    "action": st.text(max_size=3), "subject_type": st.text(max_size=3),
    "subject_id": st.none() | st.integers(min_value=-2**63, max_value=2**63 - 1),
    "detail": st.text()})


@given(event=_EVENT, event_id=st.integers(min_value=1, max_value=2**63 - 1),
       prev_hash=st.text(alphabet="0123456789abcdef", min_size=64, max_size=64))
def test_sqlite_writes_exactly_the_bytes_record_hashed(event, event_id, prev_hash):
    """`audit verify` hashes what SQLite's json_object writes for each row: whatever
    an event holds (quotes, control characters, emoji, NULL or very large ids),
    it must be the bytes `record` hashed, or every such event would be read twice."""
    event = {**event, "id": event_id}
    conn = events_table([{**event, "prev_hash": prev_hash, "hash": ""}])
    written = conn.execute(f"SELECT {events._CONTENT} FROM events").fetchone()[0]
    assert written == (prev_hash + events.canonical_content(event)).encode("utf-8")


@given(chain=st.lists(_EVENT, min_size=1, max_size=12), first_id=st.integers(1, 2**40),
       altered=st.data())
def test_verifys_loop_accepts_exactly_the_chain_record_wrote(chain, first_id, altered):
    """Over any run of events stored in SQLite, `audit verify`'s loop must accept
    the hashes `record` wrote, and name the event whose content changed."""
    rows = chained(chain, first_id)
    head = rows[-1]["hash"]
    assert check(events_table(rows), first_id) == (first_id + len(chain) - 1, head, None, None)

    broken = altered.draw(st.integers(0, len(chain) - 1))
    rows[broken]["detail"] += "!"
    count, head, problem, broken_id = check(events_table(rows), first_id)
    assert (count, broken_id) == (first_id + broken - 1, first_id + broken)
    assert problem == (f"event {first_id + broken} was altered"
                       " (its hash does not match its content)")
    assert head == (rows[broken - 1]["hash"] if broken else events.GENESIS_HASH)


def test_fractional_ids_are_checked_as_record_hashed_them():
    """SQLite writes a REAL with 15 digits (1e+20 as 1.0e+20, and 0.1 and
    0.10000000000000002 alike): Mend writes no such id, but if one is there, the
    hash Python gives decides, so it is neither called altered nor passed when
    changed by the smallest step."""
    fields = {"at": "2026-11-30T20:00:00+00:00", "actor_type": "system", "actor_id": None,
              "action": "alert.raised", "subject_type": "alert", "detail": "{}"}
    rows = chained([{**fields, "subject_id": 1e20}, {**fields, "subject_id": 0.1},
                    {**fields, "subject_id": 7}])
    assert check(events_table(rows)) == (3, rows[-1]["hash"], None, None)
    rows[1]["subject_id"] = 0.10000000000000002
    conn = events_table(rows)
    assert conn.execute("SELECT json_object('n', subject_id) FROM events WHERE id = 2"
                        ).fetchone()[0] == '{"n":0.1}'  # SQLite alone would pass it
    assert check(conn)[2] == "event 2 was altered (its hash does not match its content)"


# What someone who edits the file and hashes SQLite's own JSON of a row would write.
_SQLITE_JSON = ("CAST(prev_hash || json_object('action', action, 'actor_id', actor_id,"
                " 'actor_type', actor_type, 'at', at, 'detail', detail, 'id', id,"
                " 'subject_id', subject_id, 'subject_type', subject_type) AS BLOB)")


def rehash_from(conn, first_id):
    """Chain every event from `first_id` on again over SQLite's JSON of it."""
    for (event_id,) in conn.execute("SELECT id FROM events WHERE id >= ? ORDER BY id",
                                    [first_id]).fetchall():
        conn.execute("UPDATE events SET prev_hash = (SELECT hash FROM events WHERE id = ?)"
                     " WHERE id = ?", [event_id - 1, event_id])
        content = conn.execute(f"SELECT {_SQLITE_JSON} FROM events WHERE id = ?",
                               [event_id]).fetchone()[0]
        conn.execute("UPDATE events SET hash = ? WHERE id = ?",
                     [hashlib.sha256(content).hexdigest(), event_id])


def test_an_infinite_id_hashed_as_sqlite_writes_it_is_called_altered():
    """SQLite writes an infinite REAL as Inf, Python as Infinity: a chain hashed over
    SQLite's JSON after an id was made infinite is not the chain `record` wrote."""
    fields = {"at": "2026-11-30T20:00:00+00:00", "actor_type": "user", "actor_id": 5,
              "action": "alert.raised", "subject_type": "alert", "detail": "{}"}
    rows = chained([{**fields, "subject_id": n} for n in (1, 2, 3)])
    conn = events_table(rows)
    conn.execute("UPDATE events SET actor_id = 9e999 WHERE id = 2")
    rehash_from(conn, 2)
    assert check(conn)[2] == "event 2 was altered (its hash does not match its content)"


def test_a_row_no_hash_matches_is_altered_even_where_the_stored_hash_is_null():
    """In a table rebuilt without its NOT NULL rules, a detail made bytes beside a
    NULL hash must not pass as matching nothing."""
    fields = {"at": "2026-11-30T20:00:00+00:00", "actor_type": "system", "actor_id": None,
              "action": "alert.raised", "subject_type": "alert", "detail": "{}"}
    rows = chained([{**fields, "subject_id": n} for n in (1, 2, 3)])
    rows[1] = {**rows[1], "detail": b"{}", "hash": None}
    rows[2] = {**rows[2], "prev_hash": None, "hash": None}
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, at, actor_type, actor_id,"
                 " action, subject_type, subject_id, detail, prev_hash, hash)")
    conn.executemany("INSERT INTO events VALUES (:id, :at, :actor_type, :actor_id, :action,"
                     " :subject_type, :subject_id, :detail, :prev_hash, :hash)", rows)
    count, head, problem, broken = check(conn)
    assert (count, head, broken) == (1, rows[0]["hash"], 2)
    assert problem == "event 2 was altered (its hash does not match its content)"
