"""The starter library: one TOML file per template in `templates_sms/`.

A file holds wording drafted outside the service (`drafted_by` says by whom). Loading
it never approves it: a reviewer of the service reads and approves each version in
the app before any worker sees it.

English starters sit at the top of the folder. A translation sits in a folder named for
its language (`templates_sms/cy/door-stays-open.toml`): the same `id` as the English
starter it translates, `language`, `body`, `drafted_by`, `notes` (in English, for
reviewers) and `needs_fluent_review = true`; its title, situation, strategy and
guidance come from the English starter. `bilingual = false` says a version is too long
to send together with the English (a bilingual text is 4 parts at most).
"""
import hashlib
import tomllib
import unicodedata
from collections import Counter
from datetime import datetime, timezone
from dataclasses import dataclass
from pathlib import Path

from . import checks, encoding
from .languages import ENGLISH, LANGUAGES, WELSH, bilingual, name_of
from .rendering import (PLACEHOLDERS, BadTemplate, is_old_format, plain_placeholders,
                        render_text)
from .scheduling import format_meeting

REQUIRED_FIELDS = ("id", "title", "situation", "strategy", "when_to_use", "body",
                   "drafted_by")
TRANSLATION_FIELDS = ("id", "language", "body", "drafted_by")
FROM_THE_ENGLISH = ("title", "situation", "strategy", "when_to_use")
MAX_BILINGUAL_PARTS = 4
# A file cannot approve itself: only a reviewer in the app can.
REFUSED_FIELDS = {
    "reviewed_by": ("Mend no longer reads this: a reviewer of your service approves each "
                    "template in the app. Take out reviewed_by and reviewed_on."),
    "reviewed_on": "Mend no longer reads this: take out reviewed_by and reviewed_on.",
}
SITUATIONS = {
    "went-quiet": "They went quiet or withdrew",
    "left-angry": "They left angry or upset",
    "word-landed-badly": "A word landed badly",
    "ended-early-for-safety": "We stopped a session early",
    "missed-meeting": "We didn't meet after a hard session",
    "i-got-it-wrong": "I got something wrong",
    "after-a-break": "Checking in after a break",
    "thank-you-for-telling-me": "They told me something didn't help",
    "refused-a-request": "I said no to something they asked",
    "may-feel-ashamed": "They may feel awkward about something they said or did",
    "told-then-pulled-away": "They told me something, then pulled away",
    # Sent by Mend itself, never offered on the compose page (sms.team.SENT_BY_MEND)
    "out-of-hours": "Mend's reply when a text arrives out of hours",
    "moving-on": "Handing over to a new key worker",
}
# Times when a text from the worker is not the right step: offered under "What happened?"
# with guidance, and never with a template.
NOT_A_TEXT = {
    "complaint": (
        "They made a complaint about me",
        "Do not text them about it. Reply through your service's complaints process, and "
        "tell your manager."),
    "safeguarding-referral": (
        "I made a safeguarding referral",
        "Do not text. A text can reach the person causing harm, or warn them. Talk to your "
        "safeguarding lead about how and when to be in touch."),
    "arrested-sectioned-hospital": (
        "They were arrested, sectioned or taken to hospital",
        "Do not text now: someone else may hold their phone. Talk to your manager about "
        "who should be in touch, and how."),
    "barred-or-notice": (
        "They were barred or given notice",
        "Do not text before they have the formal letter. The letter, or a conversation in "
        "person, comes first."),
    "worker-leaving": (
        "I am leaving",
        "Tell them in person first. When you hand over, the handover page can send the "
        "moving-on text from Mend."),
}
# The texts Mend sends itself (no worker writes them, so they have no personal line).
SENT_BY_MEND = frozenset({"out-of-hours", "moving-on"})
STRATEGIES = ("validate", "invite to talk", "own my part", "clarify a misunderstanding",
              "offer choice", "door stays open")


# What a template is checked and shown with: a short name, a first name, a real date.
TYPICAL_VALUES = {"name": "Alex", "worker": "Sam", "next_meeting": "Tuesday 3 December at 2pm",
                  "new_worker": "Jo", "day": "on Tuesday"}
