"""The people a worker supports: adding them, their consent, and their page."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from sms.phone import InvalidNumber, display, normalise_mobile
from storage import contacts, events, messages, users
from storage.connection import to_db_time, utc_now, write_transaction

from .auth import role_required
from .database import get_db

bp = Blueprint("contacts", __name__, url_prefix="/contacts")

CONSENT_CHOICES = [
    SelectChoice("", "Choose how they agreed"),
    SelectChoice("in_person", "They agreed in person"),
    SelectChoice("in_writing", "They agreed in writing"),
]
CONSENT_RECORD_CHOICES = [
    SelectChoice("", "Choose one"),
    SelectChoice("granted:in_person", "They agreed to texts, in person"),
    SelectChoice("granted:in_writing", "They agreed to texts, in writing"),
    SelectChoice("withdrawn:withdrawn_by_worker", "They no longer want texts"),
]


class MobileNumber:
    """Validates with phonenumbers and leaves the E.164 form on `field.e164`."""

    def __call__(self, form, field):
        try:
            field.e164 = normalise_mobile(field.data)
        except InvalidNumber as error:
            raise ValidationError(str(error))


class ContactForm(FlaskForm):
    preferred_name = StringField("Preferred name", validators=[
        DataRequired("Enter the name they like to be called."),
        Length(max=80, message="Keep the name under 80 characters.")])
    phone = StringField("Mobile number", validators=[MobileNumber()])
    key_worker_id = SelectField("Key worker", coerce=int, validate_choice=True)
    ok_to_name_service = BooleanField("They are happy for texts to name the service")
    consent_method = SelectField("How did they agree to be texted?", choices=CONSENT_CHOICES,
                                 validators=[DataRequired(
                                     "Say how they agreed to texts. Without their "
                                     "agreement Mend will not text them.")])
    consent_note = TextAreaField("Note about their agreement (optional)",
                                 validators=[Length(max=500)])
    number_confirmed = BooleanField("I checked with them today that this number is safe to text")
    add_anyway = BooleanField("Add anyway: this is a different person on the same number")


class ConsentForm(FlaskForm):
    change = SelectField("What did they say?", choices=CONSENT_RECORD_CHOICES,
                         validators=[DataRequired("Choose what they said.")])
    note = TextAreaField("Note (optional)", validators=[Length(max=500)])


def contact_or_404(contact_id):
    """A contact the current user may see: a worker only sees their own caseload."""
    contact = contacts.get(get_db(), contact_id)
    if contact is None or contact["erased_at"]:
        abort(404)
    if not current_user.sees_everyone and contact["key_worker_id"] != current_user.id:
        abort(404)
    return contact


def key_worker_choices(db):
    mine = [SelectChoice(current_user.id, current_user.name)]
    if not current_user.sees_everyone:
        return mine
    return [SelectChoice(row["id"], row["name"]) for row in users.all_users(db)
            if row["active"] and row["role"] == "worker"] or mine


@bp.route("/")
@role_required("worker", "reviewer", "admin")
def index():
    db = get_db()
    key_worker = None if current_user.sees_everyone else current_user.id
    return render_template("contacts/index.html",
                           contacts=contacts.listing(db, key_worker_id=key_worker))


@bp.route("/new", methods=["GET", "POST"])
@role_required("worker", "reviewer", "admin")
def new():
    db = get_db()
    form = ContactForm()
    form.key_worker_id.choices = key_worker_choices(db)
    duplicates = []
    if form.validate_on_submit():
        duplicates = contacts.with_phone(db, form.phone.e164)
        if duplicates and not form.add_anyway.data:
            form.phone.errors.append(
                "Another person already has this number. Check it is right, or tick "
                "'Add anyway' if two people really share a phone.")
        else:
            contact_id = create_contact(db, form)
            flash(f"Added {form.preferred_name.data.strip()}.")
            return redirect(url_for("contacts.show", contact_id=contact_id))
    return render_template("contacts/new.html", form=form, duplicates=duplicates)


def create_contact(db, form):
    with write_transaction(db):
        contact_id = contacts.create(
            db, preferred_name=form.preferred_name.data.strip(), phone=form.phone.e164,
            key_worker_id=form.key_worker_id.data, created_by=current_user.id,
            ok_to_name_service=form.ok_to_name_service.data,
            number_confirmed_on=to_db_time(utc_now()) if form.number_confirmed.data else None)
        events.record(db, action="contact.created", subject_type="contact",
                      subject_id=contact_id, actor_type="user", actor_id=current_user.id,
                      detail={"key_worker_id": form.key_worker_id.data,
                              "shared_number": bool(form.add_anyway.data)})
        record_consent_change(db, contact_id, "granted", form.consent_method.data,
                              form.consent_note.data or "")
    return contact_id


def record_consent_change(db, contact_id, state, method, note):
    if state == "withdrawn":
        return contacts.withdraw_consent(
            db, contact_id=contact_id, method=method, recorded_by=current_user.id,
            actor_type="user", actor_id=current_user.id, note=note,
            reason="The person no longer wants texts (recorded by a worker).")
    with write_transaction(db):
        consent_id = contacts.record_consent(db, contact_id=contact_id, state=state,
                                             method=method, recorded_by=current_user.id,
                                             note=note)
        events.record(db, action=f"consent.{state}", subject_type="contact",
                      subject_id=contact_id, actor_type="user", actor_id=current_user.id,
                      detail={"method": method, "consent_id": consent_id})
    return []


@bp.route("/<int:contact_id>")
@role_required("worker", "reviewer", "admin")
def show(contact_id):
    contact = contact_or_404(contact_id)
    db = get_db()
    return render_template(
        "contacts/show.html", contact=contact, phone=display(contact["phone"]),
        consents=contacts.consent_history(db, contact_id),
        thread=messages.for_contact(db, contact_id), consent_form=ConsentForm())


@bp.route("/<int:contact_id>/consent", methods=["POST"])
@role_required("worker", "reviewer", "admin")
def record_consent(contact_id):
    contact = contact_or_404(contact_id)
    db = get_db()
    form = ConsentForm()
    if not form.validate_on_submit():
        return render_template(
            "contacts/show.html", contact=contact, phone=display(contact["phone"]),
            consents=contacts.consent_history(db, contact_id),
            thread=messages.for_contact(db, contact_id), consent_form=form), 400
    state, method = form.change.data.split(":")
    cancelled = record_consent_change(db, contact_id, state, method, form.note.data or "")
    if state == "withdrawn":
        flash("Recorded: they no longer want texts."
              + (f" {len(cancelled)} scheduled text(s) cancelled." if cancelled else ""))
    else:
        flash("Recorded: they agreed to texts.")
    return redirect(url_for("contacts.show", contact_id=contact_id))
