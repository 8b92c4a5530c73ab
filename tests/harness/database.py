"""Databases for tests and benchmarks, and what must hold in one after a run.

`prepare_database` makes the app's database (migrated, one account per role, all with
`PASSWORD`, the starter library proposed and approved by the test reviewer); `make_database` a light one with one worker, for
the dispatcher; `add_person` and `add_message` fill it; `fresh_database` and
`insert_in_batches` start the benchmarks' large ones; `database_before` is one as an
older release left it. The `*_problems` functions
return the broken invariants as sentences (an empty list when all is well).
"""
import itertools
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

from sms.encoding import count
from sms.library import read_library
from storage import contacts, events, messages, migrations, sms_templates, users
from storage.connection import connect
from actions import templates as template_workflows
from actions.accounts import hash_password

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery staple"
ACCOUNTS = {
    "worker": ("worker@example.org", "Sam Worker", "worker"),
    "other_worker": ("other@example.org", "Jo Other", "worker"),
    "reviewer": ("reviewer@example.org", "Rita Reviewer", "reviewer"),
    "second_reviewer": ("reviewer2@example.org", "Ravi Reviewer", "reviewer"),
    "admin": ("admin@example.org", "Ada Admin", "admin"),
}
# Approves the starter library when the accounts asked for include no reviewer.
SETUP_REVIEWER = ("setup-reviewer@example.org", "Set-up Reviewer")
PASSWORD_HASH = hash_password(PASSWORD)  # hashed once: argon2 is slow on purpose
# A Wednesday in November, 11:00 in London (UTC+0): inside the default window.
NOON_ISH = datetime(2026, 11, 25, 11, 0, tzinfo=timezone.utc)


def fresh_database(path):
    """A new, migrated database at `path` (any old file and its WAL removed) with the
    starter library and no accounts, open: where the benchmarks build their data."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    prepare_database(path, accounts={})
    return connect(path)


def insert_in_batches(db, table, rows, size=20_000, progress=None):
    """Insert generated rows `size` at a time (a benchmark's millions never sit in
    memory at once); `progress(n)` is told each batch's length."""
    rows = iter(rows)
    while batch := list(itertools.islice(rows, size)):
        db.table(table).insert_all(batch, batch_size=size)
        if progress is not None:
            progress(len(batch))


def database_before(path, migration, *statements):
    """A database as an older release left it: migrated up to (not including)
    `migration`, then `statements` (that release's rows) run and committed. Call
    `migrations.upgrade(db)` on it to test the upgrade."""
    db = connect(path)
    db.enable_wal()
    names = [step.name for step in migrations.migrations.pending(db)]
    migrations.migrations.apply(db, stop_before=names[names.index(migration):])
    for statement in statements:
        db.execute(statement)
    db.conn.commit()
    return db


def prepare_database(path, accounts=ACCOUNTS):
    """Migrate, load the starter library and create one account per role."""
    db = connect(path)
    migrations.upgrade(db)
    templates, problems = read_library(ROOT / "templates_sms")
    assert problems == []
    # English only: the starter translations wait for a fluent reviewer and no worker
    # sees them, so most tests start from the English library (tests/test_languages.py
    # loads the translations where they matter).
    templates = [t for t in templates if t["language"] == "en"]
    ids = {}
    for key, (email, name, role) in accounts.items():
        ids[key] = users.create(db, email=email, name=name, role=role,
                                password_hash=PASSWORD_HASH)
    reviewer_id = next((ids[key] for key, account in accounts.items()
                        if account[2] == "reviewer"), None)
    if reviewer_id is None:  # someone of the service must approve the starters
        reviewer_id = users.create(db, email=SETUP_REVIEWER[0], name=SETUP_REVIEWER[1],
                                   role="reviewer", password_hash=PASSWORD_HASH)
    load_and_approve_library(db, templates, reviewer_id=reviewer_id)
    db.close()
    return ids


