"""Replies on the worker's dashboard and in one thread on the person's page; marking read."""
import re
from datetime import datetime, timezone

import pytest

from storage import events, inbound, messages
from tests.harness.pages import add_contact, contact_id_from, post_form
from tests.harness.twilio_signing import TEST_AUTH_TOKEN, TEST_PUBLIC_BASE_URL, post_signed


@pytest.fixture
def app_config(app_config):
    return {**app_config, "TWILIO_AUTH_TOKEN": TEST_AUTH_TOKEN,
            "PUBLIC_BASE_URL": TEST_PUBLIC_BASE_URL}


def text_in(client, body, sid, from_number="+447911123456"):
    return post_signed(client, "/webhooks/twilio/inbound", {
        "MessageSid": f"SM{sid:032x}", "From": from_number, "To": "+447400123456",
        "Body": body})


def visible_text(page):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)).replace(" .", ".")


@pytest.fixture
def alex(worker):
    return contact_id_from(add_contact(worker, name="Alex"))


def sent_text(db, contact_id, worker_id, body, at):
    message_id = messages.create(
        db, contact_id=contact_id, worker_id=worker_id, template_version_id=None, body=body,
        encoding="GSM-7", characters=len(body), parts=1, warnings=[], scheduled_for=at)
    messages.transition(db, message_id, from_statuses=("scheduled",), to_status="sent",
                        sent_at=at)
    return message_id


def test_the_thread_interleaves_texts_and_replies_in_the_services_time_zone(
        worker, db, alex, user_ids):
    sent_text(db, alex, user_ids["worker"], "First from Sam",
              datetime(2026, 7, 1, 9, 0, tzinfo=timezone.utc))
    inbound.record(db, provider_sid="SM" + "a" * 32, from_number="+447911123456",
                   contact_id=alex, body="Reply from Alex", kind="reply",
                   received_at=datetime(2026, 7, 1, 13, 5, tzinfo=timezone.utc))
    sent_text(db, alex, user_ids["worker"], "Second from Sam",
              datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc))
    page = visible_text(worker.get(f"/contacts/{alex}").get_data(as_text=True))
    thread = page.split("Agreement to texts")[0]
    assert re.findall(r"(First from Sam|Reply from Alex|Second from Sam)", thread) == [
        "First from Sam", "Reply from Alex", "Second from Sam"]
    assert "Reply from Alex Wed 1 Jul 2026, 2:05pm · Unread" in thread  # BST
    assert "Second from Sam Sent · Tue 1 Dec 2026, 10:00am" in thread  # GMT


def test_marking_a_reply_read_takes_it_off_the_dashboard_and_is_audited(
        client, worker, db, alex, user_ids):
    text_in(client, "see you tuesday", sid=1)
    [reply] = inbound.for_contact(db, alex)
    assert "see you tuesday" in worker.get("/dashboard").get_data(as_text=True)
    response = post_form(worker, f"/inbox/{reply['id']}/read", {"next": "/dashboard"},
                         page="/dashboard")
    assert response.headers["Location"] == "/dashboard"
    page = worker.get("/dashboard").get_data(as_text=True)
    assert "Marked as read." in page
    assert "see you tuesday" not in page
    assert "see you tuesday" in worker.get(f"/contacts/{alex}").get_data(as_text=True)
    [event] = events.for_subject(db, "inbound_message", reply["id"])[1:]
    assert (event["action"], event["actor_id"]) == ("inbound.read", user_ids["worker"])


def test_mark_all_as_read_from_the_persons_page(client, worker, db, alex):
    text_in(client, "one", sid=1)
    text_in(client, "two", sid=2)
    assert "2 unread" in worker.get("/dashboard").get_data(as_text=True)
    response = post_form(worker, f"/inbox/contact/{alex}/read", {}, page=f"/contacts/{alex}")
    assert "Marked 2 texts as read." in worker.get(response.headers["Location"]).get_data(
        as_text=True)
    assert inbound.unread_ids_for_contact(db, alex) == []


def test_a_reply_offers_to_reply_by_composing_from_a_template(client, worker, alex):
    text_in(client, "thanks", sid=1)
    assert f'href="/compose/?contact={alex}">Reply with a template' in worker.get(
        "/dashboard").get_data(as_text=True)


@pytest.mark.parametrize("next_page, lands_on", [
    ("/contacts/", "/contacts/"),
    ("//evil.example.com/", "/dashboard"),
    ("https://evil.example.com/", "/dashboard"),
    ("/\t/evil.example.com/", "/dashboard"),  # browsers drop the tab: //evil.example.com
    ("/\n/evil.example.com/", "/dashboard"),
    ("", "/dashboard"),
])
def test_mark_as_read_only_returns_to_a_page_on_this_site(client, worker, db, alex,
                                                         next_page, lands_on):
    text_in(client, "hello", sid=1)
    [reply] = inbound.for_contact(db, alex)
    response = post_form(worker, f"/inbox/{reply['id']}/read", {"next": next_page},
                         page="/dashboard")
    assert response.headers["Location"] == lands_on


