"""Form fields are written exactly as WTForms writes them, only faster (web/widgets.py)."""
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from web.widgets import WTFORMS_HTML_PARAMS, html_params

KEYS = st.one_of(st.sampled_from(["class_", "for_", "id", "name", "value", "selected",
                                  "data_when_to_use", "data_situation", "aria_describedby",
                                  "data-fields", "type", "required"]),
                 st.text("abcdefgh_-<\"'&", min_size=1, max_size=12))
TEXT = st.text(st.characters(codec="utf-8"), max_size=30) | st.text("<>&\"' ab", max_size=12)
VALUES = st.one_of(st.booleans(), TEXT, TEXT.map(Markup), st.integers(), st.none(),
                   st.floats(allow_nan=False))


@settings(max_examples=500, deadline=None)
@given(st.dictionaries(KEYS, VALUES, max_size=6))
def test_attributes_are_written_as_wtforms_writes_them(attributes):
    assert html_params(**attributes) == WTFORMS_HTML_PARAMS(**attributes)
    assert isinstance(html_params(**attributes), Markup)


def test_a_quote_or_a_tag_in_a_value_never_leaves_the_attribute():
    written = html_params(data_when_to_use='After a "missed" visit <script>',
                          title=Markup('Safe "already"'), selected=True, hidden=False)
    assert written == ('data-when-to-use="After a &#34;missed&#34; visit &lt;script&gt;" '
                       'selected title="Safe &quot;already&quot;"')

