"""Bad-input fuzzing of Twilio's two webhooks, POST /webhooks/twilio/inbound and
POST /webhooks/twilio/status.

Three kinds of request:
- correctly signed, with hostile values: Twilio's form with some fields left out,
  repeated, or replaced by very long strings, control characters, invalid UTF-8 and
  odd numbers (and, for status callbacks, a hostile `?m=` message id);
- the same forms with a missing, wrong or garbage X-Twilio-Signature;
- raw bodies: random bytes under random content types.

After every example: no 5xx, nothing logged at ERROR, `PRAGMA integrity_check` passes
and the audit chain verifies. An unsigned request must never change anything.
"""
import itertools
import urllib.parse

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from storage import contacts, events, messages
from storage.connection import utc_now
from tests.fuzz_support import (FORM_TYPE, capture_errors, check_database, check_response,
                                form_body, free_text, occurrences, release)
from tests.harness.twilio_signing import TEST_AUTH_TOKEN, TEST_PUBLIC_BASE_URL, signature_for
from web.webhooks import PROVIDER_STATUSES

INBOUND = "/webhooks/twilio/inbound"
STATUS = "/webhooks/twilio/status"
ALEX = "+447911123456"
EXAMPLES = 150
_serial = itertools.count(1)

KEYWORD_BODIES = ["STOP", "stop", " Stop ", "STOP.", "STOPALL", "UNSUBSCRIBE", "CANCEL",
                  "END", "QUIT", "REVOKE", "OPTOUT", "START", "YES", "yes!", "UNSTOP",
                  "HELP", "INFO", "ＳＴＯＰ", "S T O P", "STOP\x00", "stop please",
                  "Please stop texting me", "Thanks, see you Tuesday", ""]
ERROR_CODES = ["30003", "30004", "30005", "30006", "30007", "30008", "21610", "21211",
               "0", "-1", "99999999999999999999", "3e4", "30003.0", " 30003", "１２", "²"]
HOSTILE_IDS = ["0", "-1", "999999", str(2 ** 63 - 1), str(2 ** 63), "9" * 40, "1e3", "²",
               "١٢", "", "abc", "1 OR 1=1"]


@pytest.fixture
def app_config(app_config):
    return {**app_config, "TWILIO_AUTH_TOKEN": TEST_AUTH_TOKEN,
            "PUBLIC_BASE_URL": TEST_PUBLIC_BASE_URL}


@pytest.fixture
def sent(db, user_ids):
    """Alex (texts agreed) and a way to make a sent text to them, with a Twilio SID."""
    contact_id = contacts.create(db, preferred_name="Alex", phone=ALEX,
                                 key_worker_id=user_ids["worker"],
                                 created_by=user_ids["worker"])
    contacts.record_consent(db, contact_id=contact_id, state="granted", method="in_person",
                            recorded_by=user_ids["worker"])

    def make():
        message_id = messages.create(
            db, contact_id=contact_id, worker_id=user_ids["worker"], template_version_id=None,
            body="Alex, no need to reply. Sam", encoding="GSM-7", characters=27, parts=1,
            warnings=[], scheduled_for=utc_now())
        sid = f"SM{next(_serial):032x}"
        db.execute("UPDATE messages SET status = 'sent', provider_sid = ? WHERE id = ?",
                   [sid, message_id])
        return message_id, sid

    return make


def sids():
    return st.one_of(st.integers(1, 10 ** 6).map(lambda n: f"SM{n:032x}"),
                     st.sampled_from(["SM", "SM" + "g" * 32, "MM" + "0" * 32, "sm" + "a" * 32]),
                     free_text())


def phones():
    return st.one_of(st.sampled_from([ALEX, "+447922654321", "447911123456", "07911123456",
                                      "Mend", "+", "+" + "9" * 30]), free_text())


