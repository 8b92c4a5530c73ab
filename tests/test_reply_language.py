"""Replies in the person's language: marked on the inbox with the language they read as,
the team's view of replies nobody in the team reads, and "possible request to stop"
phrases in every shipped language (Twilio's keywords stay English)."""
from datetime import datetime, timedelta, timezone

import pytest

from sms.keywords import meaning_of
from sms.reply_language import language_of, waiting_for_a_language
from tests.harness.database import add_person
from tests.test_inbound_webhook import visible_text
from tests.test_unread_replies import app_config, reply_arrives  # noqa: F401 (fixture)


@pytest.mark.parametrize("text, language", [
    ("Diolch", "cy"), ("Diolch yn fawr", "cy"), ("Ok diolch", "cy"), ("Bore da", "cy"),
    ("Dwi ddim yn gallu dod", "cy"), ("Mae hi'n iawn diolch", "cy"), ("Sut wyt ti?", "cy"),
    ("Dziękuję", "pl"), ("dzieki", "pl"), ("nie teraz", "pl"), ("Na razie", "pl"),
    ("Cześć, wszystko dobrze", "pl"), ("Nie chce wiecej wiadomosci", "pl"),
    ("Mulțumesc", "ro"), ("ok mersi", "ro"), ("Nu pot azi", "ro"), ("Ce faci?", "ro"),
    ("Te rog nu mai scrie", "ro"), ("Lasa-ma in pace", "ro"),
    ("شكرا", "ar"), ("شكرًا لك Sam", "ar"), ("لا أستطيع اليوم", "ar"),
    # English, and what reads as nothing in particular, is not marked
    ("Thanks", None), ("ok", None), ("No", None), ("see you tomorrow", None),
    ("Sorry I missed it", None), ("Hi Sam, I will come on Tuesday", None),
    ("Can we meet in town", None), ("Alex", None), ("\U0001F60A", None), ("", None),
])
def test_a_short_reply_reads_as_its_language(text, language):
    assert language_of(text) == language


def test_replies_wait_for_a_language_only_when_nobody_in_the_team_reads_it():
    replies = [{"id": 1, "body": "Diolch"}, {"id": 2, "body": "Dziękuję"},
               {"id": 3, "body": "Thanks"}]
    assert [(r["id"], r["language"]) for r in waiting_for_a_language(replies, {"en"})] == [
        (1, "cy"), (2, "pl")]
    assert [r["id"] for r in waiting_for_a_language(replies, {"en", "cy"})] == [2]


@pytest.mark.parametrize("text", [
    "Stopiwch", "Peidiwch â tecstio fi", "Dim mwy o negeseuon plis", "Gad lonydd i mi",
    "Rhif anghywir",
    "Przestań pisać", "Nie pisz do mnie", "Nie chce wiecej wiadomosci", "Zostaw mnie w spokoju",
    "Zły numer",
    "Nu-mi mai scrie", "Nu mă mai suna", "Lasă-mă în pace", "Lasa-ma in pace", "Număr greşit",
    "توقف", "لا ترسل لي رسائل", "اتركني", "رقم خطأ",
])
def test_a_request_to_stop_in_each_language_is_flagged_but_is_not_a_twilio_keyword(text):
    meaning = meaning_of(text)
    assert (meaning.kind, meaning.possible_stop) == ("reply", True)


@pytest.mark.parametrize("text", [
    "Diolch yn fawr", "Does dim brys", "Dziękuję, do zobaczenia", "Mulțumesc, pe curând",
    "شكرا", "توقفنا مبكرا",  # "we stopped early"
])
def test_kind_replies_in_each_language_are_not_flagged(text):
    assert meaning_of(text).possible_stop is False


def test_a_welsh_reply_is_marked_on_the_inbox_and_in_the_thread(client, worker, db, user_ids):
    alex = add_person(db, user_ids["worker"], name="Alex")
    reply_arrives(client, at=datetime.now(timezone.utc) - timedelta(minutes=5),
                  body="Diolch, wela i chi wedyn")
    dashboard = visible_text(worker.get("/dashboard").get_data(as_text=True))
    assert "Diolch, wela i chi wedyn Reads as Welsh (Cymraeg)" in dashboard
    thread = visible_text(worker.get(f"/contacts/{alex}").get_data(as_text=True))
    assert "Reads as Welsh (Cymraeg)" in thread


def test_an_english_reply_is_not_marked(client, worker, db, user_ids):
    add_person(db, user_ids["worker"], name="Alex")
    reply_arrives(client, at=datetime.now(timezone.utc) - timedelta(minutes=5),
                  body="Thanks, see you then")
    assert "Reads as" not in worker.get("/dashboard").get_data(as_text=True)


def test_reviewers_see_the_replies_that_wait_for_a_language_nobody_in_the_team_has(
        client, reviewer, admin, db, user_ids):
    add_person(db, user_ids["worker"], name="Alex")
    reply_arrives(client, at=datetime.now(timezone.utc) - timedelta(hours=1),
                  body="Nie chcę teraz rozmawiać, dziękuję")
    for lead in (reviewer, admin):
        page = visible_text(lead.get("/team/unread").get_data(as_text=True))
        assert "Replies in a language nobody in the team reads" in page
        assert "Alex Sam Worker" in page and "Polish (polski)" in page

    db.execute("UPDATE users SET languages = 'en,pl' WHERE id = ?", [user_ids["other_worker"]])
    page = visible_text(reviewer.get("/team/unread").get_data(as_text=True))
    assert "Every unread reply is in a language someone in the team reads." in page
    assert "Polish (polski)" not in page
