"""Service managers' pages: accounts (with a temporary password when one is lost), and
alerts a service manager must act on."""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget

from sms.languages import LANGUAGES, name_of, parse_codes

from actions import accounts
from storage import alerts, users

from .auth import role_required
from .database import get_db

bp = Blueprint("admin", __name__, url_prefix="/admin")


class ResetPasswordForm(FlaskForm):
    pass


class LanguagesForm(FlaskForm):
    languages = SelectMultipleField(
        "Languages they read",
        choices=[SelectChoice(code, name) for code, name in LANGUAGES.items()],
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())


def users_page(*, issued=None, problem=None, status=200):
    return render_template("admin/users.html", users=users.all_users(get_db()),
                           reset_form=ResetPasswordForm(formdata=None), issued=issued,
                           problem=problem, languages=LANGUAGES,
                           account_languages=parse_codes), status


@bp.route("/users")
@role_required("admin")
def users_index():
    return users_page()


@bp.route("/users/<int:user_id>/reset-password", methods=["POST"])
@role_required("admin")
def reset_password(user_id):
    """A temporary password, shown once on this page (never in a flash message, which
    travels in the session cookie); it must be changed at the next login."""
    if users.get(get_db(), user_id) is None:
        abort(404)
    if not ResetPasswordForm().validate_on_submit():
        return users_page(problem="The form expired. Try again.", status=400)
    try:
        issued = accounts.reset_password(get_db(), user_id, admin_id=current_user.id)
    except accounts.AccountError as error:
        return users_page(problem=str(error), status=400)
    return users_page(issued=issued)


@bp.route("/users/<int:user_id>/languages", methods=["POST"])
@role_required("admin")
def set_languages(user_id):
    """The languages an account reads: a reviewer approves versions only in these."""
    if users.get(get_db(), user_id) is None:
        abort(404)
    form = LanguagesForm()
    if not form.validate_on_submit():
        return users_page(problem="Choose languages from the list and try again.", status=400)
    try:
        saved = accounts.set_languages(get_db(), user_id, form.languages.data,
                                       admin_id=current_user.id)
    except accounts.AccountError as error:
        return users_page(problem=str(error), status=400)
    flash("Saved: they read " + ", ".join(name_of(code) for code in saved) + ".")
    return redirect(url_for("admin.users_index"))


@bp.app_context_processor
def service_alerts():
    """Admins see active service alerts (such as rejected Twilio credentials) on every page."""
    if getattr(current_user, "is_authenticated", False) and current_user.role == "admin":
        return {"service_alerts": alerts.active(get_db())}
    return {"service_alerts": []}