def inbound_form():
    """Twilio's inbound form: (baseline, hostile) strategy per field."""
    return {
        "MessageSid": (st.integers(1, 10 ** 9).map(lambda n: f"SM{n:032x}"), sids()),
        "SmsSid": (st.just("SM" + "0" * 32), sids()),
        "AccountSid": (st.just("AC" + "0" * 32), free_text()),
        "From": (st.sampled_from([ALEX, "+447922654321"]), phones()),
        "To": (st.just("+447400123456"), phones()),
        "Body": (st.sampled_from(KEYWORD_BODIES), st.one_of(st.sampled_from(KEYWORD_BODIES),
                                                            free_text())),
        "NumMedia": (st.just("0"), free_text()),
        "NumSegments": (st.just("1"), free_text()),
    }


def status_form(sid):
    statuses = sorted(PROVIDER_STATUSES) + ["read", "canceled", "receiving"]
    return {
        "MessageSid": (st.just(sid), sids()),
        "SmsSid": (st.just(sid), sids()),
        "MessageStatus": (st.sampled_from(statuses),
                          st.one_of(st.sampled_from([s.upper() for s in statuses]),
                                    free_text())),
        "SmsStatus": (st.sampled_from(statuses), free_text()),
        "ErrorCode": (st.sampled_from(ERROR_CODES[:8]), st.one_of(st.sampled_from(ERROR_CODES),
                                                                  free_text())),
        "AccountSid": (st.just("AC" + "0" * 32), free_text()),
        "To": (st.just(ALEX), phones()),
        "From": (st.just("+447700900123"), phones()),
        "ApiVersion": (st.just("2010-04-01"), free_text()),
    }


def draw_pairs(data, form):
    """The form with some fields (one, several or all) left out, repeated or hostile."""
    hostile = data.draw(st.one_of(st.sampled_from(sorted(form)).map(lambda name: {name}),
                                  st.sets(st.sampled_from(sorted(form))),
                                  st.just(set(form))), label="hostile fields")
    pairs = []
    for name, (baseline, bad) in form.items():
        values = occurrences(bad) if name in hostile else baseline.map(lambda value: [value])
        pairs += [(name, value) for value in data.draw(values, label=name)]
    pairs += data.draw(st.lists(st.tuples(free_text(), free_text()), max_size=2),
                       label="unexpected fields")
    return data.draw(st.permutations(pairs), label="field order")


def as_flask_sees_it(pairs):
    """The params Twilio's validator is given by the app: the first value of each field,
    decoded as werkzeug decodes a form (invalid UTF-8 replaced)."""
    import werkzeug.urls  # noqa: F401 - registers the "werkzeug.url_quote" error handler

    def text(value):  # werkzeug keeps an invalid escape as its "%FF" text
        return value.decode("utf-8", "werkzeug.url_quote") if isinstance(value, bytes) else value

    decoded = [(text(name), text(value)) for name, value in pairs]
    return MultiDict(decoded).to_dict(flat=True)


def signature_header(data, url, pairs):
    """A valid signature mostly; sometimes none, a wrong one, or garbage."""
    kind = data.draw(st.sampled_from(["valid"] * 6 + ["none", "wrong token", "garbage"]),
                     label="signature")
    if kind == "valid":
        return kind, {"X-Twilio-Signature": signature_for(url, as_flask_sees_it(pairs))}
    if kind == "wrong token":
        return kind, {"X-Twilio-Signature": signature_for(url, as_flask_sees_it(pairs),
                                                          token="not-the-token")}
    if kind == "garbage":
        # no CR or LF: no HTTP client or server carries them inside a header value
        garbage = data.draw(st.one_of(st.text(st.characters(max_codepoint=0xff,
                                                            exclude_characters="\r\n"),
                                              max_size=60),
                                      st.sampled_from(["", " ", "=", "a" * 10_000])),
                            label="garbage signature")
        return kind, {"X-Twilio-Signature": garbage}
    return kind, {}


