"""Reading an incoming text: Twilio's keywords, and texts that read like "please stop"."""
import pytest

from sms.keywords import Meaning, meaning_of

STOP_WORDS = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"]
START_WORDS = ["START", "YES", "UNSTOP"]
HELP_WORDS = ["HELP", "INFO"]


def variants(word):
    """The ways a person might type one keyword: any case, spaces and punctuation around it."""
    return [word, word.lower(), word.capitalize(), f"  {word.lower()}  ", f"{word}.",
            f"{word.lower()}!", f"'{word}'", f"\n{word.capitalize()}?\n", f"{word} \U0001F44D",
            f"\u201c{word.lower()}\u201d"]


@pytest.mark.parametrize("body, keyword", [
    (text, word) for word in STOP_WORDS for text in variants(word)])
def test_every_stop_keyword_variant_withdraws(body, keyword):
    assert meaning_of(body) == Meaning(kind="stop", keyword=keyword)


@pytest.mark.parametrize("body, keyword", [
    (text, word) for word in START_WORDS for text in variants(word)])
def test_every_start_keyword_variant_grants(body, keyword):
    assert meaning_of(body) == Meaning(kind="start", keyword=keyword)


@pytest.mark.parametrize("body, keyword", [
    (text, word) for word in HELP_WORDS for text in variants(word)])
def test_help_and_info_are_keywords_that_change_nothing(body, keyword):
    assert meaning_of(body) == Meaning(kind="help", keyword=keyword)


@pytest.mark.parametrize("body, possible_stop", [
    ("stop texting me", True),
    ("Please STOP", True),
    ("stop stop", True),
    ("Leave me alone", True),
    ("leave me be x", True),
    ("don't text me again", True),
    ("Don\u2019t message me", True),
    ("do not contact me", True),
    ("no more texts pls", True),
    ("take me off your list", True),
    ("delete my number", True),
    ("I don't want any more messages", True),
    ("wrong number", True),
    ("go away", True),
    ("Thanks Sam, see you Tuesday", False),
    ("yes please", False),
    ("It was a hard day. I'm ok now", False),
    ("Can't stand the bus stops round here", False),
    ("", False),
])
def test_texts_that_read_like_a_request_to_stop_are_flagged_not_acted_on(body, possible_stop):
    assert meaning_of(body) == Meaning(kind="reply", possible_stop=possible_stop)


@pytest.mark.parametrize("body", ["STOP NOW", "s t o p", "stopp", "YES!! see you then", "endless"])
def test_more_than_one_word_or_a_longer_word_is_not_a_keyword(body):
    assert meaning_of(body).kind == "reply"
