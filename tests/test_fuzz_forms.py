"""Bad-input fuzzing of every form: Hypothesis posts random and hostile values (very long
strings, control characters, invalid UTF-8, odd dates and time zones, missing and
repeated fields) with a real CSRF token, as the role that may use the form.

The forms come from `app.url_map`: a new POST route without an entry in FORMS fails
`test_every_post_route_is_fuzzed` until someone says how to fuzz it. Each form's fields
are read from its FlaskForm class, so a new field is fuzzed without a change here.

After every example: no 5xx, nothing logged at ERROR (an uncaught exception is logged
by web/errors.py), `PRAGMA integrity_check` passes and the audit chain verifies.
"""
import itertools
from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import event, find, given, settings
from hypothesis import strategies as st
from wtforms.fields.core import UnboundField

from actions import repairs as repair_actions
from storage import contacts, inbound, messages, sms_templates
from storage.connection import utc_now
from tests.fuzz_support import (PHONES, capture_errors, check_database, check_response,
                                clock_times, datetimes_typed, form_body, free_text,
                                occurrences, post_pairs, release)
from tests.harness.database import ACCOUNTS
from tests.harness.pages import client_for, csrf_token
from web import auth, compose, contacts as contact_views, inbox, messages as message_views
from web import account as account_views
from web import admin as admin_views
from web import audit as audit_views
from web import repairs as repair_views
from web import sms_templates as template_views
from web import team as team_views

EXAMPLES_PER_FORM = 50
EXAMPLES_PER_RICH_FORM = 120
RICH_FORMS = ["compose.compose", "compose.preview", "contacts.edit", "contacts.new",
              "messages.edit", "repairs.new", "repairs.met", "repairs.plan"]
WEBHOOK_ENDPOINTS = {"webhooks.inbound", "webhooks.status_callback"}  # test_fuzz_webhooks.py
HOSTILE_IDS = [0, -1, 999_999, 2 ** 31, 2 ** 63 - 1, 2 ** 63, 10 ** 30]
_serial = itertools.count(1)


@pytest.fixture
def app_config(app_config):
    # A real window (not 00:00-24:00), so safe hours and send times are really checked.
    return {**app_config, "SEND_WINDOW": "08:00-21:00", "LOGIN_MAX_FAILURES": 3}


