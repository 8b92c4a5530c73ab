"""Turning a reviewed template and a worker's values into the exact text sent.

Preview, checks, counting and sending all go through `render_text`, so what the
worker sees is what the person's phone shows.
"""
import re

from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from . import encoding

PLACEHOLDERS = {
    "name": "their preferred name",
    "worker": "your first name",
    "service": "the service name (only when the person agreed it may be named)",
    "next_meeting": "next meeting",
    "personal": "personal line",
    "new_worker": "the new key worker's first name (at a handover)",
}
OPTIONAL_PLACEHOLDERS = {"personal", "service"}  # service is empty when it may not be named
FILLED_BY_WORKER = ("next_meeting", "personal")

_environment = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False,
                                    keep_trailing_newline=False)


class MissingFields(ValueError):
    def __init__(self, names):
        self.names = names
        super().__init__(", ".join(names))


class BadTemplate(ValueError):
    pass


# A template is text, placeholders and `{% if %}` on placeholders: nothing that
# could reach Python objects or loop. The sandbox stays as a second wall.
ALLOWED_NODES = (nodes.Template, nodes.Output, nodes.TemplateData, nodes.Name, nodes.If,
                 nodes.Not, nodes.And, nodes.Or)
ONLY_SIMPLE_SYNTAX = ("use only placeholders like {{ name }} and "
                      "{% if personal %}...{% endif %} around them")


def placeholders_in(template_body):
    """The placeholder names a template uses; BadTemplate for anything but simple syntax."""
    try:
        tree = _environment.parse(template_body)
    except TemplateSyntaxError as error:
        raise BadTemplate(f"line {error.lineno}: {error.message}")
    names = set()
    for node in tree.find_all(nodes.Node):
        if not isinstance(node, ALLOWED_NODES):
            raise BadTemplate(ONLY_SIMPLE_SYNTAX)
        if isinstance(node, nodes.Name):
            names.add(node.name)
    return names


def tidy(text):
    """Collapse the spaces left where an optional line was empty."""
    lines = [re.sub(r"[ \t]{2,}", " ", line).strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def render_text(template_body, values):
    """Render with every value as plain text; returns the smart-encoded, counted text
    (`encoding.Counted`).

    Values are data, never template source: "{{ 7*7 }}" in a field is sent as typed.
    Raises MissingFields naming every required placeholder left empty.
    """
    used = placeholders_in(template_body)
    unknown = sorted(used - PLACEHOLDERS.keys())
    if unknown:
        raise BadTemplate("unknown placeholder " + ", ".join(unknown))
    clean = {name: str(values.get(name) or "").strip() for name in PLACEHOLDERS}
    missing = [name for name in sorted(used - OPTIONAL_PLACEHOLDERS) if not clean[name]]
    if missing:
        raise MissingFields(missing)
    try:
        text = _environment.from_string(template_body).render(**clean)
    except (UndefinedError, SecurityError) as error:
        raise BadTemplate(str(error))
    return encoding.count(tidy(text))
