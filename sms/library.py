"""The starter library: one TOML file per template in `templates_sms/`.

A file holds wording drafted outside the service (`drafted_by` says by whom). Loading
it never approves it: a reviewer of the service reads and approves each version in
the app before any worker sees it.
"""
import hashlib
import tomllib
from dataclasses import dataclass
from pathlib import Path

from . import checks
from .rendering import (PLACEHOLDERS, BadTemplate, is_old_format, plain_placeholders,
                        render_text)

REQUIRED_FIELDS = ("id", "title", "situation", "strategy", "when_to_use", "body",
                   "drafted_by")
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


def placeholder_list():
    return ", ".join("{%s}" % name for name in PLACEHOLDERS)


def typical_render(body, *, service_name, service_allowed=True, personal=""):
    values = {**TYPICAL_VALUES, "service": service_name if service_allowed else "",
              "personal": personal}
    return render_text(body, values)


def body_findings(body, *, service_name, situation=None):
    """Every reason a template body cannot be approved, as checks.Finding objects.

    The body is rendered with typical values four ways (service named or not, with
    and without a personal line) and every rendering must pass every check.
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
    findings.extend(checks.named_days(body))
    context = {True: checks.Context(worker=TYPICAL_VALUES["worker"], service_name=service_name,
                                    service_allowed=True),
               False: checks.Context(worker=TYPICAL_VALUES["worker"], service_name=service_name,
                                     service_allowed=False)}
    for allowed in (True, False):
        for personal in ("", TYPICAL_PERSONAL):
            try:
                rendered = typical_render(body, service_name=service_name,
                                          service_allowed=allowed, personal=personal)
            except BadTemplate as error:
                findings.append(checks.Finding("template-syntax",
                                               f"The template cannot be rendered: {error}."))
                return _unique(findings)
            findings.extend(checks.check_text(rendered.body, context[allowed],
                                              name=TYPICAL_VALUES["name"]))
            if not personal and not allowed:  # reading age: the template's own words
                findings.extend(checks.plain_words(rendered.body, context[allowed]))
    return _unique(findings)


def _unique(findings):
    return list(dict.fromkeys(findings))


@dataclass(frozen=True)
class LibraryProblem:
    file: str
    field: str
    message: str

    def __str__(self):
        return f"{self.file}: {self.field}: {self.message}"


def read_template_file(path):
    """Return (fields, problems) for one TOML file."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        return None, [LibraryProblem(path.name, "(file)", f"not valid TOML: {error}")]
    problems = [LibraryProblem(path.name, name, "is missing")
                for name in REQUIRED_FIELDS if not str(data.get(name, "")).strip()]
    problems.extend(LibraryProblem(path.name, name, message)
                    for name, message in REFUSED_FIELDS.items() if name in data)
    if data.get("situation") and data["situation"] not in SITUATIONS:
        problems.append(LibraryProblem(path.name, "situation",
                                       f"{data['situation']!r} is not one of "
                                       + ", ".join(SITUATIONS)))
    if data.get("strategy") and data["strategy"] not in STRATEGIES:
        problems.append(LibraryProblem(path.name, "strategy",
                                       f"{data['strategy']!r} is not one of "
                                       + ", ".join(STRATEGIES)))
    if data.get("id") and data["id"] != path.stem:
        problems.append(LibraryProblem(path.name, "id",
                                       f"should match the file name ({path.stem!r})"))
    fields = {name: str(data.get(name, "")).strip() for name in REQUIRED_FIELDS}
    fields["notes"] = str(data.get("notes", "")).strip()
    fields["source_hash"] = hashlib.sha256(path.read_bytes()).hexdigest()
    return fields, problems


def check_library(folder, *, service_name):
    """Every problem with every file: TOML, fields, placeholders, checks, a typical render."""
    problems = []
    paths = sorted(Path(folder).glob("*.toml"))
    if not paths:
        problems.append(LibraryProblem(str(folder), "(folder)", "has no .toml templates"))
    for path in paths:
        fields, file_problems = read_template_file(path)
        problems.extend(file_problems)
        if fields and fields["body"]:
            problems.extend(LibraryProblem(path.name, "body", finding.message)
                            for finding in body_findings(fields["body"],
                                                         service_name=service_name,
                                                         situation=fields.get("situation")))
    return problems


def read_library(folder):
    """Every template file in `folder`, sorted by name: (templates, problems)."""
    templates, problems = [], []
    for path in sorted(Path(folder).glob("*.toml")):
        fields, file_problems = read_template_file(path)
        problems.extend(file_problems)
        if fields is not None and not file_problems:
            templates.append(fields)
    return templates, problems
