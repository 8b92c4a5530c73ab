"""The history page: filters, keyset paging, masked numbers, admin reveals, the
message timeline, and a clear message (never a 500) for nonsense in the URL."""
import base64
import html
import json
import re
from datetime import datetime, timedelta

import pytest

from actions import consent
from storage import events, history
from tests.audit_helpers import (dispatch, message_ids_on, new_contact, place_reply,
                                 place_text, send_text, utc)
from tests.harness.pages import post_form

ALEX_PHONE, KIM_PHONE, JO_PHONE = "07911 123456", "07912 345678", "07913 456789"


@pytest.fixture
def texts(worker, other_worker, db):
    """Alex and Kim (Sam's caseload) and Jo (Jo Other's), with real texts: two to
    Alex (one sent; one cancelled when Alex withdrew consent), one to Kim, and one
    from Jo Other to Jo."""
    alex = new_contact(worker, "Alex", ALEX_PHONE)
    kim = new_contact(worker, "Kim", KIM_PHONE)
    jo = new_contact(other_worker, "Jo", JO_PHONE)
    ids = {
        "alex_door": send_text(worker, db, alex, "door-stays-open"),
        "kim_wrong": send_text(worker, db, kim, "i-got-it-wrong"),
        "jo_door": send_text(other_worker, db, jo, "door-stays-open",
                             personal="Thinking about Tuesday."),
    }
    dispatch(db)
    ids["alex_later"] = send_text(worker, db, alex, "feelings-made-sense")
    consent.withdraw(db, alex, method="withdrawn_by_worker", actor_type="system",
                     reason="test")
    return {"contacts": {"alex": alex, "kim": kim, "jo": jo}, **ids}


def page_of(client, url):
    response = client.get(url)
    return response, response.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/audit/history", "/audit/history.csv", "/audit/messages/1",
                                 "/audit/dashboard", "/audit/charts.css"])
def test_a_worker_opening_audit_pages_gets_403(worker, url):
    assert worker.get(url).status_code == 403


def test_a_worker_and_a_reviewer_cannot_reveal_a_number(worker, reviewer, texts):
    for client in (worker, reviewer):
        response = post_form(client, f"/audit/messages/{texts['alex_door']}/reveal",
                             {"reason": "curious"}, page="/compose/")
        assert response.status_code == 403


def test_history_lists_every_text_newest_first_with_numbers_masked(reviewer, texts):
    response, page = page_of(reviewer, "/audit/history")
    assert response.status_code == 200
    assert message_ids_on(page) == [texts["alex_later"], texts["jo_door"], texts["kim_wrong"],
                                    texts["alex_door"]]
    assert "+44 7••• ••• 456" in page
    for phone in ("7911 123456", "7911123456", "7912 345678", "7913 456789"):
        assert phone not in page


FILTERS = [
    ("status=cancelled", ["alex_later"]),
    ("status=sent", ["jo_door", "kim_wrong", "alex_door"]),
    ("template=door-stays-open", ["jo_door", "alex_door"]),
    ("situation=i-got-it-wrong", ["kim_wrong"]),
    ("q=hello", ["jo_door", "alex_door"]),
    ("q=Tuesday", ["jo_door"]),
    ("q=hello&status=sent&template=door-stays-open", ["jo_door", "alex_door"]),
    ("q=nowhere", []),
    ('q="AND ( OR *', []),
]


@pytest.mark.parametrize("common_words_from", [history.SEARCH_LEADS_BELOW, 1],
                         ids=["rare words: the search index leads",
                              "common words: the date index leads"])
def test_filters_narrow_the_history(reviewer, texts, monkeypatch, common_words_from):
    """One set of texts, a table of filters -> the texts listed (newest first),
    the same whichever way a search is planned."""
    monkeypatch.setattr(history, "SEARCH_LEADS_BELOW", common_words_from)
    for query, expected in FILTERS:
        response, page = page_of(reviewer, f"/audit/history?{query}")
        assert response.status_code == 200, query
        assert message_ids_on(page) == [texts[key] for key in expected], query
        assert ("No texts match these filters." in page) == (not expected), query


def test_filter_by_who_wrote_it_and_by_person(reviewer, texts, user_ids):
    _, page = page_of(reviewer, f"/audit/history?worker={user_ids['other_worker']}")
    assert message_ids_on(page) == [texts["jo_door"]]
    alex = texts["contacts"]["alex"]
    _, page = page_of(reviewer, f"/audit/history?contact={alex}")
    assert message_ids_on(page) == [texts["alex_later"], texts["alex_door"]]
    assert "Showing texts to <strong>Alex</strong> only." in page


