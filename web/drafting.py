"""Drafting a text from a reviewed template, shared by compose and by editing a
scheduled text: the form, `build_draft` (render, check, choose the time) and the
"next allowed time" button.

Every path (the live preview, the Preview button, the confirm step, scheduling and
editing) goes through `build_draft`, so what the worker sees is exactly what is
stored and sent.
"""
import hashlib
from datetime import date
from zoneinfo import ZoneInfo

from flask import request
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import (BooleanField, HiddenField, RadioField, SelectChoice, SelectField,
                     StringField)
from wtforms.validators import DataRequired, Length

from actions.texts import Draft
from sms import checks, days, encoding, people, scheduling, text_language
from sms.languages import ENGLISH
from sms.library import NOT_A_TEXT, SITUATIONS
from sms.rendering import FIELD_NAMES, BadTemplate, MissingFields, placeholders_in
from sms.team import SENT_BY_MEND
from storage import contacts, messages, sms_templates
from storage.connection import utc_now

from .caseload import service, visible, visible_contacts

PERSONAL_LINE_MAX = 160


def optional_int(value):
    """Select values: '' (the "Choose..." option) or anything not a number is None."""
    text = str(value).strip() if value is not None else ""
    # isascii: "²" and "١" pass isdigit() but are not ids (int("²") raises ValueError)
    return int(text) if text.isascii() and text.isdigit() and len(text) < 12 else None


class ComposeForm(FlaskForm):
    contact_id = SelectField("Who is this text for?", coerce=optional_int, validate_choice=False,
                             validators=[DataRequired("Choose who the text is for.")])
    situation = SelectField("What happened?", validate_choice=False)
    template_version_id = SelectField("Template", coerce=optional_int, validate_choice=False,
                                      validators=[DataRequired("Choose a template.")])
    next_meeting_at = StringField("Next meeting", validators=[Length(max=40)])
    happened_on = StringField("When did it happen?", validators=[Length(max=20)])
    personal = StringField("Personal line (optional)", validators=[Length(
        max=PERSONAL_LINE_MAX,
        message=f"Keep the personal line to {PERSONAL_LINE_MAX} characters or fewer.")])
    when = RadioField("When should it go?", default="now",
                      choices=[SelectChoice(value, label)
                               for value, label in scheduling.QUICK_CHOICES.items()])
    send_at_local = StringField("Date and time", validators=[Length(max=40)])
    number_reconfirmed = BooleanField(
        "I have checked with them that this number is still safe to text")
    repair_id = HiddenField(validators=[Length(max=20)])  # composing from a repair
    # When the template has no approved version in their language: what to send instead.
    language_choice = RadioField("What should Mend send?", default="", validate_choice=False,
                                 choices=[SelectChoice(value, label) for value, label in
                                          text_language.CHOICES.items()])


def fill_choices(db, form, search=""):
    people_ = [row for row in visible_contacts(db) if row["consent_state"] == "granted"
               and search.lower() in row["preferred_name"].lower()]
    form.contact_id.choices = [SelectChoice("", "Choose a person")] + [
        SelectChoice(row["id"], row["preferred_name"]) for row in people_]
    form.situation.choices = [SelectChoice("", "Any situation", optgroup="A text may help")] + [
        SelectChoice(slug, label, optgroup="A text may help")
        for slug, label in SITUATIONS.items() if slug not in SENT_BY_MEND] + [
        SelectChoice(slug, label, optgroup="Not a time for a text")
        for slug, (label, _) in NOT_A_TEXT.items()]
    form.not_a_text = NOT_A_TEXT
    usable = [version for version in sms_templates.usable_versions(db)
              if version["situation"] not in SENT_BY_MEND]  # Mend sends these itself
    recent = messages.recent_template_ids(db, current_user.id)
    rank = {template_id: index for index, template_id in enumerate(recent)}
    usable.sort(key=lambda v: (rank.get(v["template_id"], len(rank)), v["situation"], v["title"]))
    chosen_situation = form.situation.data or ""
    form.template_version_id.choices = [SelectChoice("", "Choose a template")] + [
        SelectChoice(v["id"], v["title"],
                     optgroup="Recently used by you" if v["template_id"] in rank
                     else SITUATIONS.get(v["situation"], v["situation"]),
                     render_kw={"data-situation": v["situation"],
                                "data-when-to-use": v["when_to_use"],
                                "data-fields": " ".join(sorted(placeholders_in(v["body"])))})
        for v in usable if not chosen_situation or v["situation"] == chosen_situation
        or v["template_id"] in rank]
    return usable