TYPICAL_PERSONAL = "I hope the week has been kind to you."
REQUIRED_PLACEHOLDERS = ("name", "worker")
# The same in each language: a meeting time as the person would read it there, and a
# personal line of about the same length as the English one.
# The typical meeting, Tuesday 3 December at 2pm, written as each language's texts get it.
TYPICAL_MEETING = datetime(2024, 12, 3, 14, 0, tzinfo=timezone.utc)
TYPICAL_IN = {
    "cy": {"next_meeting": format_meeting(TYPICAL_MEETING, "UTC", "cy"),
           "personal": "Gobeithio bod yr wythnos wedi bod yn garedig wrthoch chi."},
    "pl": {"next_meeting": format_meeting(TYPICAL_MEETING, "UTC", "pl"),
           "personal": "Mam nadzieję, że ten tydzień był dla Ciebie dobry."},
    "ro": {"next_meeting": format_meeting(TYPICAL_MEETING, "UTC", "ro"),
           "personal": "Sper că săptămâna a fost bună cu tine."},
    "ar": {"next_meeting": format_meeting(TYPICAL_MEETING, "UTC", "ar"),
           "personal": "أتمنى أن يكون أسبوعك طيبًا."},
}


def typical_personal(language=ENGLISH):
    return TYPICAL_IN.get(language, {}).get("personal", TYPICAL_PERSONAL)


def placeholder_list():
    return ", ".join("{%s}" % name for name in PLACEHOLDERS)


def typical_render(body, *, service_name, service_allowed=True, personal="", language=ENGLISH):
    meeting = TYPICAL_IN.get(language, {}).get("next_meeting", TYPICAL_VALUES["next_meeting"])
    values = {**TYPICAL_VALUES, "next_meeting": meeting,
              "service": service_name if service_allowed else "", "personal": personal}
    return render_text(body, values)


def body_findings(body, *, service_name, situation=None, language=ENGLISH):
    """Every reason a template body cannot be approved, as checks.Finding objects.

    The body is rendered with typical values four ways (service named or not, with
    and without a personal line) and every rendering must pass every check, in the
    body's language. Until the sign-off learns other languages ("Sam from Riverside"
    is English), a translation is checked with the service left unnamed.
    """
    if is_old_format(body):
        return [checks.Finding("old-format",
                               "This is written in Mend's old template format ({{ name }}, "
                               "{% if %}). Use plain placeholders instead: "
                               f"{placeholder_list()}.")]
    try:
        names = plain_placeholders(body)
    except BadTemplate as error:
        return [checks.Finding("template-syntax", f"The template cannot be read: {error}. "
                                                  f"Placeholders are {placeholder_list()}.")]
    used = set(names)
    findings = [checks.Finding("missing-placeholder",
                               f"Use {{{name}}}: every text says who it is for and "
                               "who is texting.")
                for name in REQUIRED_PLACEHOLDERS if name not in used]
    if situation in SENT_BY_MEND:
        findings.extend(checks.Finding(
            "personal-place" if name == "personal" else "missing-placeholder",
            f"Mend sends this text itself, so no one fills in {{{name}}}: take it out.")
            for name in ("personal", "next_meeting", "day") if name in used)
    elif names.count("personal") != 1:
        findings.append(checks.Finding(
            "personal-place", "Mark the one place where the worker's own line goes with "
                              "{personal}" + (" (it is there more than once)."
                                              if names.count("personal") else ".")))
    findings.extend(checks.named_days(body, language))
    context = {True: checks.Context(worker=TYPICAL_VALUES["worker"], service_name=service_name,
                                    service_allowed=True),
               False: checks.Context(worker=TYPICAL_VALUES["worker"], service_name=service_name,
                                     service_allowed=False)}
    for allowed in ((True, False) if language == ENGLISH else (False,)):
        for personal in ("", typical_personal(language)):
            try:
                rendered = typical_render(body, service_name=service_name,
                                          service_allowed=allowed, personal=personal,
                                          language=language)
            except BadTemplate as error:
                findings.append(checks.Finding("template-syntax",
                                               f"The template cannot be rendered: {error}."))
                return _unique(findings)
            findings.extend(checks.check_text(rendered.body, context[allowed],
                                              name=TYPICAL_VALUES["name"], language=language))
            if not personal and not allowed:  # reading age: the template's own words
                findings.extend(checks.plain_words(rendered.body, context[allowed],
                                                   language=language))
    if language != ENGLISH:
        findings = [finding for finding in findings
                    if finding.code != "non-gsm" or not _only_letters(body)]
    return _unique(findings)


def _only_letters(text):
    """True when every character outside GSM-7 is a letter, an accent or punctuation: in a
    translation those are the language's own (ŵ, ł, ș, Arabic), and its cost is held by
    the length limit. A symbol such as an emoji is still refused."""
    return all(unicodedata.category(char)[0] in "LMPZ"
               for char in encoding.count(text).non_gsm)


def _unique(findings):
    return list(dict.fromkeys(findings))


@dataclass(frozen=True)
class LibraryProblem:
    file: str
    field: str
    message: str

    def __str__(self):
        return f"{self.file}: {self.field}: {self.message}"


def _language_of(path, root):
    """The language a file's folder says it is in: top level is English."""
    if root is None:
        return ENGLISH
    relative = Path(path).relative_to(root)
    return relative.parts[0] if len(relative.parts) > 1 else ENGLISH


