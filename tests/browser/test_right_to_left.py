"""In Chromium: a text in Arabic reads right to left in the live preview, on the confirm
step and on every page that shows it afterwards, and the Latin names inside it stay
readable (left to right, in their place in the sentence)."""
import pytest
from playwright.sync_api import expect

from actions import templates as template_workflows
from storage import sms_templates, users
from storage.connection import connect
from tests.browser.conftest import log_in
from tests.harness.database import PASSWORD

pytestmark = pytest.mark.browser

ARABIC_DOOR = ("مرحباً {name}، معك {worker}. أردت أن أقول مرحباً. {personal} "
               "أنا هنا عندما تريد التحدث. لا داعي للرد.")

# Where each piece of text is drawn: (left, right) of the first box of a substring.
MEASURE = """([selector, first, second]) => {
  const el = document.querySelector(selector);
  const text = el.firstChild;
  const box = (needle) => {
    const start = text.data.indexOf(needle);
    const range = document.createRange();
    range.setStart(text, start);
    range.setEnd(text, start + needle.length);
    const r = range.getClientRects()[0];
    return [r.left, r.right];
  };
  const letter = (needle, i) => {
    const start = text.data.indexOf(needle) + i;
    const range = document.createRange();
    range.setStart(text, start);
    range.setEnd(text, start + 1);
    return range.getBoundingClientRect().left;
  };
  return {direction: getComputedStyle(el).direction, rtl: el.matches(':dir(rtl)'),
          first: box(first), second: box(second),
          nameLetters: [letter(second, 0), letter(second, second.length - 1)]};
}"""


@pytest.fixture
def arabic_version(database_path, user_ids):
    """An Arabic version of "The door stays open", written and approved by two reviewers
    who read Arabic."""
    db = connect(database_path)
    for key in ("reviewer", "second_reviewer"):
        users.set_languages(db, user_ids[key], ["en", "ar"])
    english = sms_templates.usable_version_of(db, "door-stays-open")
    fields = {name: english[name] for name in ("title", "situation", "strategy", "when_to_use")}
    proposed = template_workflows.propose_version(
        db, {**fields, "body": ARABIC_DOOR}, author_id=user_ids["reviewer"],
        template_id="door-stays-open", language="ar")
    draft = sms_templates.version_by_number(db, "door-stays-open", proposed.version)
    template_workflows.review_version(db, draft, status="approved", note="",
                                      reviewer_id=user_ids["second_reviewer"],
                                      reviewer_name="Ravi Reviewer", reviewer_languages="en,ar")
    db.close()


def assert_right_to_left(page, selector):
    drawn = page.evaluate(MEASURE, [selector, "مرحباً", "Alex"])
    assert drawn["direction"] == "rtl" and drawn["rtl"], drawn
    greeting, name = drawn["first"], drawn["second"]
    # The greeting comes first, so in a right-to-left line it is drawn rightmost...
    assert greeting[0] > name[1], drawn
    # ...and the Latin name inside it still reads A-l-e-x from left to right.
    assert drawn["nameLetters"][0] < drawn["nameLetters"][1], drawn


def add_alex_and_write(page, live_server, language=None):
    """Log in as the worker, add Alex (in `language` when given) and open compose with
    the door-stays-open template chosen."""
    log_in(page, live_server, "worker@example.org", PASSWORD)
    page.goto(f"{live_server.url}/contacts/new")
    page.get_by_label("Preferred name").fill("Alex")
    page.get_by_label("Mobile number").fill("07911 123456")
    if language:
        page.get_by_label("Language for texts").select_option(language)
    page.get_by_label("How did they agree to be texted?").select_option("in_person")
    page.get_by_label("I checked with them today that this number is safe to text").check()
    page.get_by_role("button", name="Add person").click()
    if language == "ar":
        expect(page.locator("#their-language")).to_contain_text("Arabic (العربية)")
    page.get_by_role("link", name="Write a text to Alex").click()
    page.get_by_label("Template").select_option(label="The door stays open")


def test_an_arabic_text_reads_right_to_left_from_preview_to_its_page(live_server, page,
                                                                     arabic_version):
    add_alex_and_write(page, live_server, "ar")
    expect(page.locator("#preview-body")).to_contain_text("مرحباً Alex")
    expect(page.locator("#text-language")).to_have_text("Goes in Arabic (العربية).")
    assert_right_to_left(page, "#preview-body")

    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Check your text")).to_be_visible()
    expect(page.locator("#confirm-language")).to_have_text("Arabic (العربية)")
    assert_right_to_left(page, "#confirm-body")

    page.get_by_role("button", name="Schedule text").click()
    expect(page.locator("#message-body")).to_contain_text("مرحباً Alex")
    assert_right_to_left(page, "#message-body")

    page.get_by_role("link", name="Alex").first.click()
    expect(page.locator(".thread .bubble__text").first).to_contain_text("مرحباً Alex")
    assert_right_to_left(page, ".thread .bubble__text")


def test_an_english_text_stays_left_to_right(live_server, page):
    add_alex_and_write(page, live_server)
    expect(page.locator("#preview-body")).to_contain_text("Hi Alex, it's Sam.")
    drawn = page.evaluate(MEASURE, ["#preview-body", "Hi", "Alex"])
    assert drawn["direction"] == "ltr" and drawn["first"][1] < drawn["second"][0], drawn


def test_the_live_preview_says_plainly_when_their_language_is_missing(live_server, page):
    add_alex_and_write(page, live_server, "pl")
    expect(page.locator("#language_choice-error")).to_contain_text(
        "“The door stays open” has no approved Polish (polski) version yet")
    expect(page.get_by_role("button", name="Ask a reviewer for a version in their language")
           ).to_be_visible()
    page.get_by_label("Send the English version").check()
    expect(page.locator("#preview-body")).to_contain_text("Hi Alex, it's Sam.")
    expect(page.locator("#text-language")).to_have_text("Goes in English.")
    expect(page.get_by_role("button", name="Ask a reviewer for a version in their language")
           ).to_be_hidden()