def use_next_allowed(form):
    """The "send at the next allowed time" button: True when it was pressed, and the
    form now asks for that time."""
    chosen = request.form.get("use_next_allowed")
    if chosen:
        form.when.data = "at"
        form.send_at_local.data = chosen
    return bool(chosen)


def sendable_contact(db, form):
    """The chosen contact if they may be texted now; otherwise None, with the reason."""
    contact = contacts.get(db, form.contact_id.data)
    if not visible(contact):
        form.contact_id.errors.append("Choose who the text is for.")
        return None
    if contact["consent_state"] != "granted":
        form.contact_id.errors.append(people.cannot_text_now(contact))
        return None
    return contact


def usable_version(db, form):
    version = sms_templates.get_version(db, form.template_version_id.data)
    if version is None or version["status"] != "approved" or version["situation"] in SENT_BY_MEND:
        form.template_version_id.errors.append(
            "That template has not been approved for use. Choose another.")
        return None
    if not sms_templates.is_usable(db, version["id"]):
        form.template_version_id.errors.append(
            "That template is no longer in use (it was retired or replaced while you were "
            "writing). Choose another; what you typed is kept.")
        return None
    return version


def next_meeting_text(form, zone, language=ENGLISH):
    """The typed meeting time written out in `language`, or '' (an error is set if
    unreadable)."""
    typed = (form.next_meeting_at.data or "").strip()
    if not typed:
        return ""
    moment = scheduling.parse_local(typed, zone)
    if moment is None:
        form.next_meeting_at.errors.append(
            "That meeting date and time could not be read. Choose it again.")
        return ""
    return scheduling.format_meeting(moment, zone, language)


def resolve_time(form, contact, rules):
    """The moment the form's "When should it go?" means (UTC), or (None, problem)."""
    window = people.window_for(contact, rules.window)
    return scheduling.resolve(form.when.data, form.send_at_local.data, utc_now(),
                              rules.zone, window or rules.window, rules.morning)


def spoken_day(day):
    """A date as a worker reads it: "Wednesday 2 December"."""
    return f"{day:%A} {day.day} {day:%B}"


def happened_on(form):
    """The "When did it happen?" date, or None (an error is set when it cannot be used)."""
    typed = (form.happened_on.data or "").strip()
    if not typed:
        return None
    try:
        return date.fromisoformat(typed)
    except ValueError:
        form.happened_on.errors.append("That date could not be read. Choose it again.")
        return None


def language_plan(db, form, contact, version, rules):
    """The language(s) this text goes in, with the approved version in each; a
    `text_language.Plan` without languages (and an error on the choice) when the
    template has no approved version in the language they need."""
    available = sms_templates.usable_languages(db, version["template_id"])
    choice = form.language_choice.data if form.language_choice.data in \
        text_language.CHOICES else text_language.AS_PLANNED
    plan = text_language.plan(contact.get("language"), available, choice=choice,
                              welsh_standards=rules.welsh_standards,
                              welsh_first=rules.welsh_first, title=version["title"])
    form.text_plan = plan
    if plan.problem:
        form.language_choice.errors.append(plan.problem)
    return plan, [available[code] for code in plan.languages]


def uses_day(versions):
    return any("day" in placeholders_in(version["body"]) for version in versions)