@dataclass
class World:
    """The people, texts and templates the forms act on, made once per app."""
    app: object
    db: object
    ids: dict
    contact_id: int = 0
    pending_contact_id: int = 0
    version_ids: list = field(default_factory=list)
    full_version_ids: list = field(default_factory=list)
    clients: dict = field(default_factory=dict)
    tokens: dict = field(default_factory=dict)

    def client(self, role):
        if role not in self.clients:
            if role == "anonymous":
                client = self.app.test_client()
                self.tokens[role] = csrf_token(client, "/login")
            else:
                client = client_for(self.app, role)
                self.tokens[role] = csrf_token(client, "/contacts/new")
            self.clients[role] = client
        return self.clients[role], self.tokens[role]

    # Fresh rows per example, so a form that changes state (erase, cancel, review,
    # retire) meets the state it expects every time, not only the first.
    def new_contact(self, consent="granted", phone="+447911123456"):
        contact_id = contacts.create(self.db, preferred_name=f"Alex {next(_serial)}",
                                     phone=phone, key_worker_id=self.ids["worker"],
                                     created_by=self.ids["worker"],
                                     number_confirmed_on=None)
        contacts.record_consent(self.db, contact_id=contact_id, state=consent,
                                method="in_person", recorded_by=self.ids["worker"])
        return contact_id

    def new_message(self, status="scheduled"):
        message_id = messages.create(
            self.db, contact_id=self.contact_id, worker_id=self.ids["worker"],
            template_version_id=self.version_ids[0], body="Alex, no need to reply. Sam",
            encoding="GSM-7", characters=27, parts=1, warnings=[],
            scheduled_for=utc_now() + timedelta(days=2),
            template_fields={"personal": "", "next_meeting_at": ""})
        if status == "unknown":
            self.db.execute("UPDATE messages SET status = 'unknown' WHERE id = ?", [message_id])
        return message_id

    def new_inbound(self):
        return inbound.record(self.db, provider_sid=f"SM{next(_serial):032x}",
                              from_number="+447911123456", contact_id=self.contact_id,
                              body="Thanks", kind="reply")

    def new_repair(self, *, reflected=False):
        repair_id = repair_actions.start_repair(
            self.db, contact_id=self.contact_id, worker_id=self.ids["worker"],
            situation="went-quiet", happened_at=utc_now(), note="Missed Tuesday.")
        if reflected:
            repair_actions.reflect(self.db, {"id": repair_id}, worker_id=self.ids["worker"],
                                   answers={"how_it_felt": "Unsettled."})
        return repair_id

    def new_cover(self):
        from datetime import date
        from storage import team
        return team.create_cover(self.db, key_worker_id=self.ids["worker"],
                                 cover_worker_id=self.ids["other_worker"],
                                 starts_on=date.today(), ends_on=date.today() + timedelta(days=3),
                                 created_by=self.ids["worker"])

    def new_template(self, status="approved", author="second_reviewer"):
        template_id = f"fuzz-template-{next(_serial)}"
        version_id = sms_templates.create_draft(
            self.db, template_id=template_id, authored_by=self.ids[author],
            fields={"title": "Fuzz", "situation": "word-landed-badly", "strategy": "invite to talk",
                    "when_to_use": "When testing.",
                    "body": "Hi {name}, it's {worker}. I am sorry. {personal} No need to reply."})
        if status == "approved":
            sms_templates.settle_draft(self.db, version_id, status="approved",
                                       reviewer_id=self.ids["admin"], reviewer_name="Ada",
                                       note="", at=utc_now())
        return template_id


@pytest.fixture
def world(app, db, user_ids):
    found = World(app=app, db=db, ids=user_ids)
    found.contact_id = found.new_contact()
    found.pending_contact_id = found.new_contact(consent="pending", phone="+447922654321")
    usable = sms_templates.usable_versions(db)
    found.version_ids = [version["id"] for version in usable]
    found.full_version_ids = [version["id"] for version in usable
                              if "next_meeting" in version["body"] and "personal" in version["body"]]
    assert found.full_version_ids, "no starter template uses both next_meeting and personal"
    return found


def path_id(real):
    """Mostly the real id; one time in four an id that is not there, or too big for SQLite."""
    return st.sampled_from([real] * (3 * len(HOSTILE_IDS)) + HOSTILE_IDS)


def ids_or_junk(ids):
    return st.one_of(st.sampled_from([str(i) for i in ids]),
                     st.sampled_from([str(i) for i in HOSTILE_IDS]), free_text())


def choices_of(unbound):
    """The values a select or radio field offers, read from the form class."""
    choices = unbound.kwargs.get("choices") or []
    return [str(getattr(choice, "value", choice)) for choice in choices]