def test_only_the_persons_key_worker_or_an_admin_may_mark_their_texts(
        client, worker, other_worker, db, alex):
    text_in(client, "hello", sid=1)
    text_in(client, "who is this", sid=2, from_number="+447922654321")
    mine, unmatched = inbound.for_contact(db, alex)[0], inbound.unmatched(db)[0]
    assert post_form(other_worker, f"/inbox/{mine['id']}/read", {},
                     page="/dashboard").status_code == 404
    assert post_form(worker, f"/inbox/{unmatched['id']}/read", {},
                     page="/dashboard").status_code == 403
    assert inbound.get(db, mine["id"])["read_at"] is None


def test_an_admin_marks_an_unmatched_text_as_dealt_with(client, admin, db):
    text_in(client, "who is this", sid=2, from_number="+447922654321")
    [unmatched] = inbound.unmatched(db)
    assert "1 text from numbers that match no one" in admin.get("/dashboard").get_data(
        as_text=True)
    response = post_form(admin, f"/inbox/{unmatched['id']}/read",
                         {"next": "/inbox/unmatched"}, page="/inbox/unmatched")
    assert response.headers["Location"] == "/inbox/unmatched"
    assert "who is this" not in admin.get("/inbox/unmatched").get_data(as_text=True)
    assert "Dealt with" in admin.get("/inbox/unmatched?all=1").get_data(as_text=True)


def test_marking_read_without_a_csrf_token_is_refused(client, worker, db, alex):
    text_in(client, "hello", sid=1)
    [reply] = inbound.for_contact(db, alex)
    assert worker.post(f"/inbox/{reply['id']}/read").status_code == 400
    assert inbound.get(db, reply["id"])["read_at"] is None


def unread_cards(page):
    return re.findall(r'<li class="card card--unread[^"]*" id="unread-\d+">(.*?)</li>', page,
                      re.S)


def test_help_is_shown_first_as_possibly_urgent_with_the_crisis_procedure(client, worker,
                                                                            alex):
    text_in(client, "thanks for that", sid=1)
    text_in(client, "HELP", sid=2)
    cards = [visible_text(card) for card in unread_cards(
        worker.get("/dashboard").get_data(as_text=True))]
    assert len(cards) == 2
    assert ("Possibly urgent: Alex texted HELP. It may be a real call for help. They got an "
            "automatic reply from the phone provider, not from you. Follow your crisis "
            "procedure.") in cards[0]
    assert "Reply with a template" not in cards[0]
    assert "thanks for that" in cards[1]


def test_every_reply_links_to_the_crisis_procedure(client, worker, alex):
    text_in(client, "thanks", sid=1)
    page = worker.get("/dashboard").get_data(as_text=True)
    assert ("If a reply worries you, do not answer with a template: follow your crisis "
            "procedure.") in visible_text(page)
    assert 'href="/inbox/crisis-procedure">crisis procedure</a>' in page


def test_a_possible_request_to_stop_is_a_no_for_now_with_no_template_offered(client, worker,
                                                                             alex):
    text_in(client, "just leave me alone", sid=1)
    [card] = unread_cards(worker.get("/dashboard").get_data(as_text=True))
    assert "Reply with a template" not in card
    assert ("This may be a request to stop texting. Treat it as a no for now: do not text "
            "them. Record it on their page, and ask them in person when you next see "
            "them.") in visible_text(card)
    person = visible_text(worker.get(f"/contacts/{alex}").get_data(as_text=True))
    assert "Treat it as a no for now: do not text them." in person


def test_the_crisis_procedure_page_says_to_ask_a_manager_until_it_is_written(worker, admin):
    page = visible_text(worker.get("/inbox/crisis-procedure").get_data(as_text=True))
    assert ("Your service has not written its crisis procedure into Mend yet. Ask your manager "
            "or the person on call what to do now, and follow your service's own "
            "procedure.") in page.replace("&#39;", "'")
    assert "CRISIS_PROCEDURE" not in page
    assert "CRISIS_PROCEDURE" in admin.get("/inbox/crisis-procedure").get_data(as_text=True)


def test_the_crisis_procedure_page_shows_the_services_own_words(app, worker):
    app.config["CRISIS_PROCEDURE"] = ("Call the duty manager on 0161 000 0000.\n"
                                      "Out of hours: <the on-call number>.")
    page = worker.get("/inbox/crisis-procedure").get_data(as_text=True)
    assert "<p>Call the duty manager on 0161 000 0000.</p>" in page
    assert "<p>Out of hours: &lt;the on-call number&gt;.</p>" in page
