"""The people a worker supports: adding and editing them, their consent, their page,
and erasing them."""
import logging
from datetime import timedelta

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   url_for)
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from sms import send_window
from sms.confirmation import confirmation_text
from sms.phone import InvalidNumber, display, normalise_mobile
from storage import contacts, events, inbound, messages, users
from storage.connection import (checkpoint_and_truncate_wal, from_db_time, to_db_time,
                                utc_now, write_transaction)

from .auth import role_required
from .database import get_db
from .formatting import local_time

bp = Blueprint("contacts", __name__, url_prefix="/contacts")
log = logging.getLogger("mend.contacts")

CONFIRM_BY_TEXT = "confirm_by_text"
CONSENT_CHOICES = [
    SelectChoice("", "Choose how they agreed"),
    SelectChoice("in_person", "They agreed in person"),
    SelectChoice("in_writing", "They agreed in writing"),
    SelectChoice(CONFIRM_BY_TEXT, "Ask them to confirm by text (Mend sends a text asking "
                                  "them to reply YES)"),
]
CONSENT_RECORD_CHOICES = [
    SelectChoice("", "Choose one"),
    SelectChoice("granted:in_person", "They agreed to texts, in person"),
    SelectChoice("granted:in_writing", "They agreed to texts, in writing"),
    SelectChoice("granted:text_reply", "They agreed to texts, by text reply"),
    SelectChoice("pending:text_reply", "Ask them to confirm by text (Mend sends a text "
                                       "asking them to reply YES)"),
    SelectChoice("withdrawn:withdrawn_by_worker", "They no longer want texts"),
]
BLOCKED_BY_STOP = ("stop_keyword", "provider_blocked")
WORKER_WITHDRAWAL_REASON = "The person no longer wants texts (recorded by a worker)."
EARLIER_STOP_NOTE = ("This number texted STOP to Mend before they were added, so Mend will "
                     "not text it unless they text START.")


class MobileNumber:
    """Validates with phonenumbers and leaves the E.164 form on `field.e164`."""

    def __call__(self, form, field):
        try:
            field.e164 = normalise_mobile(field.data)
        except InvalidNumber as error:
            raise ValidationError(str(error))


class PersonForm(FlaskForm):
    """The details shared by the add and edit forms."""
    preferred_name = StringField("Preferred name", validators=[
        DataRequired("Enter the name they like to be called."),
        Length(max=80, message="Keep the name under 80 characters.")])
    phone = StringField("Mobile number", validators=[MobileNumber()])
    key_worker_id = SelectField("Key worker", coerce=int, validate_choice=True)
    ok_to_name_service = BooleanField("They are happy for texts to name the service")
    safe_hours_start = StringField("Safe to text from (optional)")
    safe_hours_end = StringField("Safe to text until (optional)")
    number_confirmed = BooleanField("I checked with them today that this number is safe to text")
    add_anyway = BooleanField("Add anyway: this is a different person on the same number")

    def validate_safe_hours_end(self, field):
        """Checked as a pair; the error goes on the end field, next to both inputs."""
        try:
            self.safe_hours = send_window.check_safe_hours(
                self.safe_hours_start.data, field.data, service_window())
        except send_window.InvalidWindow as error:
            raise ValidationError(str(error))


class ContactForm(PersonForm):
    consent_method = SelectField("How did they agree to be texted?", choices=CONSENT_CHOICES,
                                 validators=[DataRequired(
                                     "Say how they agreed to texts. Without their "
                                     "agreement Mend will not text them.")])
    consent_note = TextAreaField("Note about their agreement (optional)",
                                 validators=[Length(max=500)])


class EditContactForm(PersonForm):
    pass


class ConsentForm(FlaskForm):
    change = SelectField("What did they say?", choices=CONSENT_RECORD_CHOICES,
                         validators=[DataRequired("Choose what they said.")])
    note = TextAreaField("Note (optional)", validators=[Length(max=500)])


class EraseForm(FlaskForm):
    confirm = BooleanField("I understand: their name, number, texts and replies will be "
                           "removed for good, and this cannot be undone",
                           validators=[DataRequired(
                               "Tick the box to confirm you want to erase their details. "
                               "Nothing has been erased.")])


class ConfirmNumberForm(FlaskForm):
    pass


def service_window():
    return send_window.parse_window(current_app.config["SEND_WINDOW"])


def contact_or_404(contact_id):
    """A contact the current user may see: a worker only sees their own caseload."""
    contact = contacts.get(get_db(), contact_id)
    if contact is None or contact["erased_at"]:
        abort(404)
    if not current_user.sees_everyone and contact["key_worker_id"] != current_user.id:
        abort(404)
    return contact


def may_erase(contact):
    return current_user.role == "admin" or contact["key_worker_id"] == current_user.id