def _file_name(path, root):
    return Path(path).relative_to(root).as_posix() if root is not None else Path(path).name


def read_template_file(path, root=None):
    """Return (fields, problems) for one TOML file; `root` is the library folder, so a
    file in `cy/` is read as Welsh and named `cy/<id>.toml` in problems."""
    path = Path(path)
    name = _file_name(path, root)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        return None, [LibraryProblem(name, "(file)", f"not valid TOML: {error}")]
    folder_language = _language_of(path, root)
    language = str(data.get("language", ENGLISH)).strip()
    translation = folder_language != ENGLISH or language != ENGLISH
    problems = [LibraryProblem(name, field, "is missing")
                for field in (TRANSLATION_FIELDS if translation else REQUIRED_FIELDS)
                if not str(data.get(field, "")).strip()]
    problems.extend(LibraryProblem(name, field, message)
                    for field, message in REFUSED_FIELDS.items() if field in data)
    if language not in LANGUAGES:
        problems.append(LibraryProblem(name, "language",
                                       f"{language!r} is not a language Mend writes texts in ("
                                       + ", ".join(LANGUAGES) + ")"))
    elif language != folder_language:
        where = (f"the {folder_language}/ folder" if folder_language != ENGLISH
                 else "the top folder (English)")
        problems.append(LibraryProblem(name, "language",
                                       f"says {language!r}, but the file is in {where}"))
    review = data.get("needs_fluent_review", translation)
    if not isinstance(review, bool):
        problems.append(LibraryProblem(name, "needs_fluent_review", "should be true or false"))
    elif translation and not review:
        problems.append(LibraryProblem(
            name, "needs_fluent_review",
            "a file cannot say a fluent speaker reviewed it: only a reviewer who reads "
            f"{name_of(language)} approves it, in the app. Set it to true."))
    pairs = data.get("bilingual", True)
    if not isinstance(pairs, bool):
        problems.append(LibraryProblem(name, "bilingual", "should be true or false"))
    elif not pairs and language == WELSH:
        problems.append(LibraryProblem(
            name, "bilingual", "a Welsh version must fit in one text with the English: Welsh "
                               "Language Standards mode sends both when a person's choice is "
                               "not known. Shorten it instead."))
    if translation:
        problems.extend(LibraryProblem(name, field, "comes from the English starter: take it "
                                                    "out of the translation")
                        for field in FROM_THE_ENGLISH if field in data)
    else:
        _check_english_fields(name, data, problems)
    if data.get("id") and data["id"] != path.stem:
        problems.append(LibraryProblem(name, "id",
                                       f"should match the file name ({path.stem!r})"))
    fields = {field: str(data.get(field, "")).strip() for field in REQUIRED_FIELDS}
    fields.update(language=language, needs_fluent_review=review is not False,
                  bilingual=pairs is not False, file=name,
                  notes=str(data.get("notes", "")).strip(),
                  source_hash=hashlib.sha256(path.read_bytes()).hexdigest())
    return fields, problems


def _check_english_fields(name, data, problems):
    if data.get("situation") and data["situation"] not in SITUATIONS:
        problems.append(LibraryProblem(name, "situation",
                                       f"{data['situation']!r} is not one of "
                                       + ", ".join(SITUATIONS)))
    if data.get("strategy") and data["strategy"] not in STRATEGIES:
        problems.append(LibraryProblem(name, "strategy",
                                       f"{data['strategy']!r} is not one of "
                                       + ", ".join(STRATEGIES)))


def _library_paths(folder):
    """English files first (top level), then each language's folder, each sorted."""
    folder = Path(folder)
    english = sorted(folder.glob("*.toml"))
    translated = sorted((path for path in folder.glob("*/*.toml")),
                        key=lambda path: (path.parent.name, path.name))
    return english, translated


def _with_english(fields, english):
    """A translation's fields, with the English starter's title, situation and guidance."""
    starter = english.get(fields["id"])
    if starter:
        fields.update({field: starter[field] for field in FROM_THE_ENGLISH})
    return fields


def bilingual_render(translation_body, english_body, *, language, service_name):
    """The bilingual text with typical values: the translation first, then the English
    (`languages.bilingual`), with no personal line."""
    first = typical_render(translation_body, service_name=service_name, service_allowed=False,
                           language=language)
    second = typical_render(english_body, service_name=service_name, service_allowed=False)
    return encoding.count(bilingual(first.body, second.body))


