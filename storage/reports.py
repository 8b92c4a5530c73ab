"""Figures for the reviewers' and admins' dashboard: are repair texts working?

Weeks start on Monday and months are calendar months, both counted in UTC. Texts per
week and reply rates come from running totals that triggers keep as texts and
replies are written (migration m041), so the dashboard costs the same at a million
texts as at a hundred.
"""
from .connection import to_db_time

WENT_OUT = ("sent", "delivered", "undelivered", "failed")
REACHED = ("sent", "delivered")


def weekly_statuses(db, since):
    """{week_start (YYYY-MM-DD): {status: count}} for texts due on or after `since`
    (a Monday, 00:00 UTC), from the running totals the triggers keep
    (`report_weeks`, migration m041)."""
    weeks = {}
    for row in db.query("SELECT week, status, n FROM report_weeks WHERE week >= ? AND n != 0",
                        [since.date().isoformat()]):
        weeks.setdefault(row["week"], {})[row["status"]] = row["n"]
    return weeks


def reply_rates(db, since):
    """Texts that reached the person (sent or delivered) since `since` (a Monday,
    00:00 UTC), and how many were followed by a reply from that person within 7
    days, per template, from the running totals (`report_reach`).

    Returns [{template_id, title, reached, replied}], most used first.
    """
    return list(db.query(
        "SELECT v.template_id AS template_id, max(v.title) AS title,"
        " sum(r.reached) AS reached, sum(r.replied) AS replied"
        " FROM report_reach r LEFT JOIN template_versions v ON v.id = r.template_version_id"
        " WHERE r.week >= ? GROUP BY v.template_id HAVING sum(r.reached) > 0"
        " ORDER BY reached DESC, title",
        [since.date().isoformat()]))


def opt_outs_by_month(db, since):
    """{YYYY-MM: withdrawals of consent recorded that month}."""
    return {row["month"]: row["n"] for row in db.query(
        "SELECT substr(recorded_at, 1, 7) AS month, count(*) AS n FROM consents"
        " WHERE state = 'withdrawn' AND recorded_at >= ? GROUP BY month",
        [to_db_time(since)])}


def count_with_status(db, status):
    return db.execute("SELECT count(*) FROM messages WHERE status = ?", [status]).fetchone()[0]
