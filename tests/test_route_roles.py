"""Every route, every role. Built from app.url_map: a new route without an entry in
ROUTE_ROLES fails this suite until someone decides who may use it."""
import re

import pytest

from storage import messages
from tests.harness.database import ACCOUNTS, PASSWORD
from tests.harness.pages import add_contact, contact_id_from, log_in
from tests.harness.twilio_signing import TEST_AUTH_TOKEN, TEST_PUBLIC_BASE_URL

ANYONE = {"anonymous", "worker", "reviewer", "admin"}
STAFF = {"worker", "reviewer", "admin"}
ROUTE_ROLES = {
    "static": ANYONE,
    "health.healthz": ANYONE,
    "auth.login": ANYONE,
    "dashboard.home": ANYONE,  # a redirect to the dashboard (which then asks for a login)
    "auth.logout": STAFF,
    "dashboard.index": STAFF,
    "contacts.index": STAFF,
    "contacts.new": STAFF,
    "contacts.show": STAFF,
    "contacts.record_consent": STAFF,
    "contacts.edit": STAFF,
    "contacts.number_confirmed": STAFF,
    "contacts.record_language": STAFF,
    "contacts.erase": {"worker", "admin"},  # the person's key worker, or a service manager
    "inbox.read": STAFF,
    "inbox.read_all_from": STAFF,
    "inbox.unmatched": {"admin"},
    "inbox.crisis_procedure": STAFF,
    "compose.compose": STAFF,
    "compose.preview": STAFF,
    "compose.ask_translation": STAFF,
    "messages.show": STAFF,
    "messages.status": STAFF,
    "dashboard.status": STAFF,
    "messages.edit": STAFF,
    "messages.cancel": STAFF,
    "messages.settle": STAFF,
    "admin.users_index": {"admin"},
    "admin.reset_password": {"admin"},
    "admin.set_languages": {"admin"},
    "account.password": STAFF,
    "webhooks.status_callback": {"twilio"},
    "webhooks.inbound": {"twilio"},
    "sms_templates.library": STAFF,
    "sms_templates.history": STAFF,
    "sms_templates.version": STAFF,
    "sms_templates.new_template": {"reviewer"},
    "sms_templates.new_version": {"reviewer"},
    "sms_templates.review": {"reviewer"},
    "sms_templates.retire": {"reviewer"},
    "audit.history_page": {"reviewer", "admin"},
    "audit.export_csv": {"reviewer", "admin"},
    "audit.message_page": {"reviewer", "admin"},
    "audit.reveal_number": {"admin"},
    "audit.dashboard": {"reviewer", "admin"},
    "audit.chart_stylesheet": {"reviewer", "admin"},
    # A repair is its starter's own (anyone else gets 404); the ledger is for reviewers and
    # admins; the reflective-practice page (reflections shared with them) for reviewers.
    "repairs.index": STAFF,
    "repairs.new": STAFF,
    "repairs.show": STAFF,
    "repairs.reflection": STAFF,
    "repairs.share": STAFF,
    "repairs.meeting": STAFF,
    "repairs.met": STAFF,
    "repairs.plan": STAFF,
    "repairs.cancel_plan": STAFF,
    "repairs.close": STAFF,
    "repairs.ledger": {"reviewer", "admin"},
    "repairs.ledger_export": {"reviewer", "admin"},
    "repairs.practice": {"reviewer"},
    "team.cover_index": {"worker", "admin"},       # a worker for their own people; an admin for anyone
    "team.end_cover": {"worker", "admin"},
    "team.handover_person": {"reviewer", "admin"},  # a team lead or a service manager
    "team.unread_replies": {"reviewer", "admin"},
    "team.number_checked": STAFF,                  # within the caseload (or cover)
}
TWILIO_ONLY = {"twilio"}
ROLES = ("anonymous", "worker", "reviewer", "admin")
SIGNED_SAMPLE = {"MessageSid": "SM00000000000000000000000000000001", "MessageStatus": "delivered",
                 "From": "+447911123456", "To": "+447000000000", "Body": "Thanks",
                 "AccountSid": "AC00000000000000000000000000000000"}


