"""The checks in the text's language: each language's own lists, never the English ones on
another language, the cost of its letters stated plainly, and what Mend cannot check."""
import pytest

from sms.checks import Context, check_text, notes_for, plain_words
from sms.library import body_findings

SAM = Context(worker="Sam", service_name="Hope Street", service_allowed=False)
GOOD = {
    "cy": "Helo Alex, Sam sy 'ma. Dw i yma pan fyddwch chi eisiau siarad. Does dim angen ateb.",
    "pl": "Cześć Alex, tu Sam. Jestem tu, kiedy zechcesz porozmawiać. Nie trzeba odpisywać.",
    "ro": "Bună, Alex, sunt Sam. Sunt aici când vrei să vorbim. Nu e nevoie să răspunzi.",
    "ar": "مرحبًا Alex، أنا Sam. أنا هنا متى أردت الحديث. لا داعي للرد.",
}


def codes(text, language, name="Alex"):
    return [(f.code, f.message) for f in check_text(text, SAM, name=name, language=language)
            if f.code != "non-gsm"]


@pytest.mark.parametrize("language", GOOD)
def test_a_good_text_in_each_language_has_no_findings_but_its_cost(language):
    assert codes(GOOD[language], language) == []


BLAME = ("can read as blame or a label. People we support have often been blamed by "
         "services before, and it can push them away. Say what you noticed, or own your part.")
DEMAND = ("reads as a demand. A repair text offers and leaves the choice with them: if, "
          "when and how to talk.")
PRIVACY = ("could tell anyone who sees this phone about their situation. Phones are often "
           "shared or checked by others: leave it out.")
DEADLINE = "sets a deadline. A deadline adds pressure; offer a time as a choice instead."


@pytest.mark.parametrize("language, line, code, message", [
    ("cy", "Roedd dy ymddygiad yn ormod.", "blame", f"“dy ymddygiad” {BLAME}"),
    ("cy", "Tawela, plis.", "blame", f"“Tawela” {BLAME}"),
    ("cy", "Rhaid i chi ddod i mewn.", "demand", f"“Rhaid i chi” {DEMAND}"),
    ("cy", "Rhowch wybod i mi.", "demand", f"“Rhowch wybod” {DEMAND}"),
    ("cy", "Dewch erbyn yfory.", "deadline", f"“erbyn yfory” {DEADLINE}"),
    ("cy", "Sut mae'r hostel?", "privacy", f"“hostel” {PRIVACY}"),
    ("cy", "Ffoniodd yr heddlu.", "privacy", f"“heddlu” {PRIVACY}"),
    ("cy", "Am eich iechyd meddwl.", "privacy", f"“iechyd meddwl” {PRIVACY}"),
    ("pl", "Twoje zachowanie było złe.", "blame", f"“Twoje zachowanie” {BLAME}"),
    ("pl", "Musisz przyjść.", "demand", f"“Musisz” {DEMAND}"),
    ("pl", "Daj mi znać.", "demand", f"“Daj mi znać” {DEMAND}"),
    ("pl", "Przyjdź do piątku.", "deadline", f"“do piątku” {DEADLINE}"),
    ("pl", "Jak w szpitalu?", "privacy", f"“szpitalu” {PRIVACY}"),
    ("pl", "O narkotykach.", "privacy", f"“narkotykach” {PRIVACY}"),
    ("ro", "Comportamentul tău a fost greu.", "blame", f"“Comportamentul tău” {BLAME}"),
    ("ro", "Trebuie să vii.", "demand", f"“Trebuie să” {DEMAND}"),
    ("ro", "Sună-mă.", "demand", f"“Sună-mă” {DEMAND}"),
    ("ro", "Vino până mâine.", "deadline", f"“până mâine” {DEADLINE}"),
    ("ro", "Cum e la spital?", "privacy", f"“spital” {PRIVACY}"),
    ("ro", "Am vorbit cu poliţia.", "privacy", f"“poliţia” {PRIVACY}"),  # ţ with a cedilla
    ("ar", "سلوكك كان صعبًا.", "blame", f"“سلوكك” {BLAME}"),
    ("ar", "يجب عليك أن تأتي.", "demand", f"“يجب عليك” {DEMAND}"),
    ("ar", "اتصل بي.", "demand", f"“اتصل بي” {DEMAND}"),
    ("ar", "اتصلت الشرطة.", "privacy", f"“الشرطة” {PRIVACY}"),
    ("ar", "ذهبت إلى المستشفى والشرطة.", "privacy", f"“المستشفى” {PRIVACY}"),
])
def test_each_languages_own_lists_find_blame_demands_and_privacy(language, line, code, message):
    text = GOOD[language].replace(".", ". " + line, 1)
    assert (code, message) in codes(text, language)


@pytest.mark.parametrize("language, kind_words", [
    ("pl", "Nie musisz odpisywać."),  # "no need to reply" holds "musisz", but is no demand
    ("ro", "Nu trebuie să răspunzi."),
    ("cy", "Does dim brys."),  # "no rush" holds "brys" (hurry)
])
def test_kind_words_that_hold_a_demand_word_are_not_a_demand(language, kind_words):
    assert codes(GOOD[language] + " " + kind_words, language) == []


