"""The figures behind the reviewers' and admins' dashboard, and their charts.

Each figure is kept as plain rows too, so the page can show it as a table: the
text alternative to the chart.
"""
import functools
from datetime import datetime, time, timedelta, timezone

from storage import reports

from . import charts

WEEKS = 12
MONTHS = 12
OUTCOMES = (
    ("Delivered", ("delivered",)),
    ("Sent, no delivery report yet", ("sent",)),
    ("Not delivered or failed", ("undelivered", "failed")),
    ("Expired or needs checking", ("expired", "unknown")),
    ("Cancelled", ("cancelled",)),
    ("Waiting to go", ("scheduled", "sending")),
)


def week_starts(now, weeks=WEEKS):
    """The Mondays (UTC) of the last `weeks` weeks, oldest first, this week last."""
    today = now.astimezone(timezone.utc).date()
    monday = today - timedelta(days=today.weekday())
    return [monday - timedelta(weeks=back) for back in range(weeks - 1, -1, -1)]


def month_starts(now, months=MONTHS):
    year, month = now.year, now.month
    starts = []
    for _ in range(months):
        starts.append((year, month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return [f"{year:04d}-{month:02d}" for year, month in reversed(starts)]


def percent(part, whole):
    return round(100 * part / whole, 1) if whole else None


def gather(db, now):
    weeks = week_starts(now)
    since = datetime.combine(weeks[0], time(0), tzinfo=timezone.utc)
    statuses = reports.weekly_statuses(db, since)
    weekly = []
    for monday in weeks:
        counts = statuses.get(monday.isoformat(), {})
        outcomes = {label: sum(counts.get(status, 0) for status in group)
                    for label, group in OUTCOMES}
        went_out = sum(counts.get(status, 0) for status in reports.WENT_OUT)
        weekly.append({"week": monday, "outcomes": outcomes, "went_out": went_out,
                       "delivered": counts.get("delivered", 0),
                       "delivery_rate": percent(counts.get("delivered", 0), went_out),
                       "expired": counts.get("expired", 0),
                       "unknown": counts.get("unknown", 0)})
    per_template = [{**row, "rate": percent(row["replied"], row["reached"])}
                    for row in reports.reply_rates(db, since)]
    reached = sum(row["reached"] for row in per_template)
    replied = sum(row["replied"] for row in per_template)
    months = month_starts(now)
    opt_outs = reports.opt_outs_by_month(
        db, datetime.strptime(months[0], "%Y-%m").replace(tzinfo=timezone.utc))
    went_out = sum(week["went_out"] for week in weekly)
    delivered = sum(week["delivered"] for week in weekly)
    return {
        "since": since,
        "weekly": weekly,
        "delivery_rate": percent(delivered, went_out),
        "delivered": delivered,
        "went_out": went_out,
        "reply_rate": percent(replied, reached),
        "reached": reached,
        "replied": replied,
        "per_template": per_template,
        "opt_outs": [{"month": month, "count": opt_outs.get(month, 0)}
                     for month in months],
        "needs_checking_now": reports.count_with_status(db, "unknown"),
        "expired_in_period": sum(week["expired"] for week in weekly),
    }


def week_label(monday):
    return f"{monday.day} {monday:%b}"


def month_label(month):
    return datetime.strptime(month, "%Y-%m").strftime("%b %Y")


def _frozen(value):
    """A hashable copy of lists (of tuples, of lists ...), for the chart cache's key."""
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(item) for item in value)
    return value


@functools.lru_cache(maxsize=64)
def _svg(kind, title, labels, series, label, options):
    """One chart as inline SVG, drawn once for each distinct set of figures.

    pygal takes most of a dashboard view (about 10-15 ms a chart); the figures change
    only when texts in the period do, so a view of unchanged figures reuses the SVG.
    The key is the figures themselves, so a cached chart is never out of date."""
    draw_chart = charts.line if kind == "line" else charts.bar
    return charts.to_inline_svg(draw_chart(title, list(labels), [
        (name, list(values)) for name, values in series], **dict(options)), label)


def _chart(kind, title, labels, series, label, **options):
    return _svg(kind, title, _frozen(labels), _frozen(series), label,
                tuple(sorted(options.items())))


def draw(figures):
    """{name: inline SVG} for the dashboard's charts."""
    weekly = figures["weekly"]
    labels = [week_label(week["week"]) for week in weekly]
    outcome_series = [(label, [week["outcomes"][label] or None for week in weekly])
                      for label, _ in OUTCOMES]
    templates = [("All templates", figures["reply_rate"])] + [
        (row["title"] or "No template", row["rate"]) for row in figures["per_template"]]
    return {
        "outcomes": _chart(
            "bar", "Texts per week, by outcome", labels, outcome_series,
            "Stacked bar chart of texts per week by outcome; the table below has the figures.",
            stacked=True),
        "delivery": _chart(
            "line", "Delivery rate per week (%)", labels,
            [("Delivered", [week["delivery_rate"] for week in weekly])],
            "Line chart of the weekly delivery rate; the table below has the figures.",
            percent=True),
        "replies": _chart(
            "bar", "Replied within 7 days (%): texts ask for none", [name for name, _ in templates],
            [("Reply rate", [rate for _, rate in templates])],
            "Bar chart of the reply rate within 7 days, overall and per template; "
            "the table below has the figures.", horizontal=True, percent=True),
        "opt_outs": _chart(
            "bar", "Opt-outs per month", [month_label(row["month"])
                                          for row in figures["opt_outs"]],
            [("Stopped texts", [row["count"] for row in figures["opt_outs"]])],
            "Bar chart of opt-outs per month; the table below has the figures.",
            label_rotation=30),
        "review": _chart(
            "bar", "Expired or needing checking, per week", labels,
            [("Expired", [week["expired"] or None for week in weekly]),
             ("Needs checking", [week["unknown"] or None for week in weekly])],
            "Stacked bar chart of texts that expired or need checking per week; "
            "the table below has the figures.", stacked=True),
    }
