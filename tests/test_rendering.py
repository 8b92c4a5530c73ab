"""Rendering a template: reviewers write plain placeholders; values are text, never
code; the sandboxed renderer inside Mend does the rest."""
import pytest

from sms.rendering import (BadTemplate, MissingFields, placeholders_in, render_text,
                           to_jinja)

SIGN_OFF = "Hi {name}, it's {worker}."
VALUES = {"name": "Alex", "worker": "Sam", "service": "", "next_meeting": "", "personal": ""}


@pytest.mark.parametrize("typed", [
    "{{ ''.__class__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{% for x in range(10) %}x{% endfor %}",
    "{{ 7*7 }}",
    "{{ config }}",
    "{name}",
    "{worker} {",
])
def test_a_value_typed_by_a_worker_is_sent_exactly_as_typed(typed):
    rendered = render_text(SIGN_OFF + " {personal}", {**VALUES, "personal": typed})
    assert rendered.body == "Hi Alex, it's Sam. " + typed


@pytest.mark.parametrize("service, personal, sent", [
    ("", "", "Hi Alex, it's Sam. No need to reply."),
    ("Mend", "", "Hi Alex, it's Sam from Mend. No need to reply."),
    ("", "Hope the new flat is good.",
     "Hi Alex, it's Sam. Hope the new flat is good. No need to reply."),
    ("Mend", "Hope the new flat is good.",
     "Hi Alex, it's Sam from Mend. Hope the new flat is good. No need to reply."),
])
def test_the_sign_off_and_the_personal_line_are_handled_by_mend(service, personal, sent):
    body = SIGN_OFF + " {personal} No need to reply."
    assert render_text(body, {**VALUES, "service": service, "personal": personal}).body == sent


def test_only_the_first_worker_placeholder_names_the_service():
    body = "Hi {name}, it's {worker}. {personal} {worker} will be there."
    rendered = render_text(body, {**VALUES, "service": "Mend"})
    assert rendered.body == "Hi Alex, it's Sam from Mend. Sam will be there."


@pytest.mark.parametrize("body, problem", [
    ("Hi {phone}", "unknown placeholder {phone}"),
    ("Hi {name}, it's {{ worker }", "line 1: unexpected '}'"),
    ("Hi {name}, it's {worker} :}", "curly brackets are only for placeholders, like {name}; "
                                    "take out the lone “}”"),
    ("Hi {name {worker}", "curly brackets are only for placeholders, like {name}; "
                          "take out the lone “{”"),
])
def test_a_plain_template_with_a_mistake_says_what_is_wrong(body, problem):
    with pytest.raises(BadTemplate) as raised:
        render_text(body, VALUES)
    assert str(raised.value) == problem


def test_plain_text_between_placeholders_can_never_become_template_code():
    # Brackets are refused, so nothing a reviewer types can open a Jinja tag: the
    # translated template holds their words only as literal text.
    body = "Hi {name}, it's {worker}. 100% yours # {personal} No need to reply."
    assert render_text(body, VALUES).body == "Hi Alex, it's Sam. 100% yours # No need to reply."
    assert "{%" not in to_jinja(body).replace(
        "{% if service %}", "").replace("{% endif %}", "").replace("{% if personal %}", "")


def test_every_missing_required_field_is_named():
    with pytest.raises(MissingFields) as raised:
        render_text("Hi {name}, see you {next_meeting}. {worker}", {"name": " ", "worker": "Sam"})
    assert raised.value.names == ["name", "next_meeting"]


def test_the_plain_form_translates_to_the_jinja_mend_used_before():
    assert to_jinja("Hi {name}, it's {worker}. Sorry. {personal} See you {next_meeting}.") == (
        "Hi {{ name }}, it's {{ worker }}{% if service %} from {{ service }}{% endif %}. "
        "Sorry. {% if personal %}{{ personal }} {% endif %}See you {{ next_meeting }}.")


# Versions written in the old Jinja form that could not be converted exactly still
# render as approved, inside the same sandbox.
OLD_SIGN_OFF = "Hi {{ name }}, it's {{ worker }}{% if service %} from {{ service }}{% endif %}."


@pytest.mark.parametrize("body", [
    "{{ ''.__class__ }}",
    "{{ name.__class__.__mro__ }}",
    "{{ name.upper() }}",
    "{{ name|upper }}",
    "{% for i in range(100000) %}{{ name }}{% endfor %}",
    "{% set name = 'x' %}{{ name }}",
    "{{ name[0] }}",
    "{{ cycler.__init__.__globals__ }}",
    "{% include 'x' %}",
])
def test_an_old_format_template_cannot_reach_python_or_loop(body):
    with pytest.raises(BadTemplate) as raised:
        render_text(body, VALUES)
    assert str(raised.value) == "use only placeholders like {name}, {worker} and {personal}"


def test_an_old_format_template_still_renders_as_it_was_approved():
    body = OLD_SIGN_OFF + " {% if personal and not service %}{{ personal }}{% endif %}"
    assert placeholders_in(body) == {"name", "worker", "service", "personal"}
    assert render_text(body, {**VALUES, "personal": "Hello"}).body == "Hi Alex, it's Sam. Hello"


def test_the_rendered_text_is_smart_encoded_and_counted():
    rendered = render_text(SIGN_OFF + " {personal}",
                           {**VALUES, "personal": "See you \u2013 no rush\u2026"})
    assert rendered.body == "Hi Alex, it's Sam. See you - no rush..."
    assert (rendered.encoding, rendered.characters, rendered.parts) == ("GSM-7", 39, 1)
    assert [r.original for r in rendered.replaced] == ["\u2013", "\u2026"]
