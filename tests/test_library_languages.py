"""The starter translations, and how `templates check` checks every language's files."""
import shutil
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from sms.languages import LANGUAGES
from sms.library import check_library, read_library
from sms.rendering import plain_placeholders

LIBRARY = Path(__file__).resolve().parent.parent / "templates_sms"
TRANSLATED = [code for code in LANGUAGES if code != "en"]
HONEST = "machine-assisted draft by the Mend project; not yet reviewed by a fluent speaker"


@cache
def shipped():
    templates, problems = read_library(LIBRARY)
    assert problems == []
    return tuple(templates)


def test_every_english_starter_ships_in_welsh_polish_romanian_and_arabic():
    templates = shipped()
    english = {t["id"] for t in templates if t["language"] == "en"}
    assert len(english) == 21
    for code in TRANSLATED:
        assert {t["id"] for t in templates if t["language"] == code} == english, code


@pytest.mark.parametrize("fields", [t for t in shipped() if t["language"] != "en"],
                         ids=lambda t: t["file"])
def test_each_translation_says_honestly_it_needs_a_fluent_reviewer(fields):
    assert fields["drafted_by"] == HONEST
    assert fields["needs_fluent_review"] is True
    assert "Not yet reviewed by a fluent" in fields["notes"]


@pytest.mark.parametrize("fields", [t for t in shipped() if t["language"] != "en"],
                         ids=lambda t: t["file"])
def test_each_translation_keeps_the_english_placeholders_and_its_guidance(fields):
    english = next(t for t in shipped() if t["id"] == fields["id"] and t["language"] == "en")
    assert Counter(plain_placeholders(fields["body"])) == \
        Counter(plain_placeholders(english["body"]))
    assert {key: fields[key] for key in ("title", "situation", "strategy", "when_to_use")} == \
        {key: english[key] for key in ("title", "situation", "strategy", "when_to_use")}


def test_english_starters_read_as_english_with_no_fluent_review_needed():
    english = [t for t in shipped() if t["language"] == "en"]
    assert {(t["needs_fluent_review"], t["file"] == f"{t['id']}.toml") for t in english} == \
        {(False, True)}


def test_every_welsh_version_fits_in_one_text_with_the_english():
    """Welsh Language Standards mode sends both when a person's choice is not known."""
    assert all(t["bilingual"] for t in shipped() if t["language"] == "cy")


@pytest.fixture
def library(tmp_path):
    """One English starter, for a translation to be checked against."""
    folder = tmp_path / "library"
    folder.mkdir()
    shutil.copy(LIBRARY / "door-stays-open.toml", folder)
    return folder


def write(path, text):
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")


TRANSLATION = '''id = "{id}"
language = "{language}"
body = """{body}"""
drafted_by = "{drafted_by}"
needs_fluent_review = {review}
{extra}'''


def translation(*, id="door-stays-open", language="cy", review="true", extra="",
                body="Helo {name}, {worker} sy 'ma. {personal} Dw i yma. Does dim angen ateb.",
                drafted_by=HONEST):
    return TRANSLATION.format(id=id, language=language, body=body, review=review, extra=extra,
                              drafted_by=drafted_by)


def problems(folder):
    return [str(problem) for problem in check_library(folder, service_name="Hope Street")]


def test_the_shipped_library_has_no_problem_in_any_language():
    assert problems(LIBRARY) == []


@pytest.mark.parametrize("path, text, expected", [
    ("fr/door-stays-open.toml", translation(language="fr"),
     ["fr/: (folder): 'fr' is not a language Mend writes texts in (cy, pl, ro, ar)",
      "fr/door-stays-open.toml: language: 'fr' is not a language Mend writes texts in (en, "
      "cy, pl, ro, ar)"]),
    ("cy/door-stays-open.toml", translation(language="pl"),
     ["cy/door-stays-open.toml: language: says 'pl', but the file is in the cy/ folder"]),
    ("cy/no-such-starter.toml", translation(id="no-such-starter"),
     ["cy/no-such-starter.toml: id: there is no English starter no-such-starter.toml for "
      "this to translate"]),
    ("cy/door-stays-open.toml", translation(review="false"),
     ["cy/door-stays-open.toml: needs_fluent_review: a file cannot say a fluent speaker "
      "reviewed it: only a reviewer who reads Welsh (Cymraeg) approves it, in the app. Set "
      "it to true."]),
    ("cy/door-stays-open.toml", translation(extra='title = "Y drws"\n'),
     ["cy/door-stays-open.toml: title: comes from the English starter: take it out of the "
      "translation"]),
    ("cy/door-stays-open.toml", translation(extra='reviewed_by = "Dr Jones"\n'),
     ["cy/door-stays-open.toml: reviewed_by: Mend no longer reads this: a reviewer of your "
      "service approves each template in the app. Take out reviewed_by and reviewed_on."]),
    ("cy/door-stays-open.toml",
     translation(body="Helo {name}, {worker} sy 'ma. {personal} Dw i yma {next_meeting}. "
                      "Does dim angen ateb."),
     ["cy/door-stays-open.toml: body: uses {name}, {next_meeting}, {personal}, {worker}, but "
      "the English uses {name}, {personal}, {worker}: keep exactly the same placeholders"]),
    ("cy/door-stays-open.toml",
     translation(body="Helo {name}, {worker} sy 'ma. {personal} Rhaid i chi ateb."),
     ["cy/door-stays-open.toml: body: “Rhaid i chi” reads as a demand. A repair text offers "
      "and leaves the choice with them: if, when and how to talk."]),
    ("cy/door-stays-open.toml", translation(extra="bilingual = false\n"),
     ["cy/door-stays-open.toml: bilingual: a Welsh version must fit in one text with the "
      "English: Welsh Language Standards mode sends both when a person's choice is not "
      "known. Shorten it instead."]),
])
def test_templates_check_finds_each_problem_in_a_translation(library, path, text, expected):
    write(library / path, text)
    assert problems(library) == expected


def test_a_bilingual_text_over_four_parts_is_refused_saying_what_it_costs(library):
    long_polish = ("Cześć {name}, tu {worker}. {personal} Jestem tu, kiedy zechcesz "
                   "porozmawiać. W sposób, jaki Ci pasuje, i w miejscu, które Ci pasuje. "
                   "Bez pośpiechu, o czym zechcesz, z kim zechcesz. Nie trzeba odpisywać.")
    write(library / "pl/door-stays-open.toml", translation(language="pl", body=long_polish))
    assert problems(library) == [
        "pl/door-stays-open.toml: body: with the English after it, this is 5 parts (UCS-2, "
        "277 characters with typical values), so each bilingual text costs 5 times a "
        "one-part text. A bilingual text can be 4 parts at most: shorten it, or set "
        "bilingual = false so Mend sends this version only on its own."]
    write(library / "pl/door-stays-open.toml",
          translation(language="pl", body=long_polish, extra="bilingual = false\n"))
    assert problems(library) == []


def test_a_problem_in_a_translation_names_that_file_never_the_english_one(library):
    """`templates load` skips the files a problem names: the English starter still loads."""
    write(library / "cy/door-stays-open.toml", translation(body="Helo {name}. {personal}"))
    named = {problem.file for problem in check_library(library, service_name="Hope Street")}
    assert named == {"cy/door-stays-open.toml"}
