"""Logging in and out, the login throttle, and the role check every route uses."""
import functools
from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import (Blueprint, abort, current_app, flash, redirect, render_template,
                   request, session, url_for)
from flask_login import (LoginManager, UserMixin, current_user, login_required,
                         login_user, logout_user)
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from actions.accounts import ROLES, password_matches
from actions.sessions import record_login_attempt, record_logout
from storage import users
from storage.connection import from_db_time, utc_now

from .database import get_db

bp = Blueprint("auth", __name__)
login_manager = LoginManager()


class User(UserMixin):
    def __init__(self, row):
        self.id = row["id"]
        self.email = row["email"]
        self.name = row["name"]
        self.role = row["role"]
        self.active = bool(row["active"])
        self.must_change_password = bool(row.get("must_change_password"))
        self.languages = row.get("languages") or "en"  # codes: what they read and review

    @property
    def is_active(self):
        return self.active

    @property
    def first_name(self):
        return self.name.split()[0] if self.name.strip() else self.name

    @property
    def sees_everyone(self):
        return self.role in ("reviewer", "admin")


@login_manager.user_loader
def load_user(user_id):
    row = users.get(get_db(), int(user_id))
    return User(row) if row and row["active"] else None


def role_required(*roles):
    """Log in first, then allow only these roles (403 for the others)."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {unknown}")

    def decorate(view):
        @functools.wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        wrapped.allowed_roles = roles
        return wrapped

    return decorate


class LoginForm(FlaskForm):
    email = EmailField("Email address", validators=[
        DataRequired("Enter your email address."), Length(max=254)])
    password = PasswordField("Password", validators=[
        DataRequired("Enter your password."), Length(max=1024)])


def throttled_until(db, email):
    """When `email` may try again, or None if it is not throttled."""
    config = current_app.config
    window = timedelta(minutes=config["LOGIN_LOCKOUT_MINUTES"])
    failures = users.recent_failures(db, email=email, since=utc_now() - window)
    if len(failures) < config["LOGIN_MAX_FAILURES"]:
        return None
    return from_db_time(failures[-1]) + window


def try_again_at(until):
    local = until.astimezone(ZoneInfo(current_app.config["TIMEZONE"]))
    minutes = max(1, round((until - utc_now()).total_seconds() / 60))
    return (f"Too many failed attempts for this account. Try again at "
            f"{local:%H:%M} (in {minutes} minute{'s' if minutes != 1 else ''}).")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = LoginForm()
    if form.validate_on_submit():
        db = get_db()
        email = form.email.data.strip().lower()
        until = throttled_until(db, email)
        if until is not None:
            form.email.errors.append(try_again_at(until))
            return render_template("login.html", form=form), 429
        row = users.by_email(db, email)
        ok = bool(row and row["active"] and password_matches(row["password_hash"],
                                                             form.password.data))
        record_login_attempt(db, email=email, remote_addr=request.remote_addr,
                             user_id=row["id"] if ok else None)
        if not ok:
            form.password.errors.append(
                "That email address and password do not match an account. "
                "Check both and try again.")
            return render_template("login.html", form=form), 200
        session.clear()  # a fresh session after login: no session fixation
        session.permanent = True
        login_user(User(row))
        return redirect(url_for("dashboard.index"))
    return render_template("login.html", form=form)


class LogoutForm(FlaskForm):
    pass


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    record_logout(get_db(), user_id=current_user.id)
    logout_user()
    session.clear()
    flash("You have logged out.")
    return redirect(url_for("auth.login"))


def init_app(app):
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Log in to continue."
    login_manager.session_protection = "basic"

    @app.context_processor
    def inject_forms():
        # formdata=None: the logout button never reads the request's form. Reading it
        # here would re-raise a 413 (body too large) inside the error page itself.
        return {"logout_form": LogoutForm(formdata=None)}
