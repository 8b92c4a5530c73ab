"""Rendering a template: values are text, never code; templates are kept simple."""
import pytest

from sms.rendering import BadTemplate, MissingFields, placeholders_in, render_text

SIGN_OFF = "Hi {{ name }}, it's {{ worker }}{% if service %} from {{ service }}{% endif %}."
VALUES = {"name": "Alex", "worker": "Sam", "service": "", "next_meeting": "", "personal": ""}


@pytest.mark.parametrize("typed", [
    "{{ ''.__class__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{% for x in range(10) %}x{% endfor %}",
    "{{ 7*7 }}",
    "{{ config }}",
])
def test_a_value_typed_by_a_worker_is_sent_exactly_as_typed(typed):
    rendered = render_text(SIGN_OFF + " {{ personal }}", {**VALUES, "personal": typed})
    assert rendered.body == "Hi Alex, it's Sam. " + typed


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
def test_a_template_cannot_reach_python_or_loop(body):
    with pytest.raises(BadTemplate) as raised:
        render_text(body, VALUES)
    assert "use only placeholders like {{ name }}" in str(raised.value)


def test_conditions_on_placeholders_are_allowed():
    body = "{% if personal and not service %}{{ personal }}{% else %}Hi{% endif %}"
    assert placeholders_in(body) == {"personal", "service"}
    assert render_text(body, {**VALUES, "personal": "Hello"}).body == "Hello"


def test_a_template_with_a_syntax_error_says_which_line():
    with pytest.raises(BadTemplate) as raised:
        render_text("Hi {{ name }\nthere", VALUES)
    assert str(raised.value).startswith("line 1:")


def test_an_unknown_placeholder_is_refused():
    with pytest.raises(BadTemplate) as raised:
        render_text("Hi {{ phone }}", VALUES)
    assert str(raised.value) == "unknown placeholder phone"


def test_every_missing_required_field_is_named():
    with pytest.raises(MissingFields) as raised:
        render_text("Hi {{ name }}, see you {{ next_meeting }}. {{ worker }}",
                    {"name": " ", "worker": "Sam"})
    assert raised.value.names == ["name", "next_meeting"]


@pytest.mark.parametrize("service, personal, sent", [
    ("", "", "Hi Alex, it's Sam. No need to reply."),
    ("Mend", "", "Hi Alex, it's Sam from Mend. No need to reply."),
    ("", "Hope the new flat is good.",
     "Hi Alex, it's Sam. Hope the new flat is good. No need to reply."),
])
def test_optional_service_and_personal_line_leave_no_gaps(service, personal, sent):
    body = SIGN_OFF + " {% if personal %}{{ personal }} {% endif %}No need to reply."
    assert render_text(body, {**VALUES, "service": service, "personal": personal}).body == sent


def test_the_rendered_text_is_smart_encoded_and_counted():
    rendered = render_text(SIGN_OFF + " {{ personal }}",
                           {**VALUES, "personal": "See you \u2013 no rush\u2026"})
    assert rendered.body == "Hi Alex, it's Sam. See you - no rush..."
    assert (rendered.encoding, rendered.characters, rendered.parts) == ("GSM-7", 39, 1)
    assert [r.original for r in rendered.replaced] == ["\u2013", "\u2026"]
