"""Form fields written as HTML: WTForms' own widgets, with a faster attribute writer.

WTForms (3.3) writes each attribute of a field or an option as
`Markup('{k}="{v}"').format(...)`, which runs markupsafe's escaping formatter, written in
Python, for every attribute: on the compose page (about 40 template options, each with
four attributes) that was 30 % of the page's time (9.3 ms -> 6.5 ms a page without it,
in-process, the two alternating). `html_params` below writes the same text, attribute for
attribute (tests/test_widgets.py holds it to WTForms' own on random attributes);
`init_app` makes WTForms' widgets use it."""
import wtforms.widgets
import wtforms.widgets.core
from markupsafe import Markup, escape
from wtforms.widgets.core import clean_key

# WTForms' own, for the tests (and still WTForms' own if this module is imported again).
WTFORMS_HTML_PARAMS = getattr(wtforms.widgets.core.html_params, "wtforms_own",
                              wtforms.widgets.core.html_params)


def html_params(**kwargs):
    """`wtforms.widgets.html_params`, the same output: keys sorted, `class_` -> `class`,
    `data_x_y` -> `data-x-y`, True as a bare attribute, False left out, each value
    escaped, a double quote in an already safe value written `&quot;`."""
    params = []
    for key, value in sorted(kwargs.items()):
        key = escape(clean_key(key))
        if value is True:
            params.append(key)
        elif value is not False:
            params.append(f'{key}="{str(escape(value)).replace(chr(34), "&quot;")}"')
    return Markup(" ".join(params))


html_params.wtforms_own = WTFORMS_HTML_PARAMS


def init_app(app):
    """Every WTForms widget writes its attributes with `html_params` (the module's
    function for selects, options, text areas and labels; `Input.html_params`, which
    WTForms offers for this, for every input)."""
    wtforms.widgets.core.html_params = html_params
    wtforms.widgets.html_params = html_params
    wtforms.widgets.core.Input.html_params = staticmethod(html_params)
