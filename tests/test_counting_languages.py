"""Counting a text in each shipped language as the carrier bills it, and never replacing
one of a language's letters with a plain one on the way to the phone."""
import json

import pytest

from scheduler.dispatcher import dispatch_due
from sms.encoding import count
from tests.harness.database import NOON_ISH, add_message, add_person, status_of
from tests.harness.delivery import settings

# A letter each language needs that GSM-7 has not: each forces UCS-2 (70 a part, 67 in a
# multipart message). Arabic has a whole script outside GSM-7.
LETTERS = {
    "Welsh ŵ": "ŵ", "Welsh ŷ": "ŷ", "Welsh â": "â",
    "Polish ł": "ł", "Polish ą": "ą", "Polish ż": "ż",
    "Romanian ș": "ș", "Romanian ț": "ț", "Romanian ă": "ă", "Romanian ş (cedilla)": "ş",
    "Arabic ب": "ب", "Arabic ة": "ة",
}


@pytest.mark.parametrize("length, parts", [(1, 1), (70, 1), (71, 2), (134, 2), (135, 3),
                                           (201, 3), (202, 4)])
@pytest.mark.parametrize("letter", LETTERS.values(), ids=LETTERS.keys())
def test_each_languages_letters_count_as_ucs2_at_every_boundary(letter, length, parts):
    counted = count(letter * length)
    assert (counted.encoding, counted.characters, counted.parts) == ("UCS-2", length, parts)
    assert counted.non_gsm == [letter]


@pytest.mark.parametrize("letter", LETTERS.values(), ids=LETTERS.keys())
def test_one_such_letter_in_a_long_plain_text_turns_it_into_ucs2(letter):
    assert count("a" * 69 + letter).parts == 1
    assert count("a" * 70 + letter).parts == 2
    assert count("a" * 133 + letter).parts == 2
    assert count("a" * 134 + letter).parts == 3


SENTENCES = {
    "cy": "Helo Alex, Sam sy'n dweud: mae'r drws ar agor. Bydd yn siŵr o fod yn iawn; dŵr, tŷ, â.",
    "pl": "Cześć Alex, tu Sam. Jestem tu, kiedy zechcesz porozmawiać. Żółć, łąka, źdźbło.",
    "ro": "Bună, Alex, sunt Sam. Sunt aici când vrei să vorbim. Știu, țară, înțeleg; şi ţară.",
    "ar": "مرحبًا Alex، أنا Sam. أنا هنا متى أردت الحديث. لا داعي للرد؟",
}


@pytest.mark.parametrize("language", SENTENCES)
def test_smart_encoding_never_replaces_a_letter_of_a_shipped_language(language):
    text = SENTENCES[language]
    counted = count(text)
    assert counted.text == text
    assert counted.replaced == []
    assert counted.encoding == "UCS-2"


def test_a_curly_apostrophe_in_welsh_is_straightened_but_the_w_with_a_hat_stays():
    counted = count("Mae\u2019n siŵr")
    assert counted.text == "Mae'n siŵr"
    assert (counted.encoding, counted.non_gsm) == ("UCS-2", ["ŵ"])


def test_welsh_without_a_circumflex_stays_gsm7():
    """Most Welsh letters are in GSM-7: only the circumflex ones cost more."""
    counted = count("Helo Alex, Sam sy 'ma. Does dim angen ateb.")
    assert (counted.encoding, counted.parts) == ("GSM-7", 1)


@pytest.mark.parametrize("language, parts", [("cy", 2), ("pl", 2), ("ro", 2), ("ar", 1)])
def test_sms_count_reports_encoding_and_parts_for_each_language(app, language, parts):
    result = app.test_cli_runner().invoke(args=["sms", "count", SENTENCES[language], "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert (summary["encoding"], summary["parts"], summary["replaced"]) == ("UCS-2", parts, [])
    assert summary["characters"] == len(SENTENCES[language])


def test_sms_count_prints_welsh_letters_as_they_are(app):
    result = app.test_cli_runner().invoke(args=["sms", "count", "Helo, dŵr a thŷ"])
    assert result.output.splitlines() == [
        "Encoding:   UCS-2", "Characters: 15", "Parts:      1", "Replaced:   nothing",
        "Not GSM-7:  ŵ ŷ"]


@pytest.mark.parametrize("language", SENTENCES)
def test_a_text_in_each_language_reaches_the_provider_letter_for_letter(
        delivery_db, fake_twilio, gateway, language):
    db = delivery_db
    message_id = add_message(db, db.worker_id, add_person(db, db.worker_id),
                             body=SENTENCES[language])
    dispatch_due(db, gateway, NOON_ISH, settings())
    assert fake_twilio.bodies() == [SENTENCES[language]]
    assert fake_twilio.created[0]["num_segments"] == str(count(SENTENCES[language]).parts)
    assert status_of(db, message_id) == "sent"
