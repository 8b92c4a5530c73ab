"""POST /webhooks/twilio/inbound: signed by Twilio, keywords honoured, replies kept.

Every request is signed with Twilio's own RequestValidator (tests/harness/twilio_signing.py).
"""
import logging
import re
from datetime import datetime, timedelta, timezone

import pytest

from storage import contacts, events, inbound, messages
from tests.harness.pages import add_contact, contact_id_from, post_form
from tests.harness.twilio_signing import (TEST_AUTH_TOKEN, TEST_PUBLIC_BASE_URL, post_signed,
                                          signature_for)
from actions.inbound import STOP_REASON

PATH = "/webhooks/twilio/inbound"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
ALEX = "+447911123456"
STRANGER = "+447922654321"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "TWILIO_AUTH_TOKEN": TEST_AUTH_TOKEN,
            "PUBLIC_BASE_URL": TEST_PUBLIC_BASE_URL}


def message_sid(number):
    return f"SM{number:032x}"


def twilio_form(body, from_number=ALEX, sid=1):
    return {"MessageSid": message_sid(sid), "SmsSid": message_sid(sid),
            "AccountSid": "AC" + "0" * 32, "From": from_number, "To": "+447400123456",
            "Body": body, "NumMedia": "0", "NumSegments": "1"}


def text_in(client, body, from_number=ALEX, sid=1):
    return post_signed(client, PATH, twilio_form(body, from_number, sid))


@pytest.fixture
def alex(worker):
    return contact_id_from(add_contact(worker, name="Alex", phone="07911 123456"))


def schedule_text(db, contact_id, worker_id, days_ahead=1):
    return messages.create(
        db, contact_id=contact_id, worker_id=worker_id, template_version_id=None,
        body="Hi Alex, it's Sam.", encoding="GSM-7", characters=18, parts=1, warnings=[],
        scheduled_for=datetime.now(timezone.utc) + timedelta(days=days_ahead))