def field_values(name, unbound, world):
    """A strategy for hostile values of one form field, chosen by its name and type."""
    kind = unbound.field_class.__name__ if unbound is not None else ""
    if name in ("next_meeting_at", "send_at_local", "use_next_allowed", "happened_at",
                "meeting_at", "new_time"):
        return datetimes_typed()
    if name.startswith("safe_hours"):
        return clock_times()
    if name == "phone":
        return st.one_of(st.sampled_from(PHONES), free_text())
    if name == "email":
        return st.one_of(st.emails(), free_text())
    if name == "contact_id":
        return ids_or_junk([world.contact_id, world.pending_contact_id])
    if name == "key_worker_id":
        return ids_or_junk([world.ids["worker"], world.ids["other_worker"], world.ids["admin"]])
    if name == "template_version_id":
        return ids_or_junk(world.version_ids)
    if name in ("reviewer_id", "repair_id"):
        return ids_or_junk([world.ids["reviewer"], world.ids["second_reviewer"],
                            world.ids["worker"]])
    if name in ("cover_worker_id", "new_worker_id"):
        return ids_or_junk([world.ids["worker"], world.ids["other_worker"], world.ids["admin"]])
    if name in ("starts_on", "ends_on"):
        return st.one_of(st.dates().map(str), datetimes_typed(), free_text())
    if kind in ("SelectField", "RadioField") and choices_of(unbound):
        return st.one_of(st.sampled_from(choices_of(unbound)), free_text())
    if kind == "BooleanField":
        return st.one_of(st.sampled_from(["y", "on", "1", "false", ""]), free_text())
    if name == "body":  # template text: placeholders, old Jinja, well formed and not
        return st.one_of(st.sampled_from([
            "{nope}", "{name", "}{", "{ name }", "{personal}{personal}", "{{ nope }}",
            "{{ name", "{% raw %}", "{{ name|attr('__class__') }}",
            "{{ ''.__class__.__mro__ }}", "{{ cycler.__init__.__globals__ }}",
            "{name} you need to calm down", "{worker}{worker}{worker}"]), free_text())
    return free_text()


def local_slot(days, hour, minute):
    moment = utc_now().astimezone(ZoneInfo("Europe/London")) + timedelta(days=days)
    return moment.replace(hour=hour, minute=minute).strftime("%Y-%m-%dT%H:%M")


def valid_values(name, unbound, world):
    """What a careful worker would send in this field: the baseline each example
    corrupts, so the fuzzing reaches the code behind the validation too."""
    plausible = {
        "email": st.sampled_from([account[0] for account in ACCOUNTS.values()]),
        "password": st.just("not the password"),
        "preferred_name": st.sampled_from(["Alex", "Jo", "Sam O'Neill", "Zoë"]),
        "phone": st.integers(0, 999).map(lambda n: f"07911 123{n:03d}"),
        "key_worker_id": st.just(str(world.ids["worker"])),
        "safe_hours_start": st.sampled_from(["", "10:00"]),
        "safe_hours_end": st.sampled_from(["", "18:30"]),
        "contact_id": st.just(str(world.contact_id)),
        # templates using every field, most often: their fields are where dates are read
        "template_version_id": st.sampled_from([str(i) for i in world.full_version_ids] * 4
                                               + [str(i) for i in world.version_ids]),
        "next_meeting_at": st.builds(local_slot, st.integers(1, 20), st.integers(9, 19),
                                     st.sampled_from([0, 30])),
        "send_at_local": st.builds(local_slot, st.integers(1, 29), st.integers(9, 19),
                                   st.integers(0, 59)),
        "personal": st.sampled_from(["", "I'm sorry I was late on Tuesday.",
                                     "It was good to see you."]),
        "when": st.sampled_from(["at", "at", "now", "in_2_hours", "tomorrow_morning"]),
        "action": st.sampled_from(["confirm", "review", "save", "preview"]),
        "title": st.sampled_from(["Sorry about Tuesday", "Still here"]),
        "when_to_use": st.just("After a meeting ended badly."),
        "body": st.sampled_from([
            "Hi {name}, it's {worker}. I got something wrong today and I'm sorry. "
            "{personal} I'd like to hear how it was for you, when it suits you. No need to "
            "reply.",
            "Hi {name}, it's {worker}. {personal} I'd like to talk about it when we next "
            "meet, {next_meeting}. No need to reply."]),
        "notes": st.sampled_from(["", "Why it is worded this way."]),
        "note": st.sampled_from(["", "Needs a gentler opening."]),
        "reason": st.sampled_from(["talked_in_person", "other", "provider_refused",
                                   "Replaced by a newer one."]),
        "current": st.sampled_from(["not the password", "correct horse battery staple"]),
        "new": st.sampled_from(["short", "a long enough new password"]),
        "confirm": st.sampled_from(["short", "a long enough new password"]),
        "next": st.sampled_from(["", "/dashboard", "/contacts/"]),
        "happened_at": st.builds(local_slot, st.integers(-5, 0), st.integers(9, 19),
                                 st.sampled_from([0, 30])),
        "meeting_at": st.builds(local_slot, st.integers(-3, 20), st.integers(9, 19),
                                st.sampled_from([0, 30])),
        "new_time": st.builds(local_slot, st.integers(1, 20), st.integers(9, 19),
                              st.sampled_from([0, 30])),
        "reviewer_id": st.just(str(world.ids["reviewer"])),
        "back_to": st.sampled_from(["", "dashboard"]),
        "repair_id": st.just(""),
        "cover_worker_id": st.just(str(world.ids["other_worker"])),
        "new_worker_id": st.just(str(world.ids["other_worker"])),
        "starts_on": st.integers(0, 3).map(lambda n: str(utc_now().date() + timedelta(days=n))),
        "ends_on": st.integers(3, 30).map(lambda n: str(utc_now().date() + timedelta(days=n))),
        "cancel_reason": st.sampled_from(["", "Jo will write her own."]),
    }
    if name in plausible:
        return plausible[name]
    if unbound is not None and unbound.field_class.__name__ == "BooleanField":
        return st.just("y")
    choices = [value for value in choices_of(unbound) if value] if unbound is not None else []
    if choices:
        return st.sampled_from(choices)
    return st.just("")


