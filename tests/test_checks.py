"""The rules of a good repair text: each check, with the exact words a person reads."""
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sms.checks import WORDS, Context, Finding, Phrases, check_text
from sms.library import body_findings

SAM = Context(worker="Sam", service_name="Hope Street", service_allowed=False)
GOOD = "Hi Alex, it's Sam. I'm here when you want to talk. No need to reply."


def findings_for(text, context=SAM, name="Alex"):
    return [(f.code, f.message) for f in check_text(text, context, name=name)]


def test_a_good_text_has_no_findings():
    assert findings_for(GOOD) == []


BLAME = ("can read as blame or a label. People we support have often been blamed by "
         "services before, and it can push them away. Say what you noticed, or own your part.")
DEMAND = ("reads as a demand. A repair text offers and leaves the choice with them: if, "
          "when and how to talk.")
DEADLINE = "sets a deadline. A deadline adds pressure; offer a time as a choice instead."
PRIVACY = ("could tell anyone who sees this phone about their situation. Phones are often "
           "shared or checked by others: leave it out.")


@pytest.mark.parametrize("line, code, message", [
    ("The team says you're a non-engager.", "blame", f"“non-engager” {BLAME}"),
    ("Some call you hard to reach.", "blame", f"“hard to reach” {BLAME}"),
    ("You are not treatment resistant.", "blame", f"“treatment resistant” {BLAME}"),
    ("Your behaviour was a lot.", "blame", f"“Your behaviour” {BLAME}"),
    ("Please calm down.", "blame", f"“calm down” {BLAME}"),
    ("You always leave early.", "blame", f"“You always” {BLAME}"),
    ("You never say.", "blame", f"“You never” {BLAME}"),
    ("You need to come in.", "demand", f"“You need to” {DEMAND}"),
    ("You must ring me.", "demand", f"“You must” {DEMAND}"),
    ("Reply now please.", "demand", f"“Reply now” {DEMAND}"),
    ("Ring as soon as possible.", "demand", f"“as soon as possible” {DEMAND}"),
    ("Come in by Friday.", "deadline", f"“by Friday” {DEADLINE}"),
    ("Reply before 5pm.", "deadline", f"“before 5pm” {DEADLINE}"),
    ("Get in touch within 48 hours.", "deadline", f"“within 48 hours” {DEADLINE}"),
    ("This is your last chance.", "deadline", f"“last chance” {DEADLINE}"),
    ("Is the hostel OK?", "privacy", f"“hostel” {PRIVACY}"),
    ("How is the mental health team?", "privacy", f"“mental health” {PRIVACY}"),
    ("Did probation call?", "privacy", f"“probation” {PRIVACY}"),
    ("About the drugs.", "privacy", f"“drugs” {PRIVACY}"),
    ("Your benefits came?", "privacy", f"“benefits” {PRIVACY}"),
    ("Our rupture matters.", "privacy", f"“rupture” {PRIVACY}"),
    ("Therapy is on.", "privacy", f"“Therapy” {PRIVACY}"),
    ("I'm at Hope Street.", "service-named",
     "“Hope Street” names the service, and this person has not agreed to that. Anyone "
     "who sees the phone could learn where the text came from."),
    ("Look at www.example.org/help", "link",
     "“www.example.org/help” is a link. Links are discouraged: a link preview can show "
     "where the text came from, and people are often warned not to tap links in texts."),
    ("Details: https://bit.ly/x", "link",
     "“https://bit.ly/x” is a link. Links are discouraged: a link preview can show where "
     "the text came from, and people are often warned not to tap links in texts."),
    ("I'm free on [date].", "unfilled-placeholder",
     "“[date]” looks like a gap left to fill in. Fill it in or take it out: they would "
     "see it exactly as written."),
    ("I'm free {{ next_meeting }}.", "unfilled-placeholder",
     "“{{ next_meeting }}” looks like a gap left to fill in. Fill it in or take it out: "
     "they would see it exactly as written."),
    ("Enjoy the crêpes.", "non-gsm",
     "ê makes a part hold 70 characters instead of 160 (still 1 part here). It is not "
     "in the plain text alphabet, and each part is billed. Use a plain letter if you can."),
])
def test_each_check_names_the_words_and_why_they_matter(line, code, message):
    text = GOOD.replace("No need to reply.", line)
    assert findings_for(text) == [(code, message)]