def visible_text(page):
    """The page as a person reads it: tags removed, spaces collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)).replace(" .", ".")


def ledger(db, contact_id):
    return [(entry["state"], entry["method"], entry["note"])
            for entry in reversed(contacts.consent_history(db, contact_id))]


# --- Signatures ------------------------------------------------------------------------

@pytest.mark.parametrize("how, signature_of", [
    ("missing", lambda params: None),
    ("wrong token", lambda params: signature_for(TEST_PUBLIC_BASE_URL + PATH, params,
                                                  token="not-the-auth-token")),
    ("wrong URL (the internal address, not PUBLIC_BASE_URL)",
     lambda params: signature_for("http://127.0.0.1:5000" + PATH, params)),
    ("wrong URL (another path)",
     lambda params: signature_for(TEST_PUBLIC_BASE_URL + "/webhooks/twilio/status", params)),
    ("for other parameters", lambda params: signature_for(
        TEST_PUBLIC_BASE_URL + PATH, {**params, "Body": "something else"})),
])
def test_a_missing_or_wrong_signature_is_refused_logged_and_changes_nothing(
        client, db, alex, caplog, how, signature_of):
    params = twilio_form("STOP")
    signature = signature_of(params)
    headers = {"X-Twilio-Signature": signature} if signature else {}
    with caplog.at_level(logging.WARNING, logger="mend.webhooks"):
        response = client.post(PATH, data=params, headers=headers)
    assert response.status_code == 403
    expected = "no signature" if signature is None else "signature does not match"
    assert f"refused a webhook to {PATH}: {expected}" in caplog.text
    assert contacts.current_consent(db, alex) == "granted"
    assert inbound.for_contact(db, alex) == []


def test_a_valid_signature_is_answered_with_empty_twiml_and_never_a_text(client, alex):
    response = text_in(client, "Thanks for the text")
    assert response.status_code == 200
    assert response.mimetype == "text/xml"
    assert response.get_data(as_text=True) == EMPTY_TWIML


def test_no_webhook_is_accepted_when_no_auth_token_is_configured(app, client, alex):
    app.config["TWILIO_AUTH_TOKEN"] = ""
    assert text_in(client, "STOP").status_code == 403


# --- Keywords ----------------------------------------------------------------------------

@pytest.mark.parametrize("body, note", [
    ("STOP", "They texted STOP."),
    ("stop", "They texted STOP."),
    (" Stop. ", "They texted STOP."),
    ("StopAll", "They texted STOPALL."),
    ("unsubscribe!", "They texted UNSUBSCRIBE."),
    ("Cancel", "They texted CANCEL."),
    ("end", "They texted END."),
    ("QUIT", "They texted QUIT."),
    ("revoke", "They texted REVOKE."),
    ("optout", "They texted OPTOUT."),
])
def test_every_stop_keyword_withdraws_consent_at_once(client, db, alex, body, note):
    response = text_in(client, body)
    assert response.get_data(as_text=True) == EMPTY_TWIML
    assert contacts.current_consent(db, alex) == "withdrawn"
    assert ledger(db, alex)[-1] == ("withdrawn", "stop_keyword", note)


@pytest.mark.parametrize("body, method, note", [
    ("START", "start_keyword", "They texted START."),
    ("unstop", "start_keyword", "They texted UNSTOP."),
    ("Yes!", "text_reply", "They texted YES."),
])
def test_start_after_stop_means_they_agree_to_texts_again(client, db, alex, body, method, note):
    text_in(client, "STOP", sid=1)
    text_in(client, body, sid=2)
    assert contacts.current_consent(db, alex) == "granted"
    assert ledger(db, alex)[-2:] == [("withdrawn", "stop_keyword", "They texted STOP."),
                                     ("granted", method, note)]


@pytest.mark.parametrize("body", ["HELP", "info", "Help?"])
def test_help_and_info_are_recorded_and_change_nothing(client, db, alex, body):
    assert text_in(client, body).get_data(as_text=True) == EMPTY_TWIML
    assert contacts.current_consent(db, alex) == "granted"
    [received] = inbound.for_contact(db, alex)
    assert (received["kind"], received["body"], received["read_at"]) == ("help", body, None)


def test_stop_cancels_every_scheduled_text_with_a_reason_and_an_audit_event(
        client, worker, db, alex, user_ids):
    first = schedule_text(db, alex, user_ids["worker"], days_ahead=1)
    second = schedule_text(db, alex, user_ids["worker"], days_ahead=3)
    text_in(client, "Stop")
    for message_id in (first, second):
        message = messages.get(db, message_id)
        assert (message["status"], message["status_reason"]) == ("cancelled", STOP_REASON)
        [event] = events.for_subject(db, "message", message_id)
        assert (event["action"], event["actor_type"], event["detail"]) == (
            "message.cancelled", "person", {"reason": STOP_REASON})
    page = visible_text(worker.get("/dashboard").get_data(as_text=True))
    assert "Alex texted STOP. Mend will not text them unless they text START." in page
    assert STOP_REASON in page


def test_a_replayed_message_sid_changes_nothing(client, db, alex):
    for _ in range(3):
        assert text_in(client, "STOP", sid=7).get_data(as_text=True) == EMPTY_TWIML
        assert text_in(client, "I'm ok, thanks", sid=8).status_code == 200
    assert [row["body"] for row in inbound.for_contact(db, alex)] == ["STOP", "I'm ok, thanks"]
    assert [state for state, _, _ in ledger(db, alex)] == ["granted", "withdrawn"]
    received = [e for e in events.for_subjects(db, [("inbound_message", 1),
                                                     ("inbound_message", 2)])]
    assert [e["action"] for e in received] == ["inbound.received", "inbound.received"]


# --- Replies -----------------------------------------------------------------------------

def test_a_reply_is_stored_unread_and_shown_to_the_key_worker(client, worker, other_worker,
                                                            db, alex):
    text_in(client, "Thanks Sam. It was a hard day <b>really</b>")
    [received] = inbound.for_contact(db, alex)
    assert (received["kind"], received["read_at"], received["possible_stop"]) == (
        "reply", None, 0)
    page = worker.get("/dashboard").get_data(as_text=True)
    assert "Thanks Sam. It was a hard day &lt;b&gt;really&lt;/b&gt;" in page
    assert "1 unread" in page
    assert "It was a hard day" not in other_worker.get("/dashboard").get_data(as_text=True)


def test_a_reply_that_reads_like_stop_is_flagged_to_the_worker_but_consent_stays(
        client, worker, db, alex):
    text_in(client, "please just leave me alone")
    assert contacts.current_consent(db, alex) == "granted"
    page = worker.get("/dashboard").get_data(as_text=True)
    assert "This may be a request to stop texting." in page


def test_a_text_from_an_unknown_number_goes_to_the_unmatched_list_for_admins(
        client, admin, worker, db, alex):
    assert text_in(client, "who is this?", from_number=STRANGER).status_code == 200
    [received] = inbound.unmatched(db)
    assert (received["contact_id"], received["body"]) == (None, "who is this?")
    page = admin.get("/inbox/unmatched").get_data(as_text=True)
    assert "who is this?" in page
    assert "+44 7••• ••• 321" in page
    assert "7922654321" not in page
    assert worker.get("/inbox/unmatched").status_code == 403
    assert "who is this?" not in worker.get("/dashboard").get_data(as_text=True)


def test_stop_from_an_unknown_number_is_recorded_and_touches_no_one(client, db, alex):
    text_in(client, "STOP", from_number=STRANGER)
    assert contacts.current_consent(db, alex) == "granted"
    assert [row["kind"] for row in inbound.unmatched(db)] == ["stop"]


# --- Bad input ---------------------------------------------------------------------------

def signed_raw(client, raw, *, content_type="application/x-www-form-urlencoded", params=None):
    signature = signature_for(TEST_PUBLIC_BASE_URL + PATH, params or {})
    return client.post(PATH, data=raw, content_type=content_type,
                       headers={"X-Twilio-Signature": signature})


@pytest.mark.parametrize("what, send, status, logged", [
    ("non-UTF-8 bytes",
     lambda c: signed_raw(c, b"MessageSid=SM" + b"1" * 32 + b"&From=%2B447911123456&Body=caf%E9"),
     400, "the form is not UTF-8"),
    ("raw non-UTF-8 bytes",
     lambda c: signed_raw(c, b"MessageSid=SM" + b"1" * 32 + b"&From=%2B447911123456&Body=\xff\xfe"),
     400, "the form is not UTF-8"),
    ("a huge body",
     lambda c: signed_raw(c, b"Body=" + b"a" * 300_000), 413, "body too large (300005 bytes)"),
    ("a body just over the webhook limit",
     lambda c: signed_raw(c, b"Body=" + b"a" * 70_000), 413, "body too large (70005 bytes)"),
    ("a text longer than Twilio sends",
     lambda c: post_signed(c, PATH, twilio_form("a" * 5000)), 400,
     "Body is longer than Twilio sends (5000 characters)"),
    ("a malformed form", lambda c: signed_raw(c, b"&&==%%&Body"), 400, "the form is malformed"),
    ("JSON, not a form", lambda c: signed_raw(c, b'{"Body": "STOP"}',
                                              content_type="application/json"),
     415, "not a form (application/json)"),
    ("no MessageSid", lambda c: post_signed(c, PATH, {"From": ALEX, "Body": "STOP"}),
     400, "missing MessageSid"),
    ("no From or Body", lambda c: post_signed(c, PATH, {"MessageSid": message_sid(3)}),
     400, "missing From, Body"),
    ("an empty request", lambda c: post_signed(c, PATH, {}), 411, "no Content-Length"),
    ("an empty form", lambda c: signed_raw(c, b"NumMedia=0", params={"NumMedia": "0"}), 400, "missing MessageSid, From, Body"),
    ("a MessageSid that is not one",
     lambda c: post_signed(c, PATH, {**twilio_form("STOP"), "MessageSid": "'; DROP TABLE x"}),
     400, "MessageSid is not a message SID"),
    ("a From that is not a number",
     lambda c: post_signed(c, PATH, twilio_form("STOP", from_number="<script>")),
     400, "From is not a phone number or sender id"),
    ("a repeated field",
     lambda c: signed_raw(c, b"Body=STOP&Body=START"), 400, "a field is repeated"),
])
def test_bad_input_gets_a_4xx_and_a_log_line_never_a_500(client, db, alex, caplog,
                                                         what, send, status, logged):
    with caplog.at_level(logging.WARNING, logger="mend.webhooks"):
        response = send(client)
    assert response.status_code == status
    assert f"refused a webhook to {PATH}: {logged}" in caplog.text
    assert contacts.current_consent(db, alex) == "granted"
    assert inbound.for_contact(db, alex) == []


def test_logs_never_contain_the_number_or_the_text(client, alex, caplog):
    with caplog.at_level(logging.DEBUG):
        text_in(client, "my secret words", sid=1)
        text_in(client, "STOP", sid=2)
        text_in(client, "hello", from_number=STRANGER, sid=3)
        text_in(client, "a" * 2000, sid=4)
    assert "inbound SM" in caplog.text
    for secret in ("7911123456", "7922654321", "my secret words", "aaaa"):
        assert secret not in caplog.text


def test_stop_from_a_shared_phone_stops_texts_to_everyone_on_it(client, worker, db, user_ids):
    alex = contact_id_from(add_contact(worker, name="Alex"))
    jamie = contact_id_from(add_contact(worker, name="Jamie", add_anyway="y"))
    waiting = schedule_text(db, jamie, user_ids["worker"])
    text_in(client, "STOP")
    assert (contacts.current_consent(db, alex), contacts.current_consent(db, jamie)) == (
        "withdrawn", "withdrawn")
    assert messages.get(db, waiting)["status"] == "cancelled"


def test_a_reply_from_a_shared_phone_joins_the_thread_of_whoever_was_texted_last(
        client, worker, db, user_ids):
    alex = contact_id_from(add_contact(worker, name="Alex"))
    jamie = contact_id_from(add_contact(worker, name="Jamie", add_anyway="y"))
    message_id = schedule_text(db, jamie, user_ids["worker"], days_ahead=0)
    messages.transition(db, message_id, from_statuses=("scheduled",), to_status="sent",
                        sent_at=datetime.now(timezone.utc))
    text_in(client, "thanks, it's Jamie")
    assert [r["body"] for r in inbound.for_contact(db, jamie)] == ["thanks, it's Jamie"]
    assert inbound.for_contact(db, alex) == []


@pytest.mark.parametrize("consent", ["in_person", "confirm_by_text"])
def test_a_number_that_texted_stop_before_it_was_added_is_not_texted(
        client, worker, db, consent):
    text_in(client, "STOP", from_number=STRANGER, sid=1)
    response = add_contact(worker, name="Robin", phone="07922 654321", consent=consent)
    contact_id = contact_id_from(response)
    assert contacts.current_consent(db, contact_id) == "withdrawn"
    assert ledger(db, contact_id)[-1] == (
        "withdrawn", "stop_keyword", "This number texted STOP to Mend before they were "
        "added, so Mend will not text it unless they text START.")
    assert messages.for_contact(db, contact_id) == []
    page = visible_text(worker.get(response.headers["Location"]).get_data(as_text=True))
    assert "Added Robin. This number texted STOP to Mend before they were added" in page


def test_a_number_that_texted_start_after_stop_is_free_to_add(client, worker, db):
    text_in(client, "STOP", from_number=STRANGER, sid=1)
    text_in(client, "START", from_number=STRANGER, sid=2)
    contact_id = contact_id_from(add_contact(worker, name="Robin", phone="07922 654321"))
    assert contacts.current_consent(db, contact_id) == "granted"


def test_changing_to_a_number_that_texted_stop_withdraws_consent(client, worker, db, alex):
    text_in(client, "STOP", from_number=STRANGER, sid=1)
    post_form(worker, f"/contacts/{alex}/edit", {
        "preferred_name": "Alex", "phone": "07922 654321", "key_worker_id": "1"})
    assert contacts.current_consent(db, alex) == "withdrawn"


def test_during_a_token_rotation_both_tokens_are_accepted_and_no_others(app, client, db, alex):
    app.config["TWILIO_AUTH_TOKEN"] = "the-new-token-0123456789abcdef0"
    app.config["TWILIO_AUTH_TOKEN_PREVIOUS"] = TEST_AUTH_TOKEN
    signed_with_old = post_signed(client, PATH, twilio_form("Thanks", sid=101))
    signed_with_new = post_signed(client, PATH, twilio_form("Thanks", sid=102),
                                  token="the-new-token-0123456789abcdef0")
    signed_with_other = post_signed(client, PATH, twilio_form("Thanks", sid=103),
                                    token="some-other-token-0123456789ab")
    assert (signed_with_old.status_code, signed_with_new.status_code,
            signed_with_other.status_code) == (200, 200, 403)
    assert len(inbound.for_contact(db, alex)) == 2


@pytest.mark.parametrize("body", ["START", "YES", "unstop"])
def test_a_keyword_never_overrules_a_no_a_worker_recorded(worker, client, db, alex, body):
    """They may have said in person that someone else reads the phone; only a worker
    can change that."""
    post_form(worker, f"/contacts/{alex}/consent", {"change": "withdrawn:withdrawn_by_worker"},
              page=f"/contacts/{alex}")
    text_in(client, body, sid=5)
    assert contacts.current_consent(db, alex) == "withdrawn"
    [received] = inbound.for_contact(db, alex)
    assert received["consent_change"] is None
