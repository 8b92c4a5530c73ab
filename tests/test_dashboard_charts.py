"""The reviewers' and admins' dashboard: are conversations reopening? Charts are
accessible SVG that the page's CSP allows, each with its figures as a table."""
import html
import re
from datetime import timedelta

import pytest
import time_machine

from actions import consent
from storage.connection import utc_now
from tests.audit_helpers import new_contact, place_reply, place_text
from tests.harness.pages import client_for


def table(page, table_id):
    """The rows of one table as lists of cell texts."""
    body = page.split(f'id="{table_id}"')[1].split("</table>")[0]
    return [[html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
             for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)]


@pytest.fixture
def a_month_of_texts(worker, db, user_ids):
    """Door-stays-open: 2 texts, one answered within 7 days, one answered after 8.
    I-got-it-wrong: 1 text, answered only with STOP. One expired, one needs checking."""
    now = utc_now()
    alex = new_contact(worker, "Alex", "07911 123456")
    kim = new_contact(worker, "Kim", "07912 345678")
    sam = user_ids["worker"]
    first = now - timedelta(days=20)
    place_text(db, contact_id=alex, worker_id=sam, when=first, status="delivered")
    place_reply(db, contact_id=alex, when=first + timedelta(days=2), body="ok")
    second = now - timedelta(days=12)
    place_text(db, contact_id=alex, worker_id=sam, when=second, status="sent")
    place_reply(db, contact_id=alex, when=second + timedelta(days=8), body="late")
    place_text(db, contact_id=kim, worker_id=sam, when=now - timedelta(days=5),
               status="delivered", template_id="i-got-it-wrong")
    place_reply(db, contact_id=kim, when=now - timedelta(days=4), body="STOP", kind="stop")
    consent.withdraw(db, kim, method="stop_keyword", actor_type="person",
                     reason="They texted STOP.")
    place_text(db, contact_id=alex, worker_id=sam, when=now - timedelta(days=3),
               status="expired")
    place_text(db, contact_id=alex, worker_id=sam, when=now - timedelta(days=2),
               status="unknown")


def test_reply_rate_within_7_days_overall_and_per_template(admin, a_month_of_texts):
    page = admin.get("/audit/dashboard").text
    assert table(page, "reply-table") == [
        ["Template", "Texts that reached them", "Replied within 7 days", "Reply rate"],
        ["All templates", "3", "1", "33%"],
        ["The door stays open", "2", "1", "50%"],
        ["I got something wrong", "1", "0", "0%"],
    ]
    assert ">33%</strong>" in page
    # Listed by use, never ranked by replies: every text asks for none.
    assert ("Replies: texts ask for none. Every text says no reply is needed, so a reply rate "
            "is not a measure of a good text, and Mend never ranks templates by it") in page
    assert "Replied within 7 days (%): texts ask for none" in page


def test_delivery_opt_outs_and_texts_needing_checking(admin, a_month_of_texts):
    page = admin.get("/audit/dashboard").text
    weekly = table(page, "delivery-table")[1:]
    assert len(weekly) == 12
    assert sum(int(row[1]) for row in weekly) == 3  # went out: 2 delivered, 1 sent
    assert sum(int(row[2]) for row in weekly) == 2
    assert table(page, "optout-table")[-1] == [utc_now().strftime("%Y-%m"), "1"]
    review = table(page, "review-table")[1:]
    assert (sum(int(row[1]) for row in review), sum(int(row[2]) for row in review)) == (1, 1)
    assert 'id="needs-checking">1</strong>' in page and 'id="expired">1</strong>' in page
    assert "/audit/history?status=unknown" in page


def test_weeks_start_on_monday(app):
    with time_machine.travel("2026-11-26 12:00:00+00:00", tick=False):  # a Thursday
        rows = table(client_for(app, "admin").get("/audit/dashboard").text, "outcome-table")
    assert [row[0] for row in rows[1:]][-2:] == ["16 Nov 2026", "23 Nov 2026"]


def test_charts_are_labelled_svg_with_no_inline_style_or_script(admin, a_month_of_texts):
    response = admin.get("/audit/dashboard")
    page = response.text
    svgs = re.findall(r"<svg\b[^>]*>", page)
    assert len(svgs) == 5
    for svg in svgs:
        assert 'role="img"' in svg and 'aria-label="' in svg and "the table below" in svg
    assert "<style" not in page and " style=" not in page
    assert re.findall(r"<script\b[^>]*>", page) == [
        '<script src="/static/mend.js" defer>']
    csp = response.headers["Content-Security-Policy"]
    assert "style-src 'self'" in csp and "script-src 'self'" in csp
    assert '<link rel="stylesheet" href="/audit/charts.css">' in page


def test_the_chart_stylesheet_is_pygals_own_css_scoped_to_charts(reviewer):
    response = reviewer.get("/audit/charts.css")
    assert response.status_code == 200 and response.mimetype == "text/css"
    css = response.text
    assert ".pygal-chart .color-0" in css and "#chart-" not in css


def test_an_empty_service_shows_the_dashboard_without_errors(reviewer):
    page = reviewer.get("/audit/dashboard").text
    assert 'id="reply-rate">No texts yet</strong>' in page
    assert table(page, "reply-table")[1] == ["All templates", "0", "0", "–"]