def form_fields(form_class):
    return {name: value for name in dir(form_class)
            if isinstance(value := getattr(form_class, name), UnboundField)}


@dataclass
class FormSpec:
    role: str
    form_class: type
    url: object  # (world, data) -> the URL to post to, making fresh rows as needed
    extra: dict = field(default_factory=dict)  # fields read from request.form directly


def consent_states():
    return st.sampled_from(["granted", "pending", "withdrawn"])


def compose_actions():
    return st.one_of(st.sampled_from(["review", "confirm", "preview", ""]), free_text())


FORMS = {
    "auth.login": FormSpec("anonymous", auth.LoginForm, lambda w, d: "/login"),
    "auth.logout": FormSpec("fresh-worker", auth.LogoutForm, lambda w, d: "/logout"),
    "contacts.new": FormSpec("worker", contact_views.ContactForm,
                             lambda w, d: "/contacts/new"),
    "contacts.edit": FormSpec(
        "worker", contact_views.EditContactForm,
        lambda w, d: f"/contacts/{d.draw(path_id(w.new_contact()))}/edit"),
    "contacts.record_consent": FormSpec(
        "worker", contact_views.ConsentForm,
        lambda w, d: f"/contacts/{d.draw(path_id(w.new_contact(d.draw(consent_states()))))}"
                     "/consent"),
    "contacts.number_confirmed": FormSpec(
        "worker", contact_views.ConfirmNumberForm,
        lambda w, d: f"/contacts/{d.draw(path_id(w.contact_id))}/number-confirmed"),
    "contacts.erase": FormSpec(
        "worker", contact_views.EraseForm,
        lambda w, d: f"/contacts/{d.draw(path_id(w.new_contact()))}/erase"),
    "inbox.read": FormSpec(
        "worker", inbox.MarkReadForm,
        lambda w, d: f"/inbox/{d.draw(path_id(w.new_inbound()))}/read"),
    "inbox.read_all_from": FormSpec(
        "worker", inbox.MarkReadForm,
        lambda w, d: (w.new_inbound(),
                      f"/inbox/contact/{d.draw(path_id(w.contact_id))}/read")[1]),
    "compose.compose": FormSpec(
        "worker", compose.ComposeForm, lambda w, d: "/compose/",
        extra={"action": compose_actions(), "seen_warnings": free_text(),
               "use_next_allowed": datetimes_typed()}),
    "compose.preview": FormSpec("worker", compose.ComposeForm,
                                lambda w, d: "/compose/preview"),
    "compose.ask_translation": FormSpec("worker", compose.ComposeForm,
                                        lambda w, d: "/compose/ask-translation"),
    "contacts.record_language": FormSpec(
        "worker", contact_views.LanguageForm,
        lambda w, d: f"/contacts/{d.draw(path_id(w.contact_id))}/language"),
    "admin.set_languages": FormSpec(
        "admin", admin_views.LanguagesForm,
        lambda w, d: f"/admin/users/{d.draw(path_id(w.ids['other_worker']))}/languages"),
    "messages.settle": FormSpec(
        "worker", message_views.SettleForm,
        lambda w, d: f"/messages/{d.draw(path_id(w.new_message('unknown')))}/settle"),
    "messages.cancel": FormSpec(
        "worker", message_views.CancelForm,
        lambda w, d: f"/messages/{d.draw(path_id(w.new_message()))}/cancel"),
    "messages.edit": FormSpec(
        "worker", compose.ComposeForm,
        lambda w, d: f"/messages/{d.draw(path_id(w.new_message()))}/edit",
        extra={"action": st.one_of(st.sampled_from(["save", "preview"]), free_text()),
               "use_next_allowed": datetimes_typed()}),
    "sms_templates.new_template": FormSpec("reviewer", template_views.TemplateForm,
                                           lambda w, d: "/templates/new"),
    "sms_templates.new_version": FormSpec(
        "reviewer", template_views.TemplateForm,
        lambda w, d: f"/templates/{d.draw(template_path(w.new_template()))}/new-version"),
    "sms_templates.review": FormSpec(
        "reviewer", template_views.ReviewForm,
        lambda w, d: f"/templates/{d.draw(template_path(w.new_template('draft')))}/v"
                     f"{d.draw(path_id(1))}/review"),
    "audit.reveal_number": FormSpec(
        "admin", audit_views.RevealForm,
        lambda w, d: f"/audit/messages/{d.draw(path_id(w.new_message()))}/reveal"),
    "repairs.new": FormSpec("worker", repair_views.StartForm, lambda w, d: "/repairs/new"),
    "repairs.reflection": FormSpec(
        "worker", repair_views.ReflectionForm,
        lambda w, d: f"/repairs/{d.draw(path_id(w.new_repair()))}/reflection"),
    "repairs.share": FormSpec(
        "worker", repair_views.ShareForm,
        lambda w, d: f"/repairs/{d.draw(path_id(w.new_repair(reflected=True)))}/share"),
    "repairs.meeting": FormSpec(
        "worker", repair_views.MeetingForm,
        lambda w, d: f"/repairs/{d.draw(path_id(w.new_repair()))}/meeting"),
    "repairs.met": FormSpec(
        "worker", repair_views.MetForm,
        lambda w, d: f"/repairs/{d.draw(path_id(w.new_repair()))}/met"),
    "repairs.plan": FormSpec(
        "worker", repair_views.PlanForm,
        lambda w, d: f"/repairs/{d.draw(path_id(w.new_repair()))}/plan"),
    "repairs.cancel_plan": FormSpec(
        "worker", repair_views.ButtonForm,
        lambda w, d: f"/repairs/{d.draw(path_id(w.new_repair()))}/plan/cancel"),
    "repairs.close": FormSpec(
        "worker", repair_views.CloseForm,
        lambda w, d: f"/repairs/{d.draw(path_id(w.new_repair()))}/close"),
    "account.password": FormSpec("worker", account_views.PasswordForm,
                                 lambda w, d: "/account/password"),
    "admin.reset_password": FormSpec(
        "admin", admin_views.ResetPasswordForm,
        lambda w, d: f"/admin/users/{d.draw(path_id(w.ids['other_worker']))}/reset-password"),
    "team.cover_index": FormSpec("worker", team_views.CoverForm, lambda w, d: "/team/cover"),
    "team.end_cover": FormSpec(
        "worker", team_views.EndCoverForm,
        lambda w, d: f"/team/cover/{d.draw(path_id(w.new_cover()))}/end"),
    "team.handover_person": FormSpec(
        "admin", team_views.HandoverForm,
        lambda w, d: f"/team/people/{d.draw(path_id(w.new_contact()))}/handover"),
    "team.number_checked": FormSpec(
        "worker", team_views.NumberCheckedForm,
        lambda w, d: f"/team/people/{d.draw(path_id(w.new_contact()))}/number-checked"),
    "sms_templates.retire": FormSpec(
        "reviewer", template_views.RetireForm,
        lambda w, d: f"/templates/{d.draw(template_path(w.new_template()))}/retire"),
}