def test_a_non_gsm_character_names_the_parts_it_costs():
    text = GOOD + " Enjoy the crêpes."
    assert findings_for(text) == [(
        "non-gsm", "ê makes this 2 parts instead of 1. It is not in the plain text "
                   "alphabet, and each part is billed. Use a plain letter if you can.")]


def test_two_non_gsm_characters_are_named_together():
    assert findings_for(GOOD + " Paweł \U0001F60A")[0][1].startswith(
        "ł and \U0001F60A make this 2 parts instead of 1.")


def test_more_than_two_parts_is_too_long():
    assert findings_for(GOOD + " " + "word " * 50) == [(
        "too-long", "This text is 3 parts. Keep it to 2 at most: a long text costs more, is "
                    "harder to read on a small screen and can arrive in pieces.")]


@pytest.mark.parametrize("text", [
    "Hi Alex. I'm here when you want to talk.",
    "Hi Alex, it's your worker. I'm here.",
    "Hi Alex, Samuel is here for you.",
])
def test_a_text_that_does_not_say_who_is_texting_is_flagged(text):
    assert findings_for(text) == [(
        "no-sign-off", "Say who is texting, like “it's Sam”. A text from a number they may "
                       "not know, with no name, can worry them or be taken for someone else.")]


@pytest.mark.parametrize("text", [
    "Hi Alex, it's Sam.", "Hi Alex, it\u2019s Sam.", "Hi Alex, this is Sam.",
    "Hi Alex. Sam here.", "Hi Alex, no need to reply.\n- Sam", "Hi Alex. Take care, Sam",
])
def test_a_sign_off_with_the_workers_name_is_enough(text):
    assert findings_for(text) == []


def test_the_service_name_is_allowed_when_the_person_agreed():
    allowed = Context(worker="Sam", service_name="Hope Street Hostel", service_allowed=True)
    text = "Hi Alex, it's Sam from Hope Street Hostel."
    assert findings_for(text, allowed) == []
    refused = Context(worker="Sam", service_name="Hope Street Hostel", service_allowed=False)
    assert [code for code, _ in findings_for(text, refused)] == ["privacy", "service-named"]


def test_a_text_that_does_not_start_with_their_name_is_flagged():
    assert findings_for("It's Sam. Hope you are OK, Alex.") == [(
        "name-first", "Start with their name, like “Hi Alex”, so they know at once the "
                      "text is for them.")]


@pytest.mark.parametrize("innocent", [
    "No need to reply.", "I'm back at work.", "I'll be there on Friday at 2pm.",
    "It makes sense you felt angry today.", "Thank you for telling me.",
    "I got something wrong and I'm sorry.", "We can pick another time.",
])
def test_ordinary_kind_words_are_not_flagged(innocent):
    assert findings_for(GOOD.replace("No need to reply.", innocent)) == []


PLACES = "Placeholders are {name}, {worker}, {next_meeting}, {personal}, {new_worker}, {day}."


@pytest.mark.parametrize("body, findings", [
    ("Hi {name}, it's {worker}. {personal} {phone}", [
        ("template-syntax", "The template cannot be read: unknown placeholder {phone}. "
                            + PLACES)]),
    ("Hi {name}, I'm here. {personal}", [
        ("missing-placeholder", "Use {worker}: every text says who it is for and who is "
                                "texting."),
        ("no-sign-off", "Say who is texting, like “it's Sam”. A text from a number they may "
                        "not know, with no name, can worry them or be taken for someone "
                        "else.")]),
    ("Hi {name}, it's {worker}. I'm here.", [
        ("personal-place", "Mark the one place where the worker's own line goes with "
                           "{personal}.")]),
    ("Hi {name}, it's {worker}. {personal} I'm here. {personal}", [
        ("personal-place", "Mark the one place where the worker's own line goes with "
                           "{personal} (it is there more than once).")]),
    ("Hi {name}, it's {worker} from Hope Street. {personal}", [
        ("service-named", "“Hope Street” names the service, and this person has not agreed "
                          "to that. Anyone who sees the phone could learn where the text "
                          "came from.")]),
    ("Hi {name, it's {worker}. {personal}", [
        ("template-syntax", "The template cannot be read: curly brackets are only for "
                            "placeholders, like {name}; take out the lone “{”. " + PLACES)]),
    ("Hi {{ name }}, it's {{ worker }}. {{ personal }}", [
        ("old-format", "This is written in Mend's old template format ({{ name }}, "
                       "{% if %}). Use plain placeholders instead: " + PLACES[17:])]),
])
def test_a_template_body_must_pass_every_check_with_typical_values(body, findings):
    assert [(f.code, f.message) for f in body_findings(body, service_name="Hope Street")] \
        == findings


