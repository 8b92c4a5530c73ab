"""`flask --app app db backup PATH`: a consistent copy while the app keeps writing."""
import sqlite3
import threading

from storage import events
from storage.connection import connect


def backup(app, path):
    return app.test_cli_runner().invoke(args=["db", "backup", str(path)])


def test_a_live_database_is_backed_up_consistently_while_another_writer_runs(
        app, database_path, tmp_path):
    stop = threading.Event()
    written = []

    def keep_writing():
        writer = connect(database_path)
        try:
            while not stop.is_set() and len(written) < 5000:
                written.append(events.record(writer, action="alert.raised", subject_type="alert"))
        finally:
            writer.close()

    thread = threading.Thread(target=keep_writing)
    thread.start()
    try:
        while len(written) < 20 and thread.is_alive():  # writing before the copy starts
            stop.wait(0.01)
        result = backup(app, tmp_path / "copy.db")
    finally:
        stop.set()
        thread.join()
    assert result.exit_code == 0, result.output
    assert f"Backed up to {tmp_path / 'copy.db'} (" in result.output

    copy = sqlite3.connect(tmp_path / "copy.db")
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    copy.close()
    copied = connect(str(tmp_path / "copy.db"))
    report = events.verify(copied)
    assert report.intact and report.count >= 20
    assert copied.execute("SELECT count(*) FROM messages").fetchone()[0] == 0
    copied.close()


def test_a_backup_never_overwrites_a_file(app, tmp_path):
    target = tmp_path / "existing.db"
    target.write_text("precious")
    result = backup(app, target)
    assert result.exit_code == 1
    assert (f"{target} already exists. Choose a new file name; a backup never "
            "overwrites a file.") in result.output
    assert target.read_text() == "precious"


def test_a_backup_into_a_missing_folder_says_so(app, tmp_path):
    result = backup(app, tmp_path / "nowhere" / "copy.db")
    assert result.exit_code == 1
    assert f"The folder {tmp_path / 'nowhere'} does not exist." in result.output


def test_the_backup_is_recorded_in_the_live_audit_log(app, db, tmp_path):
    before = events.count(db)
    backup(app, tmp_path / "copy.db")
    [row] = db.query("SELECT detail FROM events WHERE action = 'database.backed_up'")
    assert f'"events_in_copy": {before}' in row["detail"]