def render_for(form, contact, versions, rules, arrives):
    """Render the text for a text arriving at `arrives`, one version per language in
    order (a bilingual text holds the worker's own line once, in the English part):
    [(language, counted part)] (`text_language.joined` makes the one text sent). A
    missing field becomes an error naming it. None on error."""
    languages = [version["language"] for version in versions]
    personal_in = ENGLISH if len(versions) > 1 and ENGLISH in languages else languages[0]
    happened = happened_on(form) if uses_day(versions) else None
    arrival_day = days.local_day(arrives, rules.zone)
    if happened is not None and happened > arrival_day:
        form.happened_on.errors.append(
            "That date is after the text would arrive. Choose the day it happened.")
    elif happened is not None and (arrival_day - happened).days > days.LONGEST_AGO:
        form.happened_on.errors.append(
            f"That date is more than {days.LONGEST_AGO} days before the text arrives. "
            "Check the year, or choose a template that names no day.")

    def values_for(language):
        return {"name": contact["preferred_name"], "worker": current_user.first_name,
                "service": rules.name_for(contact),
                "next_meeting": next_meeting_text(form, rules.zone, language),
                "personal": form.personal.data if language == personal_in else "",
                "day": days.day_phrase(happened, arrives, rules.zone, language)
                if happened is not None and not form.happened_on.errors else ""}

    values_for(languages[0])  # reads the meeting time once, so an error shows first
    if form.next_meeting_at.errors or form.happened_on.errors:
        return None
    try:
        return text_language.render_parts(
            [(version["language"], version["body"]) for version in versions], values_for)
    except MissingFields as missing:
        for name in missing.names:
            target = {"next_meeting": form.next_meeting_at, "personal": form.personal,
                      "day": form.happened_on}.get(name, form.template_version_id)
            target.errors.append(f"Fill in the {FIELD_NAMES[name]}: this template uses it.")
    except BadTemplate:
        form.template_version_id.errors.append(
            "This template cannot be used right now. Choose another and tell a reviewer.")
    return None


def wanted_translation(db, form):
    """(the chosen template, the languages it lacks for this person) when it has no
    approved version in their language; None (with the reason on the form) otherwise."""
    rules = service()
    form.validate()
    contact = sendable_contact(db, form) if not form.contact_id.errors else None
    version = usable_version(db, form) if not form.template_version_id.errors else None
    if contact is None or version is None:
        return None
    form.language_choice.data = text_language.AS_PLANNED
    plan, _ = language_plan(db, form, contact, version, rules)
    missing = [code for code in plan.missing if code != ENGLISH]
    form.language_choice.errors[:] = []
    if not missing:
        form.language_choice.errors.append(
            "This template can already go in their language: there is nothing to ask for.")
        return None
    return version, missing


def choose_send_time(form, contact, rules):
    """The send time; a problem goes on the field the worker can see and change: the
    date and time when "Choose a date and time" is chosen, else the choice itself."""
    window = people.window_for(contact, rules.window)
    moment, problem = resolve_time(form, contact, rules)
    target = form.send_at_local if form.when.data == "at" else form.when
    if problem:
        target.errors.append(problem)
        return None
    result = scheduling.check_time(moment, utc_now(), rules.zone, window,
                                   service_window=rules.window,
                                   safe_hours=people.safe_hours_of(contact),
                                   name=contact["preferred_name"])
    if result.problem:
        target.errors.append(result.problem)
    return result


def warnings_for(contact, parts, rules, personal=""):
    """The same checks a template passed, now on the text with the worker's words: each
    language's part with that language's checks (never the English lists on Welsh)."""
    context = checks.Context(worker=current_user.first_name, service_name=rules.name,
                             service_allowed=bool(contact["ok_to_name_service"]))
    findings = [finding for language, part in parts
                for finding in checks.check_text(part.body, context,
                                                 name=contact["preferred_name"],
                                                 language=language)]
    if any(language != ENGLISH for language, _ in parts):  # their own line, in any case
        findings += checks.check_own_line(personal or "", context, language=parts[0][0])
    return findings


def bilingual_length(parts, rendered):
    """Each part is checked on its own; a text in two languages is also held to 4 parts
    as a whole (what the library allows a bilingual starter)."""
    if len(parts) < 2 or rendered.parts <= checks.MAX_PARTS_UCS2_LANGUAGE:
        return []
    return [checks.Finding("too-long", f"In two languages this text is {rendered.parts} "
                           f"parts. Keep it to {checks.MAX_PARTS_UCS2_LANGUAGE} at most: "
                           "shorten your line, or send it in one language.")]


def personal_day_warnings(personal, arrives, zone):
    """A day named in the worker's own line, for a text that arrives on another date
    than today: "today" written now may be wrong when it lands."""
    arrival_day = days.local_day(arrives, zone)
    if arrival_day == days.local_day(utc_now(), zone):
        return []
    return [checks.Finding("names-a-day", f"Your line says “{phrase}”, but the text arrives "
                           f"on {spoken_day(arrival_day)}: check it will still be right "
                           "then, or leave the day out.")
            for phrase in dict.fromkeys(m.group(0)
                                        for m in checks.DAY_WORDS.finditer(personal or ""))]


