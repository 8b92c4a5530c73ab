"""The rules of a good repair text: each check, with the exact words a person reads."""
import pytest

from sms.checks import Context, Finding, check_text
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
    ("Let me know by Friday.", "deadline", f"“by Friday” {DEADLINE}"),
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
    ("See you at Hope Street.", "service-named",
     "“Hope Street” names the service, and this person has not agreed to that. Anyone "
     "who sees the phone could learn where the text came from."),
    ("Look at www.example.org/help", "link",
     "“www.example.org/help” is a link. Links are discouraged: a link preview can show "
     "where the text came from, and people are often warned not to tap links in texts."),
    ("Details: https://bit.ly/x", "link",
     "“https://bit.ly/x” is a link. Links are discouraged: a link preview can show where "
     "the text came from, and people are often warned not to tap links in texts."),
    ("See you on [date].", "unfilled-placeholder",
     "“[date]” looks like a gap left to fill in. Fill it in or take it out: they would "
     "see it exactly as written."),
    ("See you {{ next_meeting }}.", "unfilled-placeholder",
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


PLACES = "Placeholders are {name}, {worker}, {next_meeting}, {personal}, {new_worker}."


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
    ("I wanted to say that I have been thinking about you and all of the things that "
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