def template_path(real):
    """A template id in a URL: the real one, or any text, percent-encoded."""
    from urllib.parse import quote
    return st.one_of(st.just(real), st.just(real), st.just(real),
                     st.text(min_size=1, max_size=300).map(lambda t: quote(t, safe="")))


def test_every_post_route_is_fuzzed(app):
    """A new POST route fails here until FORMS (or the webhook fuzz tests) covers it."""
    posted = {rule.endpoint for rule in app.url_map.iter_rules() if "POST" in rule.methods}
    assert posted - set(FORMS) - WEBHOOK_ENDPOINTS == set(), "POST routes with no fuzz strategy"
    assert set(FORMS) - posted == set(), "fuzz strategies for routes that no longer exist"
    assert WEBHOOK_ENDPOINTS <= posted, "the webhook fuzz tests name a route that is gone"


def session_client(world, role):
    if role == "fresh-worker":  # logging out ends the session, so a new one each time
        client = world.app.test_client()
        with client.session_transaction() as session:  # logged in, without argon2 each time
            session["_user_id"] = str(world.ids["worker"])
            session["_fresh"] = True
        return client, csrf_token(client, "/contacts/new")
    return world.client(role)


@pytest.mark.parametrize("endpoint", sorted(set(FORMS) - set(RICH_FORMS)))
@settings(max_examples=EXAMPLES_PER_FORM)
@given(data=st.data())
def test_hostile_values_in_every_form_never_break_mend(endpoint, world, database_path, data):
    post_hostile_form(endpoint, world, database_path, data)


