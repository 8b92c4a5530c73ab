"""Turning a reviewed template and a worker's values into the exact text sent.

Reviewers write templates in a plain form: words, and placeholders in single curly
brackets (`{name}`, `{worker}`, `{next_meeting}`, `{day}`, and `{personal}` where the
worker's own line goes). Mend translates the plain form into a small Jinja template and renders
it in a sandbox, so a template can never reach Python, loop or include anything:

- `{worker}` the first time is the sign-off Mend handles: "Sam", or "Sam from
  Riverside Outreach" when the person agreed the service may be named;
- `{personal}` disappears, with the space after it, when the worker leaves it empty.

Versions written before the plain form (in Jinja, `{{ name }}`) that migration m010
could not convert exactly still render as they were approved (`is_old_format`); a new
version must use the plain form.

Preview, checks, counting and sending all go through `render_text`, so what the
worker sees is what the person's phone shows.
"""
import functools
import re

from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from . import encoding

PLACEHOLDERS = {
    "name": "their preferred name",
    "worker": ("your first name, as you sign off: Mend adds “from” and the service's "
               "name the first time, only for people who agreed the service may be named"),
    "next_meeting": "your next meeting with them, written out like “Tuesday 3 December at 2pm”",
    "personal": ("where the worker's own line goes (one place; when they leave it empty it "
                 "disappears with the space after it)"),
    "new_worker": "the new key worker's first name (in the text Mend sends at a handover)",
    "day": ("when it happened, as they will read it when the text arrives: “today”, "
            "“yesterday” or “on Tuesday” (Mend writes it from the date the worker gives "
            "and the send time, and again whenever the time changes)"),
}
# What a worker is asked to fill in, in words, when a template uses it.
FIELD_NAMES = {"name": "their preferred name", "worker": "your first name",
               "next_meeting": "next meeting", "personal": "personal line",
               "day": "date it happened"}
VALUE_NAMES = ("name", "worker", "service", "next_meeting", "personal", "new_worker", "day")
OPTIONAL_PLACEHOLDERS = {"personal", "service"}  # service is empty when it may not be named
FILLED_BY_WORKER = ("next_meeting", "personal", "day")

SIGN_OFF = "{{ worker }}{% if service %} from {{ service }}{% endif %}"
PERSONAL_WITH_SPACE = "{% if personal %}{{ personal }} {% endif %}"
PERSONAL_ALONE = "{% if personal %}{{ personal }}{% endif %}"

_environment = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False,
                                    keep_trailing_newline=False)


class MissingFields(ValueError):
    def __init__(self, names):
        self.names = names
        super().__init__(", ".join(names))


class BadTemplate(ValueError):
    pass


_PLAIN_TOKEN = re.compile(r"\{([^{}]*)\}|[{}]")
STRAY_BRACKET = ("curly brackets are only for placeholders, like {name}; "
                 "take out the lone “{bracket}”")


def is_old_format(template_body):
    """True for a body written in Mend's old Jinja form ({{ name }}, {% if %})."""
    return any(mark in template_body for mark in ("{{", "{%", "{#"))


def plain_placeholders(template_body):
    """The placeholders a plain-form body uses, in order, repeats included.

    Raises BadTemplate for an unknown placeholder or a stray curly bracket.
    """
    names = []
    for match in _PLAIN_TOKEN.finditer(template_body):
        if match.group(1) is None:
            raise BadTemplate(STRAY_BRACKET.replace("{bracket}", match.group(0)))
        name = match.group(1).strip()
        if name not in PLACEHOLDERS:
            raise BadTemplate(f"unknown placeholder {{{name}}}")
        names.append(name)
    return names


def to_jinja(plain_body, from_word="from"):
    """The plain form as the Jinja the sandbox renders. The text between placeholders
    holds no curly bracket (refused above), so it can only ever be literal text.
    `from_word` is the sign-off's "from" in the version's language (Mend's own words,
    `sms.text_language.FROM_WORD`, never typed by anyone)."""
    if not re.fullmatch(r"[^\W\d_]+( [^\W\d_]+)*", from_word):
        raise BadTemplate("the sign-off's word must be letters")
    plain_placeholders(plain_body)
    pieces, signed = [], False
    position = 0
    for match in _PLAIN_TOKEN.finditer(plain_body):
        pieces.append(plain_body[position:match.start()])
        name = match.group(1).strip()
        position = match.end()
        if name == "worker" and not signed:
            pieces.append(SIGN_OFF.replace(" from ", f" {from_word} "))
            signed = True
        elif name == "personal":
            followed_by_space = plain_body[position:position + 1] == " "
            pieces.append(PERSONAL_WITH_SPACE if followed_by_space else PERSONAL_ALONE)
            position += 1 if followed_by_space else 0
        else:
            pieces.append("{{ %s }}" % name)
    pieces.append(plain_body[position:])
    return "".join(pieces)


# An old-format template is text, placeholders and `{% if %}` on placeholders: nothing
# that could reach Python objects or loop. The sandbox stays as a second wall.
ALLOWED_NODES = (nodes.Template, nodes.Output, nodes.TemplateData, nodes.Name, nodes.If,
                 nodes.Not, nodes.And, nodes.Or)
ONLY_SIMPLE_SYNTAX = "use only placeholders like {name}, {worker} and {personal}"


@functools.lru_cache(maxsize=1024)
def _compiled(jinja_body):
    """The sandbox's compiled template for a Jinja body and the names it uses, kept
    for the next text (parsing and compiling cost more than rendering; a library has
    a few hundred bodies). A body that cannot be read raises BadTemplate, never kept."""
    try:
        tree = _environment.parse(jinja_body)
    except TemplateSyntaxError as error:
        raise BadTemplate(f"line {error.lineno}: {error.message}")
    names = set()
    for node in tree.find_all(nodes.Node):
        if not isinstance(node, ALLOWED_NODES):
            raise BadTemplate(ONLY_SIMPLE_SYNTAX)
        if isinstance(node, nodes.Name):
            names.add(node.name)
    return _environment.from_string(tree), frozenset(names)


@functools.lru_cache(maxsize=1024)
def _as_jinja(template_body, from_word="from"):
    return (template_body if is_old_format(template_body)
            else to_jinja(template_body, from_word))


@functools.lru_cache(maxsize=1024)
def placeholders_in(template_body):
    """The placeholder names a template uses (a frozenset, kept for the next page that
    lists it); BadTemplate when it cannot be read."""
    if is_old_format(template_body):
        return _compiled(template_body)[1]
    return frozenset(plain_placeholders(template_body))


def tidy(text):
    """Collapse the spaces left where an optional line was empty."""
    lines = [re.sub(r"[ \t]{2,}", " ", line).strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def render_text(template_body, values, from_word="from"):
    """Render with every value as plain text; returns the smart-encoded, counted text
    (`encoding.Counted`).

    Values are data, never template source: "{{ 7*7 }}" or "{name}" in a field is sent
    as typed. Raises MissingFields naming every required placeholder left empty.
    """
    template, used = _compiled(_as_jinja(template_body, from_word))
    unknown = sorted(used - set(VALUE_NAMES))
    if unknown:
        raise BadTemplate("unknown placeholder " + ", ".join(unknown))
    clean = {name: str(values.get(name) or "").strip() for name in VALUE_NAMES}
    missing = [name for name in sorted(used - OPTIONAL_PLACEHOLDERS) if not clean[name]]
    if missing:
        raise MissingFields(missing)
    try:
        text = template.render(**clean)
    except (UndefinedError, SecurityError) as error:
        raise BadTemplate(str(error))
    return encoding.count(tidy(text))