def key_worker_choices(db):
    mine = [SelectChoice(current_user.id, current_user.name)]
    if not current_user.sees_everyone:
        return mine
    return [SelectChoice(row["id"], row["name"]) for row in users.all_users(db)
            if row["active"] and row["role"] == "worker"] or mine


def number_reconfirm_due(contact, now=None):
    """True when the number was never confirmed safe, or not for NUMBER_RECONFIRM_DAYS."""
    confirmed = from_db_time(contact["number_confirmed_on"])
    days = current_app.config["NUMBER_RECONFIRM_DAYS"]
    return confirmed is None or (now or utc_now()) - confirmed > timedelta(days=days)


def consent_refusal(contact):
    """Why Mend will not text this person now, in words for the worker (None if it will)."""
    name = contact["preferred_name"]
    state = contact["consent_state"]
    if state == "granted":
        return None
    if state == "pending":
        return (f"{name} has not confirmed yet. Mend sends nothing else until they "
                "reply YES.")
    if state == "withdrawn":
        return (f"{name} does not want texts, so Mend will not text them. If they change "
                "their mind, record it on their page.")
    return f"{name} has not agreed to texts yet. Record their agreement on their page first."


def stopped_by_text(db, contact_id):
    """True when their latest ledger entry is a STOP (so the network blocks texts too)."""
    latest = contacts.latest_consent(db, contact_id)
    return bool(latest and latest["state"] == "withdrawn" and latest["method"] in BLOCKED_BY_STOP)


def first_allowed_time(contact):
    """The first moment from now inside the send window and their safe hours."""
    window = service_window()
    if contact["safe_hours_start"] and contact["safe_hours_end"]:
        window = send_window.intersect(window, send_window.parse_window(
            f"{contact['safe_hours_start']}-{contact['safe_hours_end']}"))
    return send_window.next_allowed(utc_now(), current_app.config["TIMEZONE"], window)


def conversation(db, contact_id):
    """Texts sent and replies received, interleaved, oldest first."""
    entries = [{"direction": "out", "at": m["sent_at"] or m["scheduled_for"], "item": m}
               for m in messages.for_contact(db, contact_id)]
    entries += [{"direction": "in", "at": r["received_at"], "item": r}
                for r in inbound.for_contact(db, contact_id)]
    return sorted(entries, key=lambda entry: (from_db_time(entry["at"]),
                                              entry["direction"] == "in", entry["item"]["id"]))


@bp.route("/")
@role_required("worker", "reviewer", "admin")
def index():
    db = get_db()
    key_worker = None if current_user.sees_everyone else current_user.id
    return render_template("contacts/index.html",
                           contacts=contacts.listing(db, key_worker_id=key_worker))


def duplicate_number_error(db, form, except_id=None):
    """Warn, rather than silently add a second person on the same number."""
    duplicates = contacts.with_phone(db, form.phone.e164, except_id=except_id)
    if duplicates and not form.add_anyway.data:
        form.phone.errors.append(
            "Another person already has this number. Check it is right, or tick "
            "'Add anyway' if two people really share a phone.")
    return duplicates


@bp.route("/new", methods=["GET", "POST"])
@role_required("worker", "reviewer", "admin")
def new():
    db = get_db()
    form = ContactForm()
    form.key_worker_id.choices = key_worker_choices(db)
    duplicates = []
    if form.validate_on_submit():
        duplicates = duplicate_number_error(db, form)
        if not form.phone.errors:
            contact_id, send_at = create_contact(db, form)
            flash(f"Added {form.preferred_name.data.strip()}."
                  + (confirmation_sent_notice(send_at) if send_at else "")
                  + (" " + EARLIER_STOP_NOTE if stopped_by_text(db, contact_id) else ""))
            return redirect(url_for("contacts.show", contact_id=contact_id))
    return render_template("contacts/new.html", form=form, duplicates=duplicates)


def create_contact(db, form):
    """Add the person and their consent; returns (id, when a confirmation text goes, or None)."""
    start, end = form.safe_hours
    with write_transaction(db):
        contact_id = contacts.create(
            db, preferred_name=form.preferred_name.data.strip(), phone=form.phone.e164,
            key_worker_id=form.key_worker_id.data, created_by=current_user.id,
            ok_to_name_service=form.ok_to_name_service.data,
            number_confirmed_on=to_db_time(utc_now()) if form.number_confirmed.data else None,
            safe_hours_start=start, safe_hours_end=end)
        events.record(db, action="contact.created", subject_type="contact",
                      subject_id=contact_id, actor_type="user", actor_id=current_user.id,
                      detail={"key_worker_id": form.key_worker_id.data,
                              "shared_number": bool(form.add_anyway.data),
                              "safe_hours": start is not None})
        note = form.consent_note.data or ""
        by_text = form.consent_method.data == CONFIRM_BY_TEXT
        if not by_text:
            record_consent_change(db, contact_id, "granted", form.consent_method.data, note)
        send_at = None
        if earlier_stop(db, form.phone.e164):
            honour_earlier_stop(db, contact_id)
        elif by_text:
            send_at = ask_to_confirm_by_text(db, contacts.get(db, contact_id), note)
    return contact_id, send_at


