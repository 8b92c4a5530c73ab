"""A person's own account: changing their password, and the change a temporary
password (issued by an admin) insists on before anything else."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from actions import accounts

from .auth import role_required
from .database import get_db

bp = Blueprint("account", __name__, url_prefix="/account")

# What someone with a temporary password may still reach before they change it.
ALLOWED_WHILE_TEMPORARY = {"account.password", "auth.logout", "static", "health.healthz"}


class PasswordForm(FlaskForm):
    current = PasswordField("Your current password", validators=[
        DataRequired("Enter your current password."), Length(max=1024)])
    new = PasswordField("New password", description=(
        f"At least {accounts.MIN_PASSWORD_LENGTH} characters. A few unrelated words are "
        "easy to remember and hard to guess."), validators=[
        DataRequired("Choose a new password."),
        Length(min=accounts.MIN_PASSWORD_LENGTH, max=accounts.MAX_PASSWORD_LENGTH,
               message=f"The new password must be at least {accounts.MIN_PASSWORD_LENGTH} "
                       "characters.")])
    confirm = PasswordField("The new password again", validators=[
        DataRequired("Type the new password again."),
        EqualTo("new", message="The two new passwords are not the same. Type them again.")])


@bp.route("/password", methods=["GET", "POST"])
@role_required("worker", "reviewer", "admin")
def password():
    form = PasswordForm()
    if not form.validate_on_submit():
        return render_template("account/password.html", form=form), (
            400 if request.method == "POST" else 200)
    try:
        accounts.change_own_password(get_db(), current_user.id, current=form.current.data,
                                     new=form.new.data)
    except accounts.AccountError as error:
        form.current.errors.append(str(error))
        return render_template("account/password.html", form=form), 400
    flash("Your password is changed.")
    return redirect(url_for("dashboard.index"))


def init_app(app):
    @app.before_request
    def temporary_password_must_be_changed():
        if (getattr(current_user, "is_authenticated", False)
                and current_user.must_change_password
                and request.endpoint not in ALLOWED_WHILE_TEMPORARY):
            flash("You logged in with a temporary password. Choose your own to carry on.")
            return redirect(url_for("account.password"))
        return None
