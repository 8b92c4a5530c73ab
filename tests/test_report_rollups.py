"""The dashboard's running totals (migration m041) always equal the figures counted
from the texts and replies themselves, whatever order things happen in, and a
database that already had texts is counted once when it is upgraded."""
import random
from datetime import datetime, timedelta, timezone

from storage import contacts, delivery, inbound, messages, migrations, reports, users
from storage.connection import connect, to_db_time
from tests.harness.database import add_person, prepare_database

MONDAY = datetime(2026, 9, 7, tzinfo=timezone.utc)
STATUSES = ("scheduled", "sent", "delivered", "undelivered", "failed", "cancelled",
            "expired", "unknown")


def counted_from_texts(db, since):
    """The definitions, counted straight from the rows (what the dashboard did before)."""
    weeks = {}
    for row in db.query(
            "SELECT date(scheduled_for, 'weekday 0', '-6 days') AS week, status,"
            " count(*) AS n FROM messages WHERE scheduled_for >= ? GROUP BY week, status",
            [to_db_time(since)]):
        weeks.setdefault(row["week"], {})[row["status"]] = row["n"]
    rates = list(db.query(
        "SELECT v.template_id AS template_id, max(v.title) AS title, count(*) AS reached,"
        " sum(EXISTS (SELECT 1 FROM inbound_messages i WHERE i.contact_id = m.contact_id"
        "   AND i.kind = 'reply' AND i.received_at > m.sent_at"
        "   AND i.received_at <= strftime('%Y-%m-%dT%H:%M:%S+00:00', m.sent_at, '+7 days')))"
        "   AS replied"
        " FROM messages m LEFT JOIN template_versions v ON v.id = m.template_version_id"
        " WHERE m.sent_at >= ? AND m.status IN ('sent', 'delivered')"
        " GROUP BY v.template_id ORDER BY reached DESC, title", [to_db_time(since)]))
    return weeks, rates


def a_busy_month(db, rng, *, versions, worker_id, contact_ids, texts=120):
    """Texts scheduled, sent, delivered, failed, cancelled, moved; replies and STOPs,
    in a shuffled order, through the storage functions Mend uses."""
    ids = []
    for n in range(texts):
        due = MONDAY + timedelta(hours=rng.randrange(0, 24 * 35))
        ids.append(messages.create(
            db, contact_id=rng.choice(contact_ids), worker_id=worker_id,
            template_version_id=rng.choice(versions), body=f"Text {n}", encoding="GSM-7",
            characters=7, parts=1, warnings=[], scheduled_for=due))
    for message_id in rng.sample(ids, texts // 2):
        row = messages.get(db, message_id)
        messages.transition(db, message_id, from_statuses=("scheduled",), to_status="sending")
        sent_at = datetime.fromisoformat(row["scheduled_for"]) + timedelta(minutes=1)
        delivery.record_sent(db, message_id, provider_sid=f"SM{message_id}",
                             provider_status="queued", parts=1, provider_parts=1,
                             sent_at=sent_at, gateway="console", attempt=1)
        later = rng.choice(["delivered", "undelivered", "failed", None])
        if later:
            messages.transition(db, message_id, from_statuses=("sent",), to_status=later)
        if rng.random() < 0.5:
            inbound.record(db, provider_sid=f"SMin{message_id}", from_number=None,
                           contact_id=row["contact_id"], body="ok", kind="reply",
                           received_at=sent_at + timedelta(hours=rng.randrange(1, 24 * 10)))
    for message_id in rng.sample(ids, texts // 8):
        moved = MONDAY + timedelta(hours=rng.randrange(0, 24 * 35))
        db.execute("UPDATE messages SET scheduled_for = ? WHERE id = ? AND status = 'scheduled'",
                   [to_db_time(moved), message_id])
    for message_id in rng.sample(ids, texts // 8):
        messages.transition(db, message_id, from_statuses=("scheduled",),
                            to_status=rng.choice(["cancelled", "expired", "unknown"]))
    inbound.record(db, provider_sid="SMstop", from_number=None, contact_id=contact_ids[0],
                   body="STOP", kind="stop", received_at=MONDAY + timedelta(days=3))


def versions_of(db):
    return [row[0] for row in db.execute("SELECT id FROM template_versions ORDER BY id")][:6]


def test_the_running_totals_equal_the_figures_counted_from_the_texts(tmp_path):
    path = str(tmp_path / "mend.db")
    ids = prepare_database(path)
    db = connect(path)
    contact_ids = [add_person(db, ids["worker"], phone=f"+4479111{n:05d}", name=f"P{n}")
                   for n in range(6)]
    a_busy_month(db, random.Random(16), versions=versions_of(db), worker_id=ids["worker"],
                 contact_ids=contact_ids)
    for since in (MONDAY, MONDAY + timedelta(weeks=2)):
        weeks, rates = counted_from_texts(db, since)
        assert reports.weekly_statuses(db, since) == weeks
        assert reports.reply_rates(db, since) == rates
    assert sum(row["replied"] for row in rates) > 0  # the month had replies to count


def test_upgrading_a_database_that_has_texts_counts_them_once(tmp_path):
    path = str(tmp_path / "mend.db")
    db = connect(path)
    migrations.migrations.apply(db, stop_before="m041_report_rollups")
    worker_id = users.create(db, email="w@example.org", name="W", role="worker",
                             password_hash="not-a-real-hash")
    contact_ids = [contacts.create(db, preferred_name=f"P{n}", phone=f"+4479111{n:05d}",
                                   key_worker_id=worker_id, created_by=worker_id)
                   for n in range(4)]
    a_busy_month(db, random.Random(41), versions=[None], worker_id=worker_id,
                 contact_ids=contact_ids, texts=60)
    before = counted_from_texts(db, MONDAY)

    migrations.upgrade(db)

    assert (reports.weekly_statuses(db, MONDAY), reports.reply_rates(db, MONDAY)) == before
    assert before[1][0]["replied"] > 0