@pytest.mark.parametrize("endpoint", RICH_FORMS)
@settings(max_examples=EXAMPLES_PER_RICH_FORM)
@given(data=st.data())
def test_hostile_values_in_the_forms_with_dates_never_break_mend(endpoint, world,
                                                                 database_path, data):
    """The forms with dates, times, phone numbers and free text get more examples."""
    post_hostile_form(endpoint, world, database_path, data)


def post_hostile_form(endpoint, world, database_path, data):
    spec = FORMS[endpoint]
    role = spec.role
    if role == "worker":  # the person's key worker mostly; admins and reviewers see everyone
        role = data.draw(st.sampled_from(["worker", "worker", "admin", "reviewer"]), label="as")
    client, token = session_client(world, role)
    url = spec.url(world, data)
    fields = {**form_fields(spec.form_class), **{name: None for name in spec.extra}}
    # A careful worker's form with some fields (often one, sometimes all) made hostile:
    # left out, repeated, or filled with a hostile value.
    hostile = data.draw(st.one_of(st.sets(st.sampled_from(sorted(fields)), min_size=1),
                                  st.just(set(fields))), label="hostile fields") if fields else set()
    pairs = [("csrf_token", token)]
    for name, unbound in fields.items():
        if name in hostile:
            values = spec.extra[name] if name in spec.extra else field_values(name, unbound, world)
            pairs += [(name, value) for value in data.draw(occurrences(values), label=name)]
        else:
            pairs.append((name, data.draw(valid_values(name, unbound, world), label=name)))
    pairs += data.draw(st.lists(st.tuples(free_text(), free_text()), max_size=2),
                       label="unexpected fields")
    pairs = data.draw(st.permutations(pairs), label="field order")
    if pairs[0][0] != "csrf_token":  # the real token first: a later forged one must not win
        pairs = [("csrf_token", token)] + pairs
    multipart = data.draw(st.booleans(), label="multipart")
    errors = capture_errors()
    try:
        response = post_pairs(client, url, pairs, multipart=multipart)
    finally:
        release(errors)
    event(f"answered {response.status_code}")
    check_response(response, errors, f"POST {url}")
    check_database(database_path)


