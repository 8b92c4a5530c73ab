"""The people a worker supports: adding and editing them, their consent, their page,
and erasing them."""
import logging
from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from actions import consent, people
from actions.consent import EARLIER_STOP_NOTE
from actions.people import CONFIRM_BY_TEXT, PersonDetails
from sms import people as rules
from sms import send_window
from sms.languages import LANGUAGES, name_of
from sms.phone import InvalidNumber, display, normalise_mobile
from storage import contacts, inbound, messages, repairs, users
from storage.connection import from_db_time, utc_now

from .auth import role_required
from .caseload import contact_or_404, service, visible_contacts
from .database import get_db
from .formatting import local_time

bp = Blueprint("contacts", __name__, url_prefix="/contacts")
log = logging.getLogger("mend.contacts")

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
LANGUAGE_CHOICES = [SelectChoice("", "Not asked yet")] + [
    SelectChoice(code, name) for code, name in LANGUAGES.items()]
LANGUAGE_HINT = ("Ask them which language they want texts in. Texts go in it once a "
                 "reviewer has approved a version in it; until then you choose what to send.")


def language_code(value):
    """A select value: a known language code, or None for "Not asked yet" (or junk,
    which the choice check then refuses)."""
    text = str(value or "").strip()
    return text if text in LANGUAGES else (None if not text else text)


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
                self.safe_hours_start.data, field.data, service().window)
        except send_window.InvalidWindow as error:
            raise ValidationError(str(error))


class ContactForm(PersonForm):
    language = SelectField("Language for texts", choices=LANGUAGE_CHOICES,
                           coerce=language_code, validate_choice=True)
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


class LanguageForm(FlaskForm):
    language = SelectField("Language for texts", choices=LANGUAGE_CHOICES,
                           coerce=language_code, validate_choice=True)


def may_erase(contact):
    return current_user.role == "admin" or contact["key_worker_id"] == current_user.id


def key_worker_choices(db):
    mine = [SelectChoice(current_user.id, current_user.name)]
    if not current_user.sees_everyone:
        return mine
    return [SelectChoice(row["id"], row["name"]) for row in users.all_users(db)
            if row["active"] and row["role"] == "worker"] or mine


def conversation(db, contact_id):
    """Texts sent and replies received, interleaved, oldest first."""
    entries = [{"direction": "out", "at": m["sent_at"] or m["scheduled_for"], "item": m}
               for m in messages.for_contact(db, contact_id)]
    entries += [{"direction": "in", "at": r["received_at"], "item": r}
                for r in inbound.for_contact(db, contact_id)]
    return sorted(entries, key=lambda entry: (from_db_time(entry["at"]),
                                              entry["direction"] == "in", entry["item"]["id"]))


def person_details(form):
    start, end = form.safe_hours
    return PersonDetails(preferred_name=form.preferred_name.data.strip(), phone=form.phone.e164,
                         key_worker_id=form.key_worker_id.data,
                         ok_to_name_service=bool(form.ok_to_name_service.data),
                         safe_hours_start=start, safe_hours_end=end,
                         number_confirmed_today=bool(form.number_confirmed.data),
                         shared_number=bool(form.add_anyway.data),
                         language=getattr(form, "language", None) and form.language.data)


@bp.route("/")
@role_required("worker", "reviewer", "admin")
def index():
    return render_template("contacts/index.html", contacts=visible_contacts(get_db()))


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
            added = people.add_person(
                db, person_details(form), consent_method=form.consent_method.data,
                consent_note=form.consent_note.data, worker_id=current_user.id,
                worker_name=current_user.first_name, service=service())
            flash(f"Added {form.preferred_name.data.strip()}."
                  + (confirmation_sent_notice(added.confirmation_at)
                     if added.confirmation_at else "")
                  + (" " + EARLIER_STOP_NOTE if added.stopped_earlier else ""))
            return redirect(url_for("contacts.show", contact_id=added.contact_id))
    return render_template("contacts/new.html", form=form, duplicates=duplicates)


def confirmation_sent_notice(send_at):
    when = "now" if send_at <= utc_now() + timedelta(minutes=1) else f"at {local_time(send_at)}"
    return (f" Mend will send the confirmation text {when}, and nothing else until they "
            "reply YES.")


def render_contact_page(contact, *, status=200, **forms):
    db = get_db()
    rules_ = service()
    forms.setdefault("consent_form", ConsentForm())
    forms.setdefault("language_form", LanguageForm(data={"language": contact["language"]}))
    return render_template(
        "contacts/show.html", contact=contact, phone=display(contact["phone"]),
        consents=contacts.consent_history(db, contact["id"]),
        thread=conversation(db, contact["id"]),
        unread=inbound.unread_ids_for_contact(db, contact["id"]),
        reconfirm_due=rules.number_needs_reconfirming(contact, now=utc_now(),
                                                      days=rules_.reconfirm_days),
        reconfirm_days=rules_.reconfirm_days,
        refusal=rules.consent_refusal(contact),
        stopped_by_text=consent.stopped_by_text(db, contact["id"]),
        may_erase=may_erase(contact), service_window=str(rules_.window),
        repairs=repairs.for_contact_and_worker(db, contact["id"], current_user.id),
        **forms), status