def load_and_approve_library(db, templates, *, reviewer_id):
    """Propose the starter files and approve them as the test reviewer, as a reviewer of
    a service would in the app (without a reviewer they stay waiting)."""
    template_workflows.load_library(db, templates)
    reviewer = users.get(db, reviewer_id)
    for version in sms_templates.waiting_library_drafts(db):
        template_workflows.review_version(db, version, status="approved",
                                          note="Approved in the test set-up.",
                                          reviewer_id=reviewer_id,
                                          reviewer_name=reviewer["name"])


def make_database(path):
    """A migrated database with one worker (who cannot log in); returns (db, worker id)."""
    db = connect(path)
    migrations.upgrade(db)
    worker_id = users.create(db, email="worker@example.org", name="Sam Worker",
                             role="worker", password_hash="not-a-real-hash")
    return db, worker_id


def add_person(db, worker_id, *, phone="+447911123456", name="Alex", consent="granted",
               safe_hours=None):
    contact_id = contacts.create(db, preferred_name=name, phone=phone,
                                 key_worker_id=worker_id, created_by=worker_id)
    contacts.record_consent(db, contact_id=contact_id, state=consent, method="in_person",
                            recorded_by=worker_id)
    if safe_hours:
        start, end = safe_hours.split("-")
        db.execute("UPDATE contacts SET safe_hours_start = ?, safe_hours_end = ? WHERE id = ?",
                   [start, end, contact_id])
    return contact_id


def add_message(db, worker_id, contact_id, *, body="Alex, it makes sense you felt let "
                "down on Tuesday. No need to reply. Sam", due=NOON_ISH):
    counted = count(body)
    return messages.create(db, contact_id=contact_id, worker_id=worker_id,
                           template_version_id=None, body=counted.text,
                           encoding=counted.encoding, characters=counted.characters,
                           parts=counted.parts, warnings=[], scheduled_for=due)


def status_of(db, message_id):
    return messages.get(db, message_id)["status"]


def actions_for(db, message_id):
    return [event["action"] for event in events.for_subject(db, "message", message_id)]


# --- what must hold after a run ---------------------------------------------------

def file_problems(db):
    """PRAGMA integrity_check and the audit chain; returns (problems, (result, events))."""
    problems = []
    integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
    if integrity != "ok":
        problems.append(f"integrity_check: {integrity}")
    checked, chain_problem = events.verify_chain(db)
    if chain_problem:
        problems.append(f"audit chain: {chain_problem}")
    return problems, (integrity, checked)


def scheduled_event_problems(db, message_ids):
    """Each text has exactly one `message.scheduled` event."""
    scheduled = Counter(row["subject_id"] for row in db.query(
        "SELECT subject_id FROM events WHERE action = 'message.scheduled'"))
    return [f"message {message_id} has {scheduled[message_id]} message.scheduled events"
            for message_id in message_ids if scheduled[message_id] != 1]


def status_problems(db):
    """Every text has one of the statuses the lifecycle knows."""
    return [f"message {row['id']} has the unknown status {row['status']!r}"
            for row in db.query("SELECT id, status FROM messages")
            if row["status"] not in messages.STATUSES]


def sent_twice_problems(db, received_sids):
    """No text reached the provider twice: the SIDs the fake Twilio took (with
    repeats) are unique and are exactly the ones the database records as sent."""
    problems = []
    received = Counter(received_sids)
    if received and max(received.values()) > 1:
        problems.append("the fake holds a SID twice")
    stored = Counter(row["provider_sid"] for row in db.query(
        "SELECT provider_sid FROM messages WHERE provider_sid IS NOT NULL"))
    if stored and max(stored.values()) > 1:
        problems.append("two messages share a provider SID")
    if set(stored) != set(received):
        problems.append(f"the fake took {len(received)} texts but {len(stored)} "
                        "are recorded as sent")
    return problems


def after_withdrawal_problems(db):
    """No text was scheduled after its person withdrew consent (texted STOP)."""
    late = list(db.query(
        "SELECT contacts.phone FROM messages JOIN contacts ON contacts.id = messages.contact_id"
        " WHERE messages.created_at > (SELECT max(recorded_at) FROM consents"
        "   WHERE consents.contact_id = contacts.id AND state = 'withdrawn')"))
    return [f"{len(late)} text(s) scheduled after a STOP"] if late else []