def test_findings_are_plain_data_for_the_audit_log():
    assert Finding("link", "x").as_dict() == {"code": "link", "message": "x"}


@pytest.mark.parametrize("sentence, findings", [
    ("Notwithstanding considerable organisational difficulties, communication remains "
     "available.",
     [("hard-to-read", "This needs a reading age of about 29. Aim for 11 or under: short "
                       "sentences and everyday words.")]),
    ("I wanted to say that I have been wondering about you and all of the things that "
     "happened when we met on the bus.",
     [("long-sentence", "A sentence of 24 words is hard to take in when upset. Keep "
                        "sentences under 20 words.")]),
    ("I'm here when you want to talk.", []),
])
def test_a_template_must_use_plain_words_and_short_sentences(sentence, findings):
    body = "Hi {name}, it's {worker}. {personal} " + sentence
    assert [(f.code, f.message) for f in body_findings(body, service_name="Hope Street")] \
        == findings


@pytest.mark.parametrize("text, age", [
    ("Hi Alex, it's Sam. I'm here when you want to talk. No need to reply.", 5),
    ("Communication opportunities remain available.", 38),
])
def test_reading_age_is_measured_with_flesch_kincaid(text, age):
    from sms.checks import reading_age
    assert reading_age(text) == age


INTIMATE = ("can read as personal, as if from a partner, to someone who checks this phone. "
            "For some people that puts them at risk. Keep warmth plain, like “I'm here when "
            "you want to talk”.")
STILL = "can read as “despite what you did”. Leave it out: the sentence is kinder without it."
SILENCE = ("points at their silence. Say what you offer instead, like “I'm here when you want "
           "to talk”.")
YES_OR_NO = ("asks for a yes or no. Offer the time and another as a choice, like “or we can "
             "pick another time”.")
QUESTION = ("This asks a question and says no reply is needed. A question asks for an "
            "answer: make it an offer, like “We could talk it over next time”.")


def keyword(phrase, word):
    return (f"“{phrase}” asks for a one-word “{word}”. The phone company answers that word "
            "automatically, and it can change whether they get texts. Don't ask for a "
            "one-word answer.")


@pytest.mark.parametrize("line, findings", [
    ("I've been thinking of you.", [("intimate", f"“I've been thinking of you” {INTIMATE}")]),
    ("I'm here when you want me.", [("intimate", f"“I'm here when you want me” {INTIMATE}")]),
    ("I'd like to see you.", [("intimate", f"“like to see you” {INTIMATE}")]),
    ("I'd still like to see you.", [("hidden-demand", f"“still” {STILL}"),
                                    ("intimate", f"“like to see you” {INTIMATE}")]),
    ("I miss you xx", [("intimate", f"“I miss you” {INTIMATE}"),
                       ("intimate", f"“xx” {INTIMATE}")]),
    ("I'm still here.", [("hidden-demand", f"“still” {STILL}")]),
    ("I haven't heard from you, and that's OK.",
     [("hidden-demand", f"“I haven't heard from you” {SILENCE}")]),
    ("I'll be there then, if that works for you.",
     [("hidden-demand", f"“if that works for you” {YES_OR_NO}")]),
    ("Let me know.", [("demand", f"“Let me know” {DEMAND}")]),
    ("Please reply.", [("demand", f"“Please reply” {DEMAND}")]),
    ("Call me.", [("demand", f"“Call me” {DEMAND}")]),
    ("We need to talk.", [("demand", f"“We need to talk” {DEMAND}")]),
    ("See you soon.", [("demand", f"“See you” {DEMAND}")]),
    ("Sorry you were kicked out.", [("privacy", f"“kicked out” {PRIVACY}")]),
    ("Sorry you were barred.", [("privacy", f"“barred” {PRIVACY}")]),
    ("Did the police come?", [("privacy", f"“police” {PRIVACY}")]),
    ("Are you out of hospital?", [("privacy", f"“hospital” {PRIVACY}")]),
    ("Sorry you were evicted.", [("privacy", f"“evicted” {PRIVACY}")]),
])
def test_intimate_words_hidden_demands_and_the_added_words_are_flagged(line, findings):
    assert findings_for(GOOD.replace("I'm here when you want to talk. No need to reply.",
                                     line)) == findings