def earlier_stop(db, phone):
    """The STOP this number texted before it belonged to anyone in Mend, if it stands."""
    latest = inbound.latest_unmatched_keyword(db, phone)
    return latest if latest and latest["kind"] == "stop" else None


def honour_earlier_stop(db, contact_id):
    """STOP counts everywhere: a number that texted STOP is not texted when it is added."""
    contacts.withdraw_consent(
        db, contact_id=contact_id, method="stop_keyword", recorded_by=None,
        actor_type="system", note=EARLIER_STOP_NOTE, reason=EARLIER_STOP_NOTE)


def record_consent_change(db, contact_id, state, method, note):
    if state == "withdrawn":
        return contacts.withdraw_consent(
            db, contact_id=contact_id, method=method, recorded_by=current_user.id,
            actor_type="user", actor_id=current_user.id, note=note,
            reason=WORKER_WITHDRAWAL_REASON)
    with write_transaction(db):
        consent_id = contacts.record_consent(db, contact_id=contact_id, state=state,
                                             method=method, recorded_by=current_user.id,
                                             note=note)
        events.record(db, action=f"consent.{state}", subject_type="contact",
                      subject_id=contact_id, actor_type="user", actor_id=current_user.id,
                      detail={"method": method, "consent_id": consent_id})
    return []


def ask_to_confirm_by_text(db, contact, note):
    """Double opt-in: consent becomes pending and a confirmation text is scheduled.

    The text goes through the messages table and the dispatcher like any other, at
    the first moment inside the send window and their safe hours. Returns that time.
    """
    rendered = confirmation_text(
        name=contact["preferred_name"], worker=current_user.first_name,
        service=current_app.config["SERVICE_NAME"] if contact["ok_to_name_service"] else "")
    send_at = first_allowed_time(contact)
    with write_transaction(db):
        record_consent_change(db, contact["id"], "pending", "text_reply", note)
        message_id = messages.create(
            db, contact_id=contact["id"], worker_id=current_user.id, template_version_id=None,
            body=rendered.body, encoding=rendered.encoding, characters=rendered.characters,
            parts=rendered.parts, warnings=[], scheduled_for=send_at, purpose="consent_request")
        events.record(db, action="message.scheduled", subject_type="message",
                      subject_id=message_id, actor_type="user", actor_id=current_user.id,
                      detail={"purpose": "consent_request", "parts": rendered.parts,
                              "scheduled_for": send_at.isoformat(timespec="seconds")})
    return send_at


def confirmation_sent_notice(send_at):
    when = "now" if send_at <= utc_now() + timedelta(minutes=1) else f"at {local_time(send_at)}"
    return (f" Mend will send the confirmation text {when}, and nothing else until they "
            "reply YES.")


def render_contact_page(contact, *, status=200, **forms):
    db = get_db()
    forms.setdefault("consent_form", ConsentForm())
    return render_template(
        "contacts/show.html", contact=contact, phone=display(contact["phone"]),
        consents=contacts.consent_history(db, contact["id"]),
        thread=conversation(db, contact["id"]),
        unread=inbound.unread_ids_for_contact(db, contact["id"]),
        reconfirm_due=number_reconfirm_due(contact),
        reconfirm_days=current_app.config["NUMBER_RECONFIRM_DAYS"],
        refusal=consent_refusal(contact), stopped_by_text=stopped_by_text(db, contact["id"]),
        may_erase=may_erase(contact), service_window=str(service_window()),
        **forms), status


@bp.route("/<int:contact_id>")
@role_required("worker", "reviewer", "admin")
def show(contact_id):
    return render_contact_page(contact_or_404(contact_id))


def consent_change_problem(db, contact, state):
    """A reason to refuse this change, for the worker, or None."""
    if state == "pending" and stopped_by_text(db, contact["id"]):
        return ("They texted STOP, so Mend will not text them, not even to ask. If they "
                "want texts again, they can text START, or tell you in person.")
    if state == "pending" and messages.pending_confirmation_request(db, contact["id"]):
        return "A confirmation text is already waiting to go to them."
    return None


@bp.route("/<int:contact_id>/consent", methods=["POST"])
@role_required("worker", "reviewer", "admin")
def record_consent(contact_id):
    contact = contact_or_404(contact_id)
    db = get_db()
    form = ConsentForm()
    if form.validate_on_submit():
        state, method = form.change.data.split(":")
        problem = consent_change_problem(db, contact, state)
        if problem is None:
            flash(consent_change_notice(db, contact, state, method, form.note.data or ""))
            return redirect(url_for("contacts.show", contact_id=contact_id))
        form.change.errors.append(problem)
    return render_contact_page(contact, consent_form=form, status=400)