def test_date_range_uses_the_services_days(reviewer, db, texts, user_ids):
    alex = texts["contacts"]["alex"]
    # 23:30 UTC on 31 July is already 1 August in London (BST).
    late_july = place_text(db, contact_id=alex, worker_id=user_ids["worker"],
                           when=utc(2026, 7, 31, 23, 30))
    mid_july = place_text(db, contact_id=alex, worker_id=user_ids["worker"],
                          when=utc(2026, 7, 15, 12, 0))
    _, page = page_of(reviewer, "/audit/history?since=2026-08-01&until=2026-08-01")
    assert message_ids_on(page) == [late_july]
    _, page = page_of(reviewer, "/audit/history?since=2026-07-01&until=2026-07-31")
    assert message_ids_on(page) == [mid_july]


def test_pages_follow_each_other_without_gaps_or_repeats(app, reviewer, db, texts, user_ids):
    app.config["HISTORY_PAGE_SIZE"] = 2
    alex = texts["contacts"]["alex"]
    same_second = [place_text(db, contact_id=alex, worker_id=user_ids["worker"],
                              when=utc(2026, 1, 5, 10, 0)) for _ in range(3)]
    seen, url, pages = [], "/audit/history", 0
    while url:
        response, page = page_of(reviewer, url)
        assert response.status_code == 200
        seen += message_ids_on(page)
        pages += 1
        older = re.search(r'href="([^"]+)">Older texts</a>', page)
        url = html.unescape(older.group(1)) if older else None
    assert pages == 4
    assert sorted(seen) == sorted([*same_second, *[v for k, v in texts.items()
                                                   if k != "contacts"]])
    assert len(seen) == len(set(seen))
    assert seen[-3:] == sorted(same_second, reverse=True)


def token(text):
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


BAD_PAGE = "That page link is not valid. Start again from the first page."


@pytest.mark.parametrize("query, message", [
    ("since=2026-02-30", "Enter the 'from' date as a real date, like 2026-03-01."),
    ("since=yesterday", "Enter the 'from' date as a real date, like 2026-03-01."),
    ("since=99999-01-01", "Enter the 'from' date as a real date, like 2026-03-01."),
    ("until=1899-12-31", "Enter the 'to' date as a real date, like 2026-03-31."),
    ("since=2026-03-10&until=2026-03-01",
     "The 'to' date must be the same as or after the 'from' date."),
    ("status=lost", "Choose a status from the list."),
    ("worker=abc", "Choose who wrote the text from the list."),
    ("worker=999999", "Choose who wrote the text from the list."),
    ("template=no-such-template", "Choose a template from the list."),
    ("situation=on-the-moon", "Choose a situation from the list."),
    ("contact=1e9999", "That person could not be found. Choose them again."),
    ("contact=99999999999999999999999", "That person could not be found. Choose them again."),
    ("q=" + "x" * 201, "Keep the search to 200 characters."),
    ("after=" + "A" * 5000, BAD_PAGE),
    ("after=%%%", BAD_PAGE),
    ("after=" + token("not a key"), BAD_PAGE),
    ("after=" + token("2026-01-01T00:00:00+00:00|99999999999999999999999"), BAD_PAGE),
    ("after=" + token("2026-01-01T00:00:00|5"), BAD_PAGE),
])
@pytest.mark.parametrize("path", ["/audit/history", "/audit/history.csv"])
def test_nonsense_in_the_url_gets_a_clear_message_not_a_500(reviewer, path, query, message):
    response = reviewer.get(f"{path}?{query}")
    assert response.status_code == 400
    page = html.unescape(response.get_data(as_text=True))
    assert "There is a problem" in page
    assert message in page


def test_an_unknown_message_is_a_404_even_with_a_huge_id(reviewer):
    assert reviewer.get("/audit/messages/999999").status_code == 404
    assert reviewer.get("/audit/messages/99999999999999999999999999").status_code == 404


def actions_by(db, user_id):
    return [(row["action"], json.loads(row["detail"])) for row in db.query(
        "SELECT action, detail FROM events WHERE actor_id = ? AND action LIKE 'audit.%'"
        " ORDER BY id", [user_id])]


