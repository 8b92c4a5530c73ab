"""Reading the history filters and page links people type or paste, with a clear
message for each thing that is wrong (never a 500)."""
import base64
import binascii
import re
from datetime import datetime

from wtforms import Form, HiddenField, SelectField, StringField
from wtforms.validators import Length, Optional, ValidationError

from actions.history_export import InvalidDate, end_of_day, parse_date, start_of_day
from sms.labels import STATUS_LABELS
from sms.library import SITUATIONS
from storage import history
from storage.connection import to_db_time
from storage.messages import STATUSES

SEARCH_MAX = 200
PAGE_TOKEN_MAX = 120
ID_PATTERN = re.compile(r"[0-9]{1,18}")
BAD_PAGE_LINK = "That page link is not valid. Start again from the first page."


def chosen_from_list(message):
    def check(form, field):
        allowed = {str(value) for value, _ in field.choices}
        if field.data and field.data not in allowed:
            raise ValidationError(message)
    return check


def a_date(message):
    def check(form, field):
        if field.data:
            try:
                parse_date(field.data)
            except InvalidDate:
                raise ValidationError(message)
    return check


def a_page_link(form, field):
    if field.data:
        try:
            decode_page_token(field.data)
        except ValueError:
            raise ValidationError(BAD_PAGE_LINK)


def a_known_person(form, field):
    if field.data and not ID_PATTERN.fullmatch(field.data):
        raise ValidationError("That person could not be found. Choose them again.")


class HistoryFilterForm(Form):
    """A GET form: filters change nothing, so it carries no CSRF token."""
    q = StringField("Words in the text", validators=[
        Optional(), Length(max=SEARCH_MAX,
                           message=f"Keep the search to {SEARCH_MAX} characters.")])
    worker = SelectField("Written by", validate_choice=False, validators=[
        chosen_from_list("Choose who wrote the text from the list.")])
    status = SelectField("Status", validate_choice=False, validators=[
        chosen_from_list("Choose a status from the list.")])
    template = SelectField("Template", validate_choice=False, validators=[
        chosen_from_list("Choose a template from the list.")])
    situation = SelectField("Situation", validate_choice=False, validators=[
        chosen_from_list("Choose a situation from the list.")])
    since = StringField("From", validators=[
        a_date("Enter the 'from' date as a real date, like 2026-03-01.")])
    until = StringField("To", validators=[
        a_date("Enter the 'to' date as a real date, like 2026-03-31.")])
    contact = HiddenField(validators=[a_known_person])
    after = HiddenField(validators=[a_page_link])

    def validate_until(self, field):
        if self.since.data and field.data and not self.since.errors:
            try:
                if parse_date(field.data) < parse_date(self.since.data):
                    raise ValidationError(
                        "The 'to' date must be the same as or after the 'from' date.")
            except InvalidDate:
                pass


def filter_form(db, args):
    form = HistoryFilterForm(args)
    form.worker.choices = [("", "Anyone")] + [
        (str(row["id"]), row["name"]) for row in history.people_who_write(db)]
    form.status.choices = [("", "Any status")] + [
        (status, STATUS_LABELS[status]) for status in STATUSES]
    form.template.choices = [("", "Any template")] + [
        (row["template_id"], row["title"]) for row in history.templates(db)]
    form.situation.choices = [("", "Any situation")] + list(SITUATIONS.items())
    return form


def filters_from(form, zone):
    """The validated form as storage filters (call only when form.validate() passed)."""
    def value(field):
        return field.data or None

    return history.Filters(
        worker_id=int(form.worker.data) if form.worker.data else None,
        contact_id=int(form.contact.data) if form.contact.data else None,
        status=value(form.status),
        template_id=value(form.template),
        situation=value(form.situation),
        since=start_of_day(parse_date(form.since.data), zone) if form.since.data else None,
        until=end_of_day(parse_date(form.until.data), zone) if form.until.data else None,
        search=(form.q.data or "").strip() or None,
    )


def encode_page_token(key):
    scheduled_for, message_id = key
    raw = f"{scheduled_for}|{message_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_page_token(token):
    """(scheduled_for, id) from a page link; ValueError for anything not made by us."""
    if len(token) > PAGE_TOKEN_MAX:
        raise ValueError("page token too long")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise ValueError("page token is not base64")
    scheduled_for, _, message_id = raw.partition("|")
    if not ID_PATTERN.fullmatch(message_id):
        raise ValueError("page token has no message id")
    moment = datetime.fromisoformat(scheduled_for)  # ValueError if not a time
    if moment.tzinfo is None:
        raise ValueError("page token time has no zone")
    return to_db_time(moment), int(message_id)