def _translation_problems(fields, english, *, service_name):
    """What is wrong with one translation, against its English starter."""
    name, language = fields["file"], fields["language"]
    starter = english.get(fields["id"])
    if starter is None:
        return [LibraryProblem(name, "id", f"there is no English starter {fields['id']}.toml "
                                           "for this to translate")]
    try:
        mine, theirs = (Counter(plain_placeholders(body))
                        for body in (fields["body"], starter["body"]))
    except BadTemplate:
        mine = theirs = None  # body_findings names the problem
    problems = []
    if mine is not None and mine != theirs:
        problems.append(LibraryProblem(
            name, "body", "uses " + _placeholder_words(mine) + ", but the English uses "
                          + _placeholder_words(theirs) + ": keep exactly the same placeholders"))
    problems.extend(LibraryProblem(name, "body", finding.message)
                    for finding in body_findings(fields["body"], service_name=service_name,
                                                 situation=starter["situation"],
                                                 language=language))
    if fields["bilingual"] and not problems:
        counted = bilingual_render(fields["body"], starter["body"], language=language,
                                   service_name=service_name)
        if counted.parts > MAX_BILINGUAL_PARTS:
            problems.append(LibraryProblem(
                name, "body",
                f"with the English after it, this is {counted.parts} parts ({counted.encoding}, "
                f"{counted.characters} characters with typical values), so each bilingual text "
                f"costs {counted.parts} times a one-part text. A bilingual text can be "
                f"{MAX_BILINGUAL_PARTS} parts at most: shorten it"
                + (", or set bilingual = false so Mend sends this version only on its own."
                   if language != WELSH else ".")))
    return problems


def _placeholder_words(counter):
    return ", ".join(f"{{{name}}}" + (f" ×{times}" if times > 1 else "")
                     for name, times in sorted(counter.items())) or "no placeholders"


def check_library(folder, *, service_name):
    """Every problem with every file, in every language: TOML, fields, placeholders,
    checks in the file's language, a typical render, and the bilingual length."""
    problems = []
    english_paths, translated_paths = _library_paths(folder)
    if not english_paths:
        problems.append(LibraryProblem(str(folder), "(folder)", "has no .toml templates"))
    english = {}
    for path in english_paths:
        fields, file_problems = read_template_file(path, folder)
        problems.extend(file_problems)
        if fields and fields["body"]:
            english[fields["id"]] = fields
            problems.extend(LibraryProblem(fields["file"], "body", finding.message)
                            for finding in body_findings(fields["body"],
                                                         service_name=service_name,
                                                         situation=fields.get("situation")))
    problems.extend(_unknown_folders(folder))
    for path in translated_paths:
        fields, file_problems = read_template_file(path, folder)
        problems.extend(file_problems)
        if fields and fields["body"] and not file_problems:
            problems.extend(_translation_problems(fields, english, service_name=service_name))
    return problems


def _unknown_folders(folder):
    return [LibraryProblem(f"{child.name}/", "(folder)",
                           f"{child.name!r} is not a language Mend writes texts in ("
                           + ", ".join(code for code in LANGUAGES if code != ENGLISH) + ")")
            for child in sorted(Path(folder).iterdir())
            if child.is_dir() and (child.name not in LANGUAGES or child.name == ENGLISH)
            and any(child.glob("*.toml"))]


def read_library(folder):
    """Every template file in `folder`, English first, then each language's folder:
    (templates, problems). Each template's fields include `language`,
    `needs_fluent_review`, `bilingual` and `file`; a translation carries its English
    starter's title, situation, strategy and guidance."""
    templates, problems, english = [], [], {}
    english_paths, translated_paths = _library_paths(folder)
    for path in english_paths + translated_paths:
        fields, file_problems = read_template_file(path, folder)
        problems.extend(file_problems)
        if fields is None or file_problems:
            continue
        if fields["language"] == ENGLISH:
            english[fields["id"]] = fields
        elif fields["id"] not in english:
            problems.append(LibraryProblem(fields["file"], "id",
                                           f"there is no English starter {fields['id']}.toml "
                                           "for this to translate"))
            continue
        templates.append(_with_english(fields, english) if fields["language"] != ENGLISH
                         else fields)
    return templates, problems


def library_summary(templates, *, service_name):
    """Per language: how many files, and the bilingual cost with typical values
    (min and max parts) of those sent with the English. For `templates check`."""
    english = {t["id"]: t for t in templates if t["language"] == ENGLISH}
    summary = {}
    for fields in templates:
        line = summary.setdefault(fields["language"], {"files": 0, "bilingual_parts": [],
                                                        "on_its_own": 0})
        line["files"] += 1
        if fields["language"] == ENGLISH:
            continue
        if not fields["bilingual"]:
            line["on_its_own"] += 1
            continue
        counted = bilingual_render(fields["body"], english[fields["id"]]["body"],
                                   language=fields["language"], service_name=service_name)
        line["bilingual_parts"].append(counted.parts)
    return summary
