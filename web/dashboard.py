"""The first page after login: what needs the worker's attention."""
from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user

from storage import contacts, inbound, messages

from . import team
from .auth import role_required
from .database import get_db

bp = Blueprint("dashboard", __name__)


@bp.route("/")
def home():
    return redirect(url_for("dashboard.index"))


@bp.route("/dashboard")
@role_required("worker", "reviewer", "admin")
def index():
    db = get_db()
    caseload = contacts.listing(db, key_worker_id=current_user.id)
    return render_template(
        "dashboard.html",
        upcoming=messages.for_worker(db, current_user.id, statuses=("scheduled", "sending"),
                                     soonest_first=True),
        recent=messages.for_worker(db, current_user.id,
                                   statuses=("sent", "delivered", "undelivered", "failed")),
        needs_review=messages.for_worker(db, current_user.id,
                                         statuses=("expired", "unknown", "cancelled")),
        withdrawn=[c for c in caseload if c["consent_state"] == "withdrawn"],
        unread=inbound.unread_for_key_worker(db, current_user.id),
        unmatched_count=len(inbound.unmatched(db)) if current_user.role == "admin" else 0,
        **team.cover_panel(db),
    )
