"""What must hold after a load run: in the database (besides the invariants every run
keeps, from tests.harness.database), in the processes' logs, and once the dispatcher has
sent everything."""
import time
from collections import Counter

from bench.load.tally import LOCKED
from storage.connection import connect
from tests.harness.database import (after_withdrawal_problems, file_problems,
                                    scheduled_event_problems, sent_twice_problems,
                                    status_problems)

FINAL_STATES = {"sent", "delivered"}
OTHER_END_STATES = {"cancelled", "failed", "expired", "undelivered", "unknown"}
DRAIN_PATIENCE = 90  # seconds for the dispatcher to send what was scheduled


def check_database(database_path, tally, fake_state, stopped_phones):
    """Every confirmed text exists, is whole and ended well; the file and the log are
    sound. Returns (problems, facts for the report)."""
    db = connect(database_path)
    try:
        problems, (integrity, checked) = file_problems(db)
        rows = {row["id"]: row for row in db.query(
            "SELECT messages.*, contacts.phone FROM messages"
            " JOIN contacts ON contacts.id = messages.contact_id")}
        confirmed_ids = [message_id for message_id, _ in tally.confirmed]
        if len(set(confirmed_ids)) != len(confirmed_ids):
            problems.append("two confirmations named the same message")
        problems += [f"message {message_id} was confirmed but is not stored"
                     for message_id in confirmed_ids if message_id not in rows]
        problems += scheduled_event_problems(db, [m for m in confirmed_ids if m in rows])
        problems += status_problems(db)
        for message_id in confirmed_ids:
            if message_id in rows:
                problems += end_state_problems(rows[message_id], stopped_phones)
        extra = set(rows) - set(confirmed_ids)
        if extra:
            problems.append(f"{len(extra)} message(s) stored that no worker was told about")
        problems += sent_twice_problems(db, [m["sid"] for m in fake_state["created"]])
        problems += after_withdrawal_problems(db)
        statuses = Counter(row["status"] for row in rows.values())
        return problems, {"statuses": dict(statuses), "events": checked,
                          "integrity": integrity}
    finally:
        db.close()


def end_state_problems(row, stopped_phones):
    """A text ends sent or delivered, or (only for someone who texted STOP) in another
    end state with a reason."""
    if row["status"] in OTHER_END_STATES and not row["status_reason"]:
        return [f"message {row['id']} is {row['status']} with no reason"]
    if row["status"] not in FINAL_STATES | OTHER_END_STATES:
        return [f"message {row['id']} ended {row['status']}"]
    if row["status"] in OTHER_END_STATES and row["phone"] not in stopped_phones:
        return [f"message {row['id']} ended {row['status']}: {row['status_reason']}"]
    return []


def log_problems(name, log_path):
    output = log_path.read_text(errors="replace")
    problems = []
    if LOCKED in output:
        problems.append(f"'{LOCKED}' in the {name}'s output")
    if "Traceback" in output:
        problems.append(f"a traceback in the {name}'s output")
    return problems


def wait_for_drain(database_path, scheduler):
    """Until nothing is scheduled or sending and every text the fake took has its callbacks."""
    deadline = time.monotonic() + DRAIN_PATIENCE
    while time.monotonic() < deadline and scheduler.poll() is None:
        db = connect(database_path)
        try:
            left = db.execute("SELECT count(*) FROM messages WHERE status IN "
                              "('scheduled', 'sending') OR (status = 'sent' AND "
                              "provider_sid IS NOT NULL)").fetchone()[0]
        finally:
            db.close()
        if not left:
            return True
        time.sleep(0.5)
    return False