def template_fields(form, version, versions):
    """What the worker typed and chose, kept with the text so changing it starts from
    there: the template they chose (when the text went in another language's version)
    and their language choice (when they made one)."""
    fields = {"personal": form.personal.data or "",
              "next_meeting_at": form.next_meeting_at.data or ""}
    if versions[0]["id"] != version["id"]:
        fields["chosen_version_id"] = version["id"]
    if form.language_choice.data in (text_language.ENGLISH_ONLY, text_language.BILINGUAL):
        fields["language_choice"] = form.language_choice.data
    return fields


def build_draft(db, form, *, contact=None, with_time=False):
    """Check a compose form; a Draft when the text can be rendered, else None.

    Errors are left on the form's fields. With `with_time`, the send time and the
    number re-check are checked too (callers then look at `form.errors`).
    """
    rules = service()
    form.validate()
    if form.situation.data in NOT_A_TEXT:
        form.situation.errors = [*form.situation.errors, "This is not a time for a text "
                                 "from you: " + NOT_A_TEXT[form.situation.data][1]]
        return None
    if contact is None and not form.contact_id.errors:
        contact = sendable_contact(db, form)
    version = usable_version(db, form) if not form.template_version_id.errors else None
    if contact is None or version is None:
        return None
    plan, versions = language_plan(db, form, contact, version, rules)
    if not versions:
        return None
    send_time = choose_send_time(form, contact, rules) if with_time else None
    # When it arrives: the checked send time, else what the form means now (the live
    # preview before a time is chosen, or one that cannot be read yet: now).
    arrives = (send_time.at if send_time and send_time.at else
               resolve_time(form, contact, rules)[0]) or utc_now()
    parts = render_for(form, contact, versions, rules, arrives)
    if parts is None or form.personal.errors:
        return None
    rendered = text_language.joined(parts)
    draft = Draft(contact=contact, version=versions[0], rendered=rendered,
                  template_fields=template_fields(form, version, versions),
                  languages=plan.languages, other_versions=versions[1:],
                  chosen_version=version)
    if uses_day(versions):
        draft.template_fields["happened_on"] = form.happened_on.data
        draft.day_written_for = days.written_for(arrives, rules.zone)
        draft.day_note = (f"Mend wrote when it happened for a text arriving on "
                          f"{spoken_day(days.local_day(arrives, rules.zone))}. If the time "
                          "changes, Mend writes it again.")
    draft.warnings = [warning.as_dict() for warning in [
        *dict.fromkeys(warnings_for(contact, parts, rules, form.personal.data)),
        *bilingual_length(parts, rendered),
        *personal_day_warnings(form.personal.data, arrives, rules.zone)]]
    draft.meeting_at = scheduling.parse_local(form.next_meeting_at.data, rules.zone) if (
        form.next_meeting_at.data or "").strip() else None
    draft.cooling_off_situation = version["situation"] in scheduling.COOLING_OFF_SITUATIONS
    draft.suggest_cooling_off = (draft.cooling_off_situation
                                 and form.when.data in ("now", "in_2_hours"))
    draft.budget = encoding.budget(rendered)
    draft.needs_reconfirm = people.number_needs_reconfirming(
        contact, now=utc_now(), days=rules.reconfirm_days)
    if with_time:
        draft.send_time = send_time
        if draft.needs_reconfirm and not form.number_reconfirmed.data:
            form.number_reconfirmed.errors.append(
                f"It is a while since {contact['preferred_name']}'s number was checked. "
                "Check with them that it is still safe to text, then tick the box.")
    return draft


def fingerprint(body):
    """Marks the text whose warnings the worker was shown, so what is stored was seen."""
    return hashlib.sha256(body.encode("utf-8")).hexdigest()[:16]


def warnings_unseen(draft):
    return bool(draft.warnings) and request.form.get("seen_warnings") != fingerprint(
        draft.rendered.body)


def ready_to_schedule(draft, form):
    return (draft is not None and not form.errors and draft.send_time is not None
            and draft.send_time.at is not None)


def next_allowed(draft):
    return draft.send_time.next_allowed if draft and draft.send_time else None


def input_local(moment, zone):
    """An aware datetime as a datetime-local input value in the service's zone."""
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M") if moment else ""