@pytest.mark.parametrize("language", ["cy", "pl", "ro", "ar"])
def test_the_english_lists_never_run_on_another_languages_text(language):
    english_words = " You need to calm down, the probation officer said."
    assert codes(GOOD[language] + english_words, language) == []
    assert {code for code, _ in codes(GOOD["cy"] + english_words, "en")} >= {
        "blame", "demand", "privacy"}


def test_a_language_with_no_lists_says_mend_cannot_check_it_and_still_counts_it():
    findings = check_text("Bonjour Alex, c'est Sam. Rappelle-moi " + "é" * 300, SAM,
                          name="Alex", language="fr")
    assert [f.code for f in findings] == ["language-not-checked", "too-long"]
    assert findings[0].message == (
        "Mend cannot check text in fr for blame, demands or words about their situation. "
        "The reviewer's approval is the check: ask a reviewer who reads it.")


@pytest.mark.parametrize("language, text, message", [
    ("cy", "Helo Alex, Sam sy 'ma. Mae'n siŵr. Does dim angen ateb.",
     "ŵ makes a part hold 70 characters instead of 160 (still 1 part here). Each part is "
     "billed."),
    ("pl", "Cześć Alex, tu Sam. Nie trzeba odpisywać. " + "a" * 60,
     "ć and ś make this 2 parts instead of 1. Each part is billed."),
    ("ro", "Bună, Alex, sunt Sam. Nu e nevoie să răspunzi.",
     "ă make a part hold 70 characters instead of 160 (still 1 part here). Each part is "
     "billed.".replace("ă make", "ă makes")),
    ("ar", GOOD["ar"],
     "Arabic letters make a part hold 70 characters instead of 160 (still 1 part here). "
     "Each part is billed."),
])
def test_in_another_language_the_cost_of_its_letters_is_stated_never_use_a_plain_letter(
        language, text, message):
    found = [f.message for f in check_text(text, SAM, name="Alex", language=language)
             if f.code == "non-gsm"]
    assert found == [message]
    assert "plain letter" not in message


def test_in_english_a_costly_letter_still_gets_the_plain_letter_advice():
    found = [f.message for f in check_text("Hi Alex, it's Sam. Crêpes. No need to reply.", SAM,
                                           name="Alex") if f.code == "non-gsm"]
    assert found == ["ê makes a part hold 70 characters instead of 160 (still 1 part here). "
                     "It is not in the plain text alphabet, and each part is billed. Use a "
                     "plain letter if you can."]


def test_reading_age_is_measured_for_english_only_and_the_notes_say_so():
    long_words = ("Helo Alex, Sam sy 'ma. Gwerthfawrogaf eich cydweithrediad anghyffredin "
                  "gyfrinachol. Does dim angen ateb.")
    assert plain_words(long_words, SAM, language="cy") == []
    assert [f.code for f in plain_words("We appreciate your extraordinary confidential "
                                        "cooperation.", SAM)] == ["hard-to-read"]
    assert [f.message for f in notes_for("cy")] == [
        "Mend measures reading age in English only. For Welsh (Cymraeg), the reviewer judges "
        "whether the words are plain.",
        "The Welsh (Cymraeg) word lists Mend checks with were written by the project, not by "
        "a fluent speaker, and catch only the obvious. A reviewer who reads the language is "
        "the real check."]
    assert notes_for("en") == []


@pytest.mark.parametrize("language, text", [
    ("pl", "Cześć Kasiu, tu Sam. Jestem tu. Nie trzeba odpisywać."),  # vocative of Kasia
    ("ro", "Bună, Ioano, sunt Sam. Sunt aici. Nu e nevoie să răspunzi."),  # vocative of Ioana
])
def test_a_name_in_its_vocative_form_still_counts_as_starting_with_their_name(language, text):
    name = "Kasia" if language == "pl" else "Ioana"
    assert codes(text, language, name=name) == []


@pytest.mark.parametrize("language, body, day", [
    ("cy", "Helo {name}, {worker} sy 'ma. Wela i chi heddiw. {personal} Does dim angen ateb.",
     "heddiw"),
    ("pl", "Cześć {name}, tu {worker}. Jestem tu jutro. {personal} Nie trzeba odpisywać.",
     "jutro"),
    ("ro", "Bună, {name}, sunt {worker}. Sunt aici mâine. {personal} Nu e nevoie să răspunzi.",
     "mâine"),
    ("ar", "مرحبًا {name}، أنا {worker}. أنا هنا اليوم. {personal} لا داعي للرد.", "اليوم"),
])
def test_a_translation_that_names_a_day_is_refused_in_its_own_language(language, body, day):
    findings = body_findings(body, service_name="Hope Street", language=language)
    assert f"“{day}” names a day" in " ".join(f.message for f in findings)


def test_a_translation_with_an_emoji_is_still_refused_for_its_cost():
    body = "Helo {name}, {worker} sy 'ma. \U0001F60A {personal} Does dim angen ateb."
    assert "non-gsm" in [f.code for f in body_findings(body, service_name="Hope Street",
                                                       language="cy")]