def test_viewing_and_exporting_are_recorded_without_the_words_searched(reviewer, db, texts,
                                                                      user_ids):
    reviewer.get("/audit/history?q=Alex&status=sent")
    reviewer.get(f"/audit/messages/{texts['alex_door']}")
    reviewer.get("/audit/history.csv?template=door-stays-open").get_data()
    reviewer.get("/audit/dashboard")
    assert actions_by(db, user_ids["reviewer"]) == [
        ("audit.history_viewed", {"status": "sent", "searched_text": True, "page": "first",
                                  "rows": 1}),
        ("audit.message_viewed", {}),
        ("audit.exported", {"template_id": "door-stays-open", "format": "csv", "by": "web"}),
        ("audit.dashboard_viewed", {}),
    ]
    details = " ".join(row["detail"] for row in db.query("SELECT detail FROM events"))
    assert "Alex" not in details and "7911" not in details


def test_the_message_view_shows_its_timeline_and_the_consent_when_it_went(
        reviewer, db, texts):
    alex = texts["alex_door"]
    place_reply(db, contact_id=texts["contacts"]["alex"],
                when=utc(2099, 1, 1))  # far outside the 7 days: not on this timeline
    response, page = page_of(reviewer, f"/audit/messages/{alex}")
    assert response.status_code == 200
    page = html.unescape(page)
    consent = page.split('id="consent-at-send">')[1].split("</dd>")[0]
    assert consent.startswith("Agreed to texts · In person · recorded")
    timeline = page.split('id="timeline">')[1].split("</ol>")[0]
    steps = ["Scheduled</strong>", "Picked up by the dispatcher to send</strong>",
             "Handed to the SMS provider</strong>",
             "Consent changed: does not want texts</strong>",
             "Viewed in the audit history</strong>"]
    positions = [timeline.find(step) for step in steps]
    assert -1 not in positions and positions == sorted(positions)  # in the log's order
    assert "They replied" not in timeline
    body = db.execute("SELECT body FROM messages WHERE id = ?", [alex]).fetchone()[0]
    assert page.split('id="message-body">')[1].startswith(body + "</p>")
    assert "+44 7••• ••• 456" in page and "7911 123456" not in page


def test_a_reply_within_7_days_is_on_the_timeline(reviewer, db, texts):
    alex = texts["contacts"]["alex"]
    sent_at = db.execute("SELECT sent_at FROM messages WHERE id = ?",
                         [texts["alex_door"]]).fetchone()[0]
    place_reply(db, contact_id=alex, body="ok thanks, see you tues",
                when=datetime.fromisoformat(sent_at) + timedelta(hours=3))
    _, page = page_of(reviewer, f"/audit/messages/{texts['alex_door']}")
    timeline = page.split('id="timeline">')[1].split("</ol>")[0]
    assert "They replied</strong>" in timeline and "ok thanks, see you tues" in timeline


def test_an_admin_sees_a_full_number_only_after_giving_a_reason(admin, db, texts, user_ids):
    url = f"/audit/messages/{texts['alex_door']}"
    response = post_form(admin, f"{url}/reveal", {"reason": "", "note": ""}, page=url)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Choose why you need to see the full number." in page
    assert "+44 7911 123456" not in page
    response = post_form(admin, f"{url}/reveal", {"reason": "other", "note": " "}, page=url)
    assert response.status_code == 400
    assert "Say in the note why you need to see it." in response.get_data(as_text=True)

    response = post_form(admin, f"{url}/reveal",
                         {"reason": "provider_refused", "note": "Checking the digits"}, page=url)
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    assert "+44 7911 123456" in page.split('id="number">')[1].split("</dd>")[0]
    assert ("Ada Admin" in page and "The phone network refused the number and I need to "
            "check it · Checking the digits" in page)
    [reveal] = events.for_subject(db, "contact", texts["contacts"]["alex"])[-1:]
    assert reveal["action"] == "contact.number_revealed"
    assert reveal["actor_id"] == user_ids["admin"]
    assert set(reveal["detail"]) == {"message_id", "reveal_id", "reason"}
    assert reveal["detail"]["reason"] == "provider_refused"
    # The number is not kept on screen: the next visit is masked again.
    _, again = page_of(admin, url)
    assert "+44 7911 123456" not in again.split('id="number">')[1].split("</dd>")[0]


def test_a_reveal_reason_is_a_choice_and_its_note_is_kept_short(admin, texts):
    url = f"/audit/messages/{texts['alex_door']}"
    response = post_form(admin, f"{url}/reveal", {"reason": "I just wanted to look"}, page=url)
    assert response.status_code == 400
    assert "Not a valid choice." in response.get_data(as_text=True)
    response = post_form(admin, f"{url}/reveal", {"reason": "other", "note": "x" * 301},
                         page=url)
    assert response.status_code == 400
    assert "Keep the note to 300 characters." in response.get_data(as_text=True)
