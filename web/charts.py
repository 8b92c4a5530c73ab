"""Charts drawn with pygal, made to live inside the page under Mend's CSP.

pygal puts a <style> and a <script> inside every SVG and a `style` attribute on its
tooltip. The CSP (`script-src 'self'; style-src 'self'`) would block all three, so
each chart is rendered to an element tree, those are removed, and the CSS pygal
would have inlined is served once from a same-origin stylesheet scoped to
`.pygal-chart` (see `stylesheet`). Each SVG is an image with a text label, and the
page shows the same figures as a table beside it.
"""
import functools
import re
import xml.etree.ElementTree as ET

import pygal
from pygal.style import Style

SVG_NAMESPACE = "http://www.w3.org/2000/svg"
ET.register_namespace("", SVG_NAMESPACE)
ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")

MEND_STYLE = Style(
    background="transparent",
    plot_background="#ffffff",
    foreground="#1d1d1b",
    foreground_strong="#1d1d1b",
    foreground_subtle="#4a4a48",
    font_family="system-ui, -apple-system, 'Segoe UI', sans-serif",
    label_font_size=13,
    major_label_font_size=13,
    legend_font_size=14,
    title_font_size=16,
    value_font_size=13,
    colors=("#1f5f5b", "#7aa6a1", "#a4161a", "#6b6b68", "#c77d12", "#3b4f8c"),
)
CHART_OPTIONS = dict(
    style=MEND_STYLE, js=[], disable_xml_declaration=True, explicit_size=False,
    width=800, height=360, legend_at_bottom=True, legend_at_bottom_columns=3,
    print_values=False, show_y_guides=True, truncate_label=-1, x_label_rotation=0,
    no_data_text="Nothing yet", min_scale=1,
)


def _tag(element):
    """'style' for '{svg namespace}style'; 'comment' for a comment."""
    if not isinstance(element.tag, str):
        return "comment"
    return element.tag.rsplit("}", 1)[-1]


def _strip_inline_style_and_script(root):
    for parent in list(root.iter()):
        for child in list(parent):
            if _tag(child) in ("style", "script", "comment"):
                parent.remove(child)
    for element in root.iter():
        element.attrib.pop("style", None)


def to_inline_svg(chart, label):
    """The chart as an <svg> string with no style or script, labelled for screen readers."""
    root = chart.render_tree()
    _strip_inline_style_and_script(root)
    root.attrib.pop("id", None)
    root.set("role", "img")
    root.set("aria-label", label)
    root.set("focusable", "false")
    return ET.tostring(root, encoding="unicode")


def bar(title, labels, series, *, stacked=False, horizontal=False, percent=False,
        label_rotation=0):
    """`series` is [(name, [values...])], one value per label (None for no data)."""
    kind = (pygal.HorizontalBar if horizontal
            else pygal.StackedBar if stacked else pygal.Bar)
    chart = kind(title=title, **{**CHART_OPTIONS, "x_label_rotation": label_rotation})
    return _filled(chart, labels, series, percent=percent)


def line(title, labels, series, *, percent=False):
    return _filled(pygal.Line(title=title, **CHART_OPTIONS), labels, series, percent=percent)


def _filled(chart, labels, series, *, percent):
    if percent:
        chart.range = (0, 100)
        chart.value_formatter = lambda value: f"{value:.0f}%"
    chart.x_labels = labels
    for name, values in series:
        chart.add(name, values)
    return chart


@functools.lru_cache(maxsize=1)
def stylesheet():
    """pygal's own CSS for Mend's style, scoped to `.pygal-chart` instead of one
    chart's random id, for every chart kind used here."""
    rules = []
    for kind in (pygal.Bar, pygal.StackedBar, pygal.HorizontalBar, pygal.Line):
        chart = kind(**{**CHART_OPTIONS, "js": []})
        for index in range(len(MEND_STYLE.colors)):
            chart.add(f"s{index}", [1, 2])
        for element in chart.render_tree().iter():
            if _tag(element) == "style" and element.text:
                rules.append(re.sub(r"#chart-[0-9a-f-]+", ".pygal-chart", element.text))
    css = "\n".join(dict.fromkeys(rules))
    extra = (".pygal-chart{width:100%;height:auto;display:block}"
             ".pygal-chart .tooltip{display:none}")
    return css + "\n" + extra + "\n"
