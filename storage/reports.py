"""Figures for the reviewers' and admins' dashboard: are repair texts working?

Weeks start on Monday and months are calendar months, both counted in UTC.
"""
from .connection import to_db_time

WENT_OUT = ("sent", "delivered", "undelivered", "failed")
REACHED = ("sent", "delivered")


def _marks(values):
    return ", ".join(f"'{value}'" for value in values)


def weekly_statuses(db, since):
    """{week_start (YYYY-MM-DD): {status: count}} for texts due on or after `since`."""
    weeks = {}
    for row in db.query(
            "SELECT date(scheduled_for, 'weekday 0', '-6 days') AS week, status,"
            " count(*) AS n FROM messages WHERE scheduled_for >= ?"
            " GROUP BY week, status", [to_db_time(since)]):
        weeks.setdefault(row["week"], {})[row["status"]] = row["n"]
    return weeks


_REPLIED = """
    EXISTS (SELECT 1 FROM inbound_messages i
            WHERE i.contact_id = m.contact_id AND i.kind = 'reply'
              AND i.received_at > m.sent_at
              AND i.received_at <= strftime('%Y-%m-%dT%H:%M:%S+00:00', m.sent_at,
                                            '+7 days'))
"""


def reply_rates(db, since):
    """Texts that reached the person (sent or delivered) since `since`, and how many
    were followed by a reply from that person within 7 days, per template.

    Returns [{template_id, title, reached, replied}], most used first.
    """
    return list(db.query(
        f"SELECT v.template_id AS template_id, max(v.title) AS title,"
        f" count(*) AS reached, sum({_REPLIED}) AS replied"
        f" FROM messages m LEFT JOIN template_versions v ON v.id = m.template_version_id"
        f" WHERE m.sent_at >= ? AND m.status IN ({_marks(REACHED)})"
        f" GROUP BY v.template_id ORDER BY reached DESC, title",
        [to_db_time(since)]))


def opt_outs_by_month(db, since):
    """{YYYY-MM: withdrawals of consent recorded that month}."""
    return {row["month"]: row["n"] for row in db.query(
        "SELECT substr(recorded_at, 1, 7) AS month, count(*) AS n FROM consents"
        " WHERE state = 'withdrawn' AND recorded_at >= ? GROUP BY month",
        [to_db_time(since)])}


def count_with_status(db, status):
    return db.execute("SELECT count(*) FROM messages WHERE status = ?", [status]).fetchone()[0]
