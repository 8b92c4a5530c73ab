"""Every page fits a 360 px phone: no sideways scrolling. The pages come from the route
matrix (tests/test_route_roles.py), each visited as every role allowed to see it, with
ids from a seeded database (long words and a full history included)."""
import re
from datetime import datetime, timedelta, timezone

import pytest

from actions.audit import reveal_number
from actions.repairs import start_repair
from storage import inbound, messages, sms_templates, team
from storage.connection import connect, write_transaction
from tests.browser.conftest import log_in
from tests.harness.database import ACCOUNTS, PASSWORD, add_person
from tests.test_route_roles import ROUTE_ROLES

pytestmark = pytest.mark.browser
WIDTH = 360
NOT_PAGES = {  # GET routes that answer with something other than a page
    "static", "health.healthz", "audit.export_csv", "audit.chart_stylesheet",
    "messages.status", "dashboard.status", "repairs.ledger_export"}
LONG_WORD = "Thankyouforeverythingyoudidtodayitreallyhelpedmealotmorethanyouknow"


@pytest.fixture
def seeded(database_path, user_ids):
    """A person with a sent text, a scheduled one, a reply, a reveal and a draft, in the
    database before the server (and its dispatcher) starts."""
    db = connect(database_path)
    contact_id = add_person(db, user_ids["worker"], name="Alexandria-Josephine")
    version = sms_templates.usable_versions(db)[0]
    sent = messages.create(
        db, contact_id=contact_id, worker_id=user_ids["worker"],
        template_version_id=version["id"], body=f"Hi Alex, it's Sam. {LONG_WORD}",
        encoding="GSM-7", characters=90, parts=1, warnings=[],
        scheduled_for=datetime.now(timezone.utc) - timedelta(hours=1))
    with write_transaction(db):
        db.execute("UPDATE messages SET status = 'sent', sent_at = scheduled_for WHERE id = ?",
                   [sent])
    messages.create(db, contact_id=contact_id, worker_id=user_ids["worker"],
                    template_version_id=version["id"], body="Hi Alex, it's Sam.",
                    encoding="GSM-7", characters=18, parts=1, warnings=[],
                    scheduled_for=datetime.now(timezone.utc) + timedelta(days=1))
    reply = inbound.record(db, provider_sid="SM" + "1" * 32, from_number="+447911123456",
                           contact_id=contact_id, body=LONG_WORD, kind="reply")
    reveal_number(db, contact_id=contact_id, message_id=sent, user_id=user_ids["admin"],
                  reason="other", note=LONG_WORD)
    sms_templates.create_draft(db, template_id=version["template_id"],
                               authored_by=user_ids["second_reviewer"],
                               fields={**version, "body": version["body"] + " " + LONG_WORD})
    draft = sms_templates.pending_draft(db, version["template_id"])
    repair_id = start_repair(db, contact_id=contact_id, worker_id=user_ids["worker"],
                             situation="went-quiet", happened_at=datetime.now(timezone.utc),
                             note=LONG_WORD)
    cover_id = team.create_cover(db, key_worker_id=user_ids["worker"],
                                 cover_worker_id=user_ids["other_worker"],
                                 starts_on=datetime.now(timezone.utc).date(),
                                 ends_on=datetime.now(timezone.utc).date() + timedelta(days=3),
                                 created_by=user_ids["worker"])
    db.close()
    return {"contact_id": contact_id, "message_id": sent, "inbound_id": reply,
            "template_id": version["template_id"], "number": draft["version"],
            "user_id": user_ids["other_worker"], "filename": "mend.css",
            "repair_id": repair_id, "cover_id": cover_id}


@pytest.fixture
def live_server(seeded, live_server):
    return live_server


def page_urls(app, ids):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.endpoint in NOT_PAGES:
            continue
        url = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(ids[m.group(1)]), rule.rule)
        yield rule.endpoint, url, sorted(ROUTE_ROLES[rule.endpoint] & set(ACCOUNTS))


def test_every_page_fits_a_phone_without_sideways_scrolling(browser, live_server, seeded):
    too_wide = []
    for role in ("worker", "reviewer", "admin"):
        context = browser.new_context(viewport={"width": WIDTH, "height": 740}, locale="en-GB")
        page = context.new_page()
        page.set_default_timeout(10_000)
        log_in(page, live_server, ACCOUNTS[role][0], PASSWORD)
        visited = 0
        for endpoint, url, roles in page_urls(live_server.app, seeded):
            if role not in roles and not (roles == [] and role == "worker"):
                continue
            response = page.goto(f"{live_server.url}{url}")
            assert response.status < 500, f"{url} as {role}: {response.status}"
            visited += 1
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > WIDTH:
                too_wide.append(f"{url} as {role}: {width}px")
        assert visited >= 10, f"only {visited} pages visited as {role}"
        context.close()
    assert too_wide == [], "\n".join(too_wide)
