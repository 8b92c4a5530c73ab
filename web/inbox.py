"""Texts people sent: marking them read, and the admins' list of unmatched texts."""
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField

from actions.inbound import mark_read
from storage import inbound

from .auth import role_required
from .caseload import contact_or_404, inbound_or_404
from .database import get_db

bp = Blueprint("inbox", __name__, url_prefix="/inbox")


class MarkReadForm(FlaskForm):
    next = HiddenField()


def safe_next(target, fallback):
    """Only a path on this site: never another host (no open redirect). Browsers drop
    tabs and newlines from URLs, so "/\t/evil.example" would become "//evil.example"."""
    if (not target or any(ord(char) < 32 or ord(char) == 127 for char in target)
            or not target.startswith("/") or target.startswith(("//", "/\\"))
            or urlsplit(target).netloc):
        return fallback
    return target


@bp.route("/<int:inbound_id>/read", methods=["POST"])
@role_required("worker", "reviewer", "admin")
def read(inbound_id):
    row = inbound_or_404(inbound_id)
    form = MarkReadForm()
    if not form.validate_on_submit():
        abort(400)
    mark_read(get_db(), [row["id"]], user_id=current_user.id)
    flash("Marked as read.")
    return redirect(safe_next(form.next.data, url_for("dashboard.index")))


@bp.route("/contact/<int:contact_id>/read", methods=["POST"])
@role_required("worker", "reviewer", "admin")
def read_all_from(contact_id):
    contact = contact_or_404(contact_id)
    form = MarkReadForm()
    if not form.validate_on_submit():
        abort(400)
    db = get_db()
    changed = mark_read(db, inbound.unread_ids_for_contact(db, contact["id"]),
                        user_id=current_user.id)
    flash(f"Marked {len(changed)} text{'s' if len(changed) != 1 else ''} as read.")
    return redirect(url_for("contacts.show", contact_id=contact["id"], _anchor="thread-heading"))


@bp.route("/crisis-procedure")
@role_required("worker", "reviewer", "admin")
def crisis_procedure():
    """The service's crisis procedure, written once (CRISIS_PROCEDURE), linked from every
    reply: a worried worker follows it rather than answering with a template."""
    return render_template("inbox/crisis_procedure.html",
                           procedure=current_app.config.get("CRISIS_PROCEDURE", "").strip())


@bp.route("/unmatched")
@role_required("admin")
def unmatched():
    show_all = request.args.get("all") == "1"
    return render_template("inbox/unmatched.html",
                           received=inbound.unmatched(get_db(), include_read=show_all),
                           show_all=show_all)