def post_and_check(client, path, query, pairs, headers, database_path, *, signed):
    errors = capture_errors()
    try:
        url = f"{path}?{query}" if query else path
        response = client.post(url, data=form_body(pairs), content_type=FORM_TYPE,
                               headers=headers)
    finally:
        release(errors)
    event(f"{'signed' if signed else 'not signed'}: answered {response.status_code}")
    check_response(response, errors, f"POST {url}")
    if not signed:
        assert response.status_code in (400, 403, 411, 413, 415), response.status_code
    check_database(database_path)


@settings(max_examples=EXAMPLES)
@given(data=st.data())
def test_hostile_inbound_texts_never_break_mend(client, db, sent, database_path, data):
    pairs = draw_pairs(data, inbound_form())
    kind, headers = signature_header(data, f"{TEST_PUBLIC_BASE_URL}{INBOUND}", pairs)
    before = events.count(db)
    post_and_check(client, INBOUND, "", pairs, headers, database_path, signed=kind == "valid")
    if kind != "valid":
        assert events.count(db) == before, "an unsigned text changed something"


@settings(max_examples=EXAMPLES)
@given(data=st.data())
def test_hostile_status_callbacks_never_break_mend(client, db, sent, database_path, data):
    message_id, sid = sent()
    m = data.draw(st.sampled_from(["real", "hostile id", "any text"]).flatmap(
        lambda kind: {"real": st.just(str(message_id)), "hostile id": st.sampled_from(HOSTILE_IDS),
                      "any text": free_text()}[kind]), label="?m=")
    query = data.draw(st.sampled_from(["m", "none", "repeated"]), label="query")
    query = {"m": urllib.parse.urlencode({"m": m}), "none": "",
             "repeated": urllib.parse.urlencode([("m", m), ("m", str(message_id))])}[query]
    pairs = draw_pairs(data, status_form(sid))
    url = f"{TEST_PUBLIC_BASE_URL}{STATUS}" + (f"?{query}" if query else "")
    kind, headers = signature_header(data, url, pairs)
    before = events.count(db)
    post_and_check(client, STATUS, query, pairs, headers, database_path, signed=kind == "valid")
    if kind != "valid":
        assert events.count(db) == before, "an unsigned callback changed something"
        assert messages.get(db, message_id)["status"] == "sent"


CONTENT_TYPES = [FORM_TYPE, "application/x-www-form-urlencoded; charset=latin-1",
                 "multipart/form-data", "multipart/form-data; boundary=xyz",
                 "application/json", "text/plain", "text/xml", "", "\x00", "a/b; c"]


@settings(max_examples=EXAMPLES)
@given(path=st.sampled_from([INBOUND, STATUS]),
       body=st.one_of(st.binary(max_size=2000),
                      st.sampled_from([b"%ff%fe=%ff", b"Body=%C0%AF", b"a=1&a=2", b"&&&",
                                       b"=", b"Body", b"Body=STOP&Body=START",
                                       b"--xyz\r\nContent-Disposition: form-data; name=\"a\""
                                       b"\r\n\r\n\xff\r\n--xyz--\r\n", b"\x00" * 100,
                                       b"{\"Body\": \"STOP\"}", b"Body=" + b"A" * 300_000])),
       content_type=st.sampled_from(CONTENT_TYPES),
       sign=st.booleans())
def test_raw_bodies_to_the_webhooks_never_break_mend(client, db, database_path, path, body,
                                                      content_type, sign):
    """Random bytes: signed over whatever the app will parse, or not signed at all."""
    headers = {"Content-Type": content_type}
    if sign:
        parsed = urllib.parse.parse_qsl(body.decode("latin-1"), keep_blank_values=True,
                                        encoding="latin-1")
        pairs = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in parsed]
        headers["X-Twilio-Signature"] = signature_for(f"{TEST_PUBLIC_BASE_URL}{path}",
                                                      as_flask_sees_it(pairs))
    before = events.count(db)
    errors = capture_errors()
    try:
        response = client.post(path, data=body, headers=headers)
    finally:
        release(errors)
    event(f"answered {response.status_code}")
    check_response(response, errors, f"POST {path}")
    if response.status_code >= 400:
        assert events.count(db) == before, "a refused request changed something"
    check_database(database_path)
