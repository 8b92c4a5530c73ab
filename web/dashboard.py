"""The first page after login: what needs the worker's attention, kept up to date
without a reload (`status.json`, polled by static/live.js)."""
from flask import Blueprint, jsonify, redirect, render_template, url_for
from flask_login import current_user

from sms.repairs import meeting_question
from storage import contacts, inbound, messages, repairs
from storage.connection import from_db_time, utc_now

from . import team
from .auth import role_required
from .caseload import service
from .database import get_db
from .security import passive
from .formatting import live_fingerprint

bp = Blueprint("dashboard", __name__)


@bp.route("/")
def home():
    return redirect(url_for("dashboard.index"))


def dashboard_lists(db):
    caseload = contacts.listing(db, key_worker_id=current_user.id)
    return {
        "upcoming": messages.for_worker(db, current_user.id,
                                        statuses=("scheduled", "sending"), soonest_first=True),
        "recent": messages.for_worker(db, current_user.id,
                                      statuses=("sent", "delivered", "undelivered", "failed")),
        "needs_review": messages.for_worker(db, current_user.id,
                                            statuses=("expired", "unknown", "cancelled")),
        "withdrawn": [c for c in caseload if c["consent_state"] == "withdrawn"],
        "unread": inbound.unread_for_key_worker(db, current_user.id),
        "unmatched_count": len(inbound.unmatched(db)) if current_user.role == "admin" else 0,
    }


def fingerprint(lists):
    """Changes whenever anything the dashboard shows changes (a status, a reply)."""
    seen = [(name, [(row["id"], row.get("status")) for row in rows])
            for name, rows in lists.items() if isinstance(rows, list)]
    return live_fingerprint(seen, lists["unmatched_count"])


@bp.route("/dashboard")
@role_required("worker", "reviewer", "admin")
def index():
    db = get_db()
    lists = dashboard_lists(db)
    return render_template("dashboard.html", live_version=fingerprint(lists),
                           meetings=meeting_questions(db), **lists, **team.cover_panel(db))


def meeting_questions(db):
    """"Did you meet Alex on Thursday?" for each of the worker's open repairs whose
    planned meeting has passed, until it is answered."""
    now = utc_now()
    return [(row, meeting_question(row["contact_name"], from_db_time(row["next_meeting_at"]),
                                   now, service().zone))
            for row in repairs.meetings_due(db, current_user.id, now)]


@bp.route("/dashboard/status.json")
@role_required("worker", "reviewer", "admin")
@passive
def status():
    """What the dashboard shows, as one fingerprint, for the page's script to poll."""
    lists = dashboard_lists(get_db())
    return jsonify(version=fingerprint(lists), unread=len(lists["unread"]),
                   upcoming=len(lists["upcoming"]))
