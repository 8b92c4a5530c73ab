"""Which language a text to a person goes in, and how a text in one or two languages
is rendered (issue 18). No Flask, no storage: the rules only.

- Welsh Language Standards mode (`WELSH_LANGUAGE_STANDARDS`): a person whose choice
  nobody has asked gets a bilingual text, Welsh and English (`BILINGUAL_ORDER`); one
  who chose Welsh gets Welsh only, English only to English.
- Outside it (and for the other languages in it): their chosen language, English
  when nobody has asked.
- When the template has no approved version in that language, the worker chooses
  (`CHOICES`): the English version, the bilingual Welsh and English text where the
  template has both, or asking a reviewer for the missing version.
"""
from dataclasses import dataclass, replace

from . import encoding
from .languages import ENGLISH, WELSH, bilingual, name_of
from .rendering import render_text

# "Sam from Riverside Outreach": the word between the worker's name and the service's,
# per language (machine-assisted drafts: a fluent reviewer checks them).
FROM_WORD = {"en": "from", "cy": "o", "pl": "z", "ro": "de la", "ar": "من"}

AS_PLANNED = ""
ENGLISH_ONLY = "en"
BILINGUAL = "bilingual"
CHOICES = {
    AS_PLANNED: "In their language",
    ENGLISH_ONLY: "Send the English version",
    BILINGUAL: "Send it in Welsh and English",
}


def bilingual_order(welsh_first=True):
    return (WELSH, ENGLISH) if welsh_first else (ENGLISH, WELSH)


def wanted_languages(person_language, *, welsh_standards, welsh_first=True):
    """The languages a text to this person holds, in order, when every version exists."""
    if welsh_standards and not person_language:
        return bilingual_order(welsh_first)
    return (person_language or ENGLISH,)


def spoken(languages):
    """("cy", "en") -> "Welsh (Cymraeg) and English"."""
    return " and ".join(name_of(code) for code in languages)


def stored_as(languages):
    """How a text's languages are stored on the message: "cy+en"."""
    return "+".join(languages)


@dataclass(frozen=True)
class Plan:
    """The languages this text will go in, or (when `languages` is empty) the wanted
    ones with no approved version, and the choices the worker has."""
    wanted: tuple
    languages: tuple = ()
    missing: tuple = ()
    options: tuple = ()  # of CHOICES keys other than AS_PLANNED
    problem: str = ""

    @property
    def bilingual(self):
        return len(self.languages) > 1


def plan(person_language, available, *, choice=AS_PLANNED, welsh_standards=False,
         welsh_first=True, title="This template"):
    """What language(s) a text goes in, given the languages the chosen template has an
    approved version in (`available`) and the worker's choice."""
    wanted = wanted_languages(person_language, welsh_standards=welsh_standards,
                              welsh_first=welsh_first)
    pair = bilingual_order(welsh_first)
    missing = tuple(code for code in wanted if code not in available)
    if not missing:  # a choice only ever stands in for a version that is missing
        return Plan(wanted, wanted)
    # Welsh and English together only where the service texts in Welsh (Standards
    # mode) or they chose Welsh; never offered to someone who reads Polish otherwise.
    welsh_wanted = WELSH in wanted or welsh_standards
    options = tuple(option for option, languages in (
        (ENGLISH_ONLY, (ENGLISH,)), (BILINGUAL, pair))
        if set(languages) <= set(available) and languages != wanted
        and (option != BILINGUAL or welsh_wanted))
    if choice == ENGLISH_ONLY and ENGLISH_ONLY in options:
        return Plan(wanted, (ENGLISH,))
    if choice == BILINGUAL and BILINGUAL in options:
        return Plan(wanted, pair)
    return Plan(wanted, missing=missing, options=options, problem=(
        f"“{title}” has no approved {spoken(missing)} version yet, and their texts go in "
        f"{spoken(wanted)}. Choose: " + ", ".join(
            CHOICES[option][0].lower() + CHOICES[option][1:] for option in options)
        + ("," if options else "") + " or ask a reviewer for the "
        + f"{spoken(missing)} version."))


def render_parts(bodies, values_for):
    """Each version in `bodies` ([(language, template body)], in order) rendered with
    `values_for(language)` (so a value such as the meeting time is written in that
    version's language) and its sign-off's "from" in that language: [(language,
    `encoding.Counted`)], so each part can be checked in its own language."""
    return [(language, render_text(body, values_for(language), FROM_WORD.get(language, "from")))
            for language, body in bodies]


def joined(parts):
    """The parts from `render_parts` as the one text sent, joined by
    `languages.bilingual`; the counted text (`encoding.Counted`)."""
    rendered = [counted for _, counted in parts]
    if len(rendered) == 1:
        return rendered[0]
    text = rendered[0].body
    for part in rendered[1:]:
        text = bilingual(text, part.body)
    counted = encoding.count(text)
    return replace(counted, replaced=[change for part in rendered for change in part.replaced]
                   + list(counted.replaced))


def render_languages(bodies, values_for):
    """One text from the versions in `bodies`, as it will be sent (`render_parts`,
    `joined`)."""
    return joined(render_parts(bodies, values_for))


def reads(account_languages, language):
    """True when an account (comma-separated codes) reads `language`."""
    codes = [code.strip() for code in (account_languages or "").split(",")]
    return language in codes


def cannot_review(account_languages, language):
    """Why this account may not approve or reject a version in `language`, or ''."""
    if reads(account_languages, language):
        return ""
    return (f"This version is in {name_of(language)}, which is not on your account, so "
            f"you cannot approve or reject it: a reviewer who reads {name_of(language)} "
            "must check it. An admin can add the language to an account under Accounts.")