def test_every_route_has_a_role_entry(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - set(ROUTE_ROLES) == set(), "routes with no entry in ROUTE_ROLES"
    assert set(ROUTE_ROLES) - endpoints == set(), "entries for routes that no longer exist"


@pytest.fixture
def sample_ids(app, user_ids, db):
    worker = app.test_client()
    log_in(worker, ACCOUNTS["worker"][0])
    contact_id = contact_id_from(add_contact(worker, name="Alex"))
    from datetime import datetime, timezone
    message_id = messages.create(
        db, contact_id=contact_id, worker_id=user_ids["worker"], template_version_id=None,
        body="Hi", encoding="GSM-7", characters=2, parts=1, warnings=[],
        scheduled_for=datetime(2030, 1, 1, 12, tzinfo=timezone.utc))
    from actions.repairs import start_repair
    repair_id = start_repair(db, contact_id=contact_id, worker_id=user_ids["worker"],
                             situation="went-quiet", happened_at=datetime.now(timezone.utc),
                             note="")
    return {"contact_id": contact_id, "message_id": message_id, "filename": "mend.css",
            "template_id": "door-stays-open", "number": 1, "inbound_id": 1,
            "repair_id": repair_id, "user_id": user_ids["other_worker"], "cover_id": 1}


def client_as(app, role):
    client = app.test_client()
    if role != "anonymous":
        email = {"worker": ACCOUNTS["worker"][0], "reviewer": ACCOUNTS["reviewer"][0],
                 "admin": ACCOUNTS["admin"][0]}[role]
        assert log_in(client, email, PASSWORD).status_code == 302
    return client


def request_route(client, rule, sample_ids):
    url = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(sample_ids[m.group(1)]), rule.rule)
    if "GET" in rule.methods:
        return client.get(url)
    token_page = client.get("/login" if client.get("/dashboard").status_code == 302 else "/dashboard")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      token_page.get_data(as_text=True))
    return client.post(url, data={"csrf_token": token.group(1) if token else ""})


@pytest.mark.parametrize("role", ROLES)
def test_each_route_allows_exactly_its_roles(app, sample_ids, role):
    client = client_as(app, role)
    app.config["TWILIO_AUTH_TOKEN"] = TEST_AUTH_TOKEN
    app.config["PUBLIC_BASE_URL"] = TEST_PUBLIC_BASE_URL
    wrong = []
    rules = sorted(app.url_map.iter_rules(), key=lambda r: r.endpoint == "auth.logout")
    for rule in rules:  # logging out last, so the other routes see a logged-in user
        allowed = ROUTE_ROLES[rule.endpoint]
        response = request_route(client, rule, sample_ids)
        refused_anonymous = (response.status_code == 302
                             and response.headers.get("Location", "").startswith("/login?next="))
        refused = response.status_code == 403 or refused_anonymous
        if allowed == TWILIO_ONLY:
            ok = response.status_code == 403  # unsigned, whoever sends it
        elif role in allowed:
            ok = not refused and response.status_code < 500
        else:
            ok = refused
        if not ok:
            wrong.append(f"{rule.endpoint} ({rule.rule}) as {role}: {response.status_code}")
    assert wrong == []


def test_twilio_routes_accept_a_signed_request(app, sample_ids):
    from tests.harness.twilio_signing import post_signed
    app.config["TWILIO_AUTH_TOKEN"] = TEST_AUTH_TOKEN
    app.config["PUBLIC_BASE_URL"] = TEST_PUBLIC_BASE_URL
    client = app.test_client()
    for rule in app.url_map.iter_rules():
        if ROUTE_ROLES[rule.endpoint] == TWILIO_ONLY:
            response = post_signed(client, rule.rule, SIGNED_SAMPLE)
            assert response.status_code == 200, f"{rule.endpoint}: {response.status_code}"
