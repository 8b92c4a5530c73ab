"""Service managers' pages: accounts, and alerts a service manager must act on."""
from flask import Blueprint, render_template
from flask_login import current_user

from storage import alerts, users

from .auth import role_required
from .database import get_db

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/users")
@role_required("admin")
def users_index():
    return render_template("admin/users.html", users=users.all_users(get_db()))


@bp.app_context_processor
def service_alerts():
    """Admins see active service alerts (such as rejected Twilio credentials) on every page."""
    if getattr(current_user, "is_authenticated", False) and current_user.role == "admin":
        return {"service_alerts": alerts.active(get_db())}
    return {"service_alerts": []}