@bp.route("/<int:contact_id>")
@role_required("worker", "reviewer", "admin")
def show(contact_id):
    return render_contact_page(contact_or_404(contact_id))


@bp.route("/<int:contact_id>/consent", methods=["POST"])
@role_required("worker", "reviewer", "admin")
def record_consent(contact_id):
    contact = contact_or_404(contact_id)
    form = ConsentForm()
    if form.validate_on_submit():
        state, method = form.change.data.split(":")
        changed = consent.change(get_db(), contact, state=state, method=method,
                                 note=form.note.data or "", worker_id=current_user.id,
                                 worker_name=current_user.first_name, service=service())
        if changed.problem is None:
            flash(consent_change_notice(changed))
            return redirect(url_for("contacts.show", contact_id=contact_id))
        form.change.errors.append(changed.problem)
    return render_contact_page(contact, consent_form=form, status=400)


def consent_change_notice(changed):
    """What the change did, in words for the worker."""
    if changed.state == "pending":
        return ("Recorded: waiting for them to confirm."
                + confirmation_sent_notice(changed.confirmation_at))
    if changed.state == "withdrawn":
        return ("Recorded: they no longer want texts."
                + (f" {len(changed.cancelled)} scheduled text(s) cancelled."
                   if changed.cancelled else ""))
    return "Recorded: they agreed to texts." + (
        " They had texted STOP, so their phone network blocks texts until they text START "
        "to this number." if changed.blocked_by_stop else "")


@bp.route("/<int:contact_id>/language", methods=["POST"])
@role_required("worker", "reviewer", "admin")
def record_language(contact_id):
    """The language they want texts in, or "Not asked yet"; who recorded it and when."""
    contact = contact_or_404(contact_id)
    form = LanguageForm()
    if not form.validate_on_submit():
        form.language.errors[:] = ["Choose a language from the list, or “Not asked yet”."]
        return render_contact_page(contact, language_form=form, status=400)
    changed = people.record_language(get_db(), contact["id"], form.language.data,
                                     user_id=current_user.id)
    flash(f"Recorded: texts to {contact['preferred_name']} go in "
          f"{name_of(form.language.data)}." if changed and form.language.data else
          "Recorded: their language is not asked yet." if changed else "Nothing changed.")
    return redirect(url_for("contacts.show", contact_id=contact_id))


@bp.route("/<int:contact_id>/number-confirmed", methods=["POST"])
@role_required("worker", "reviewer", "admin")
def number_confirmed(contact_id):
    contact = contact_or_404(contact_id)
    if not ConfirmNumberForm().validate_on_submit():
        abort(400)
    people.confirm_number(get_db(), contact["id"], user_id=current_user.id)
    flash("Recorded: you checked today that their number is safe to text.")
    return redirect(url_for("contacts.show", contact_id=contact_id))


@bp.route("/<int:contact_id>/edit", methods=["GET", "POST"])
@role_required("worker", "reviewer", "admin")
def edit(contact_id):
    contact = contact_or_404(contact_id)
    db = get_db()
    form = EditContactForm(data=None if request.method == "POST" else {
        **contact, "phone": display(contact["phone"]),
        "ok_to_name_service": bool(contact["ok_to_name_service"])})
    # A new key worker comes only through a handover (team.handover_person), which
    # moves their waiting texts too; cover never changes who their key worker is.
    form.key_worker_id.choices = [SelectChoice(contact["key_worker_id"],
                                               contact["key_worker_name"])]
    duplicates = []
    if form.validate_on_submit():
        duplicates = duplicate_number_error(db, form, except_id=contact["id"])
        if not form.phone.errors:
            changed = people.update_person(db, contact, person_details(form),
                                           user_id=current_user.id)
            flash("Saved." if changed else "Nothing changed.")
            return redirect(url_for("contacts.show", contact_id=contact_id))
    return render_template("contacts/edit.html", form=form, contact=contact,
                           duplicates=duplicates)


@bp.route("/<int:contact_id>/erase", methods=["GET", "POST"])
@role_required("worker", "admin")
def erase(contact_id):
    contact = contact_or_404(contact_id)
    if not may_erase(contact):
        abort(403)
    form = EraseForm()
    if request.method == "GET":
        return render_template("contacts/erase.html", contact=contact, form=form)
    if not form.validate_on_submit():
        return render_template("contacts/erase.html", contact=contact, form=form), 400
    erased = people.erase_person(get_db(), contact["id"], user_id=current_user.id,
                                 replicated=bool(current_app.config["REPLICA_URL"]))
    if not erased.wal_emptied and not erased.replicated:
        log.warning("contact %s erased; the WAL could not be emptied yet (a reader held "
                    "it), so old pages stay there until the next checkpoint", contact["id"])
    flash("Their details are erased."
          + (f" {len(erased.cancelled)} scheduled text(s) cancelled." if erased.cancelled else "")
          + " An anonymous record of what was sent, and when, is kept for the audit.")
    return redirect(url_for("contacts.index"))