def consent_change_notice(db, contact, state, method, note):
    """Make the change and say what it did."""
    if state == "pending":
        return "Recorded: waiting for them to confirm." + confirmation_sent_notice(
            ask_to_confirm_by_text(db, contact, note))
    blocked = stopped_by_text(db, contact["id"])
    cancelled = record_consent_change(db, contact["id"], state, method, note)
    if state == "withdrawn":
        return ("Recorded: they no longer want texts."
                + (f" {len(cancelled)} scheduled text(s) cancelled." if cancelled else ""))
    return "Recorded: they agreed to texts." + (
        " They had texted STOP, so their phone network blocks texts until they text START "
        "to this number." if blocked else "")


@bp.route("/<int:contact_id>/number-confirmed", methods=["POST"])
@role_required("worker", "reviewer", "admin")
def number_confirmed(contact_id):
    contact = contact_or_404(contact_id)
    if not ConfirmNumberForm().validate_on_submit():
        abort(400)
    confirm_number(get_db(), contact["id"])
    flash("Recorded: you checked today that their number is safe to text.")
    return redirect(url_for("contacts.show", contact_id=contact_id))


def confirm_number(db, contact_id):
    with write_transaction(db):
        contacts.mark_number_confirmed(db, contact_id)
        events.record(db, action="contact.number_confirmed", subject_type="contact",
                      subject_id=contact_id, actor_type="user", actor_id=current_user.id)


@bp.route("/<int:contact_id>/edit", methods=["GET", "POST"])
@role_required("worker", "reviewer", "admin")
def edit(contact_id):
    contact = contact_or_404(contact_id)
    db = get_db()
    form = EditContactForm(data=None if request.method == "POST" else {
        **contact, "phone": display(contact["phone"]),
        "ok_to_name_service": bool(contact["ok_to_name_service"])})
    form.key_worker_id.choices = key_worker_choices(db)
    if contact["key_worker_id"] not in [choice.value for choice in form.key_worker_id.choices]:
        form.key_worker_id.choices.insert(0, SelectChoice(contact["key_worker_id"],
                                                          contact["key_worker_name"]))
    duplicates = []
    if form.validate_on_submit():
        duplicates = duplicate_number_error(db, form, except_id=contact["id"])
        if not form.phone.errors:
            changed = save_changes(db, contact, form)
            flash("Saved." if changed else "Nothing changed.")
            return redirect(url_for("contacts.show", contact_id=contact_id))
    return render_template("contacts/edit.html", form=form, contact=contact,
                           duplicates=duplicates)


def save_changes(db, contact, form):
    start, end = form.safe_hours
    changes = {"preferred_name": form.preferred_name.data.strip(), "phone": form.phone.e164,
               "key_worker_id": form.key_worker_id.data,
               "ok_to_name_service": 1 if form.ok_to_name_service.data else 0,
               "safe_hours_start": start, "safe_hours_end": end}
    if form.phone.e164 != contact["phone"]:
        changes["number_confirmed_on"] = None  # a new number is not yet known to be safe
    if form.number_confirmed.data:
        changes["number_confirmed_on"] = to_db_time(utc_now())
    with write_transaction(db):
        changed = contacts.update(db, contact["id"], changes)
        if changed:
            events.record(db, action="contact.updated", subject_type="contact",
                          subject_id=contact["id"], actor_type="user",
                          actor_id=current_user.id,
                          detail={"changed": changed, "key_worker_id": form.key_worker_id.data})
        if "phone" in changed and earlier_stop(db, form.phone.e164):
            honour_earlier_stop(db, contact["id"])
    return changed


@bp.route("/<int:contact_id>/erase", methods=["GET", "POST"])
@role_required("worker", "admin")
def erase(contact_id):
    contact = contact_or_404(contact_id)
    if not may_erase(contact):
        abort(403)
    form = EraseForm()
    if request.method == "POST":
        if form.validate_on_submit():
            db = get_db()
            cancelled = contacts.erase(db, contact_id=contact["id"], actor_id=current_user.id)
            if not checkpoint_and_truncate_wal(db):
                log.warning("contact %s erased; the WAL could not be emptied yet (a reader "
                            "held it), so old pages stay there until the next checkpoint",
                            contact["id"])
            flash("Their details are erased."
                  + (f" {len(cancelled)} scheduled text(s) cancelled." if cancelled else "")
                  + " An anonymous record of what was sent, and when, is kept for the audit.")
            return redirect(url_for("contacts.index"))
        return render_template("contacts/erase.html", contact=contact, form=form), 400
    return render_template("contacts/erase.html", contact=contact, form=form)