@pytest.mark.parametrize("endpoint", sorted(FORMS))
def test_a_post_without_a_csrf_token_is_refused_with_400(endpoint, world, database_path):
    """The same forms, with no token or a forged one: 400 and nothing saved, never a 500."""
    spec = FORMS[endpoint]
    client, token = session_client(world, spec.role)
    url = spec.url(world, _FirstChoice())
    fields = [(name, "x") for name in form_fields(spec.form_class)]
    before = world.db.execute("SELECT count(*) FROM events").fetchone()[0]
    errors = capture_errors()
    try:
        # forged: the real token with the first character of its signature changed (the
        # last character of base64 can carry unused bits, so changing it may not forge)
        head, signature = token.rsplit(".", 1)
        altered = f"{head}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"
        for forged in ([], [("csrf_token", "")], [("csrf_token", altered)],
                       [("csrf_token", b"\xff\xfe")]):
            response = post_pairs(client, url, fields + forged)
            assert response.status_code == 400, (url, forged, response.status_code)
            assert "This form has expired" in response.get_data(as_text=True)
    finally:
        release(errors)
    assert errors.records == [], errors.describe()
    assert world.db.execute("SELECT count(*) FROM events").fetchone()[0] == before
    check_database(database_path)


class _FirstChoice:
    """Stands in for Hypothesis's `data` outside a Hypothesis test: the simplest value
    of each strategy, which for a path is the real id."""

    def draw(self, strategy, label=None):
        return find(strategy, lambda value: True)


# --- Query strings on every page -------------------------------------------------------
# Some pages read the query string (`/compose/?contact=`, `?q=`, `/inbox/unmatched?all=`).
# A link can carry anything, so every GET route gets hostile query strings too.

QUERY_NAMES = ["q", "contact", "all", "next", "page", "m", "from", "to", "status", "repair",
               "situation", "month"]
EXAMPLES_OF_QUERIES = 40


def path_values(world):
    """A real value for each URL argument; a new argument name fails until named here."""
    return {"contact_id": world.contact_id, "message_id": world.new_message(),
            "inbound_id": world.new_inbound(), "template_id": world.new_template(),
            "number": 1, "repair_id": world.new_repair(reflected=True)}


@settings(max_examples=EXAMPLES_OF_QUERIES)
@given(data=st.data())
def test_hostile_query_strings_on_every_page_never_break_mend(world, database_path, data):
    """One hostile query string per example, sent to every page (built from url_map)."""
    from flask import url_for

    pairs = []
    for name in QUERY_NAMES:  # each name a page reads: left out, once, or repeated
        pairs += [(name, value) for value in data.draw(occurrences(free_text()), label=name)]
    pairs += data.draw(st.lists(st.tuples(free_text(), free_text()), max_size=2),
                       label="other names")
    query = form_body([(name, value[:2000]) for name, value in pairs])
    client, _ = world.client(data.draw(st.sampled_from(["worker", "reviewer", "admin",
                                                        "anonymous"]), label="who"))
    values = path_values(world)
    for rule in sorted(world.app.url_map.iter_rules(), key=lambda rule: rule.rule):
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        assert set(rule.arguments) <= set(values), f"no value for {rule.rule}'s arguments"
        with world.app.test_request_context():
            path = url_for(rule.endpoint, **{name: values[name] for name in rule.arguments})
        errors = capture_errors()
        try:
            response = client.get(f"{path}?{query}")
        finally:
            release(errors)
        check_response(response, errors, f"GET {path}?{query[:200]}")
    check_database(database_path)
