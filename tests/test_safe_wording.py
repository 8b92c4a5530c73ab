"""Words that are safe when they land: what workers read before and while they write."""
import html
import re

import pytest

from sms.labels import CONSENT_METHOD_LABELS
from sms.library import NOT_A_TEXT
from storage import messages
from web.drafting import PERSONAL_LINE_MAX
from tests.harness.pages import add_contact, contact_id_from
from tests.test_compose import compose, schedule_text, version_id


def visible(response):
    """The page's words, without tags, as a person reads them."""
    words = re.sub(r"<[^>]+>", "", response.get_data(as_text=True))
    return html.unescape(re.sub(r"\s+", " ", words))


@pytest.fixture
def alex(worker):
    return contact_id_from(add_contact(worker, name="Alex"))


def test_the_add_a_person_form_prompts_what_to_tell_them_in_person(worker):
    page = visible(worker.get("/contacts/new"))
    for prompt in ("When they agree in person, tell them:",
                   "texts will be occasional, and they never need to reply;",
                   "texts are not read out of hours;",
                   "where to go in a crisis (your service's crisis procedure says), because a text is not the way to reach help fast;",
                   "they can text STOP at any time."):
        assert prompt in page
    assert ("A text from a first name can also read as personal to a partner who checks the "
            "phone") in page


def test_the_personal_line_hint_asks_for_one_short_line_without_details(worker, alex):
    page = visible(worker.get(f"/compose/?contact={alex}"))
    assert (f"One short line in your own words, up to {PERSONAL_LINE_MAX} characters. Leave "
            "out what happened, places and feelings: others may see the phone.") in page


def test_a_worker_recording_a_no_reads_as_their_no():
    assert CONSENT_METHOD_LABELS["withdrawn_by_worker"] == "They said no (recorded by a worker)"


def test_what_happened_offers_the_times_that_are_not_for_a_text(worker, alex):
    page = worker.get(f"/compose/?contact={alex}").get_data(as_text=True)
    group = page.split('<optgroup label="Not a time for a text">')[1].split("</optgroup>")[0]
    assert [html.unescape(label) for label in re.findall(r">([^<]+)</option>", group)] == [
        "They made a complaint about me", "I made a safeguarding referral",
        "They were arrested, sectioned or taken to hospital",
        "They were barred or given notice", "I am leaving"]


@pytest.mark.parametrize("situation", NOT_A_TEXT)
def test_a_situation_that_is_not_for_a_text_gives_guidance_and_schedules_nothing(
        worker, db, alex, situation):
    label, guidance = NOT_A_TEXT[situation]
    response = schedule_text(worker, alex, version_id(db, "door-stays-open"),
                             situation=situation)
    page = visible(response)
    assert f"This is not a time for a text from you: {guidance}" in page
    assert f"{label}: not a time for a text. {guidance}" in page
    assert messages.for_contact(db, alex) == []


def test_the_guidance_for_a_complaint_points_to_the_complaints_process(worker, db, alex):
    page = visible(compose(worker, alex, version_id(db, "door-stays-open"),
                           situation="complaint"))
    assert ("Do not text them about it. Reply through your service's complaints process, and "
            "tell your manager.") in page
