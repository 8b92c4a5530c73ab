"""Service managers' pages: accounts."""
from flask import Blueprint, render_template

from storage import users

from .auth import role_required
from .database import get_db

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/users")
@role_required("admin")
def users_index():
    return render_template("admin/users.html", users=users.all_users(get_db()))