@pytest.mark.parametrize("text, findings", [
    ("Hi Alex, it's Sam. Could we talk next time? No need to reply.", [("question", QUESTION)]),
    ("Hi Alex, it's Sam. How are you? You don't need to reply.", [("question", QUESTION)]),
    ("Hi Alex, it's Sam. How are you?", []),
    ("Hi Alex, it's Sam. Reply YES if you'd like to meet.",
     [("keyword-answer", keyword("Reply YES", "Yes"))]),
    ("Hi Alex, it's Sam. Just text back 'yes' and I'll book it.",
     [("keyword-answer", keyword("text back 'yes'", "Yes"))]),
    ("Hi Alex, it's Sam. Yes, I'm here when you want to talk.", []),
])
def test_a_question_beside_no_need_to_reply_and_a_one_word_yes_are_flagged(text, findings):
    assert findings_for(text) == findings


@pytest.mark.parametrize("body, days", [
    ("Hi {name}, it's {worker}. Sorry today was hard. {personal}", ["today"]),
    ("Hi {name}, it's {worker}. About yesterday and this morning. {personal}",
     ["yesterday", "this morning"]),
    ("Hi {name}, it's {worker}. Tonight or on Friday? {personal}", ["Tonight", "Friday"]),
    ("Hi {name}, it's {worker}. I'll be there on {next_meeting}. {personal}", []),
    ("Hi {name}, it's {worker}. I was wrong when we met {day}. {personal}", []),
])
def test_a_template_may_not_name_a_day_mend_did_not_fill(body, days):
    found = [f for f in body_findings(body, service_name="Hope Street")
             if f.code == "names-a-day"]
    assert [(f.code, f.message) for f in found] == [(
        "names-a-day", f"“{day}” names a day, but the text may arrive on another day: Mend "
                       "can schedule it later or send it the next morning. Leave the day "
                       "out, or let Mend write it: {day} for when it happened (“today”, "
                       "“yesterday”, “on Tuesday”), {next_meeting} for the next meeting.")
        for day in days]


LISTS = ("blame", "demands", "deadlines", "sensitive", "intimate")
# The words the phrases are made of, in every language: random texts of them often hold
# a phrase, sometimes two overlapping, and often only parts of one.
PHRASE_WORDS = sorted({word for words in WORDS.values() for key in LISTS
                       for phrase in getattr(words, key)
                       for word in re.findall(r"\w+", re.sub(r"\\\w|\?:|\?<!|\?!", " ",
                                                             phrase.pattern))})


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(PHRASE_WORDS), st.sampled_from([" ", "", "-", ", "])),
                min_size=1, max_size=10).map(lambda parts: "".join(w + s for w, s in parts)))
def test_a_text_is_read_phrase_by_phrase_whenever_the_quick_pass_finds_a_phrase(text):
    """The one pass over a whole list (which lets most texts skip reading it phrase by
    phrase) never misses a phrase that reading phrase by phrase would find."""
    for words in WORDS.values():
        for key in LISTS:
            phrases = getattr(words, key)
            found_by_one = [p.pattern for p in phrases if p.search(text)]
            assert (phrases.any_in(text) is not None) == bool(found_by_one), (key, text)


def test_a_phrase_with_a_capturing_group_is_refused_before_any_text_is_checked():
    """Joined into one pattern, a phrase's group would take another number (and a
    back-reference would point at the wrong words): a list that has one is refused
    when first used, before the quick pass can read a text with it."""
    phrases = Phrases([r"you (?:always|never)", r"(calm) down"])
    with pytest.raises(ValueError, match="capturing group"):
        phrases.any_in("please calm down")
    with pytest.raises(ValueError, match="capturing group"):
        list(phrases)
