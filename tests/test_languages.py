"""Texts in the person's language (issue 18): their language recorded, Welsh Language
Standards mode, versions per language reviewed by reviewers who read them, compose
when a version is missing, the consent text in their language."""
import html
import json
import re
from datetime import datetime, timezone

import pytest

from actions import templates as template_workflows
from sms.library import read_library
from sms.scheduling import format_meeting
from storage import contacts, events, messages, sms_templates, users
from tests.harness.database import ROOT
from tests.harness.pages import add_contact, client_for, contact_id_from, post_form

WELSH_DOOR = ("{name}, {worker} sydd yma. Roeddwn i eisiau dweud helo. {personal} "
              "Rydw i yma pan fyddwch chi eisiau siarad. Dim angen ateb.")
WELSH_TEXT = ("Alex, Sam sydd yma. Roeddwn i eisiau dweud helo. Rydw i yma pan fyddwch "
              "chi eisiau siarad. Dim angen ateb.")
ENGLISH_TEXT = ("Hi Alex, it's Sam. I wanted to say hello. I'm here when you want to talk. "
                "No need to reply.")


def text_of(response):
    return html.unescape(response.get_data(as_text=True))


def english_version(db, template_id="door-stays-open"):
    return sms_templates.usable_version_of(db, template_id)["id"]


def welsh_readers(db, user_ids, *keys):
    for key in keys:
        users.set_languages(db, user_ids[key], ["en", "cy"])


def approve_welsh(db, user_ids, template_id="door-stays-open", body=WELSH_DOOR):
    """A Welsh version written by one Welsh-reading reviewer, approved by another."""
    welsh_readers(db, user_ids, "reviewer", "second_reviewer")
    english = sms_templates.usable_version_of(db, template_id)
    fields = {name: english[name] for name in ("title", "situation", "strategy", "when_to_use")}
    proposed = template_workflows.propose_version(
        db, {**fields, "body": body}, author_id=user_ids["reviewer"], template_id=template_id,
        language="cy")
    draft = sms_templates.version_by_number(db, template_id, proposed.version)
    assert template_workflows.review_version(
        db, draft, status="approved", note="Darllenwyd.", reviewer_id=user_ids["second_reviewer"],
        reviewer_name="Ravi Reviewer", reviewer_languages="en,cy")
    return draft["id"]


def compose(client, contact_id, version_id, action="preview", **fields):
    return post_form(client, "/compose/", {
        "contact_id": contact_id, "template_version_id": version_id, "next_meeting_at": "",
        "personal": "", "when": "now", "send_at_local": "", "action": action, **fields})


def schedule(client, contact_id, version_id, **fields):
    """Continue, then confirm what the "Check your text" page showed."""
    review = text_of(compose(client, contact_id, version_id, action="review", **fields))
    assert "Check your text" in review, review
    seen = re.search(r'name="seen_warnings" value="([0-9a-f]*)"', review)
    shown = html.unescape(re.search(r'id="confirm-body"[^>]*>([^<]*)<', review).group(1))
    response = compose(client, contact_id, version_id, action="confirm",
                       seen_warnings=seen.group(1) if seen else "", **fields)
    assert response.status_code == 302
    return shown


def person(worker, language=""):
    return contact_id_from(add_contact(worker, name="Alex", language=language))


# --- The person's language -------------------------------------------------------------

def test_their_language_is_recorded_when_added_and_on_their_page_with_who_and_when(
        worker, db, user_ids):
    alex = person(worker, language="cy")
    page = text_of(worker.get(f"/contacts/{alex}"))
    assert re.search(r"Welsh \(Cymraeg\)\s*<span class=\"meta\">· recorded by Sam Worker, "
                     r"\w{3} \d+ \w{3} \d{4}", page)
    response = post_form(worker, f"/contacts/{alex}/language", {"language": "pl"},
                         page=f"/contacts/{alex}")
    assert response.status_code == 302
    assert contacts.get(db, alex)["language"] == "pl"
    assert "Recorded: texts to Alex go in Polish (polski)." in text_of(
        worker.get(f"/contacts/{alex}"))
    post_form(worker, f"/contacts/{alex}/language", {"language": ""}, page=f"/contacts/{alex}")
    assert contacts.get(db, alex)["language"] is None
    assert "Not asked yet" in text_of(worker.get(f"/contacts/{alex}"))
    recorded = [e for e in events.for_subject(db, "contact", alex)
                if e["action"] == "contact.language_recorded"]
    assert [(e["actor_id"], e["detail"]) for e in recorded] == [
        (user_ids["worker"], {"asked": True}), (user_ids["worker"], {"asked": True}),
        (user_ids["worker"], {"asked": False})]


def test_a_language_mend_does_not_know_is_refused_and_nothing_changes(worker, db):
    alex = person(worker, language="cy")
    response = post_form(worker, f"/contacts/{alex}/language", {"language": "xx"},
                         page=f"/contacts/{alex}")
    assert response.status_code == 400
    assert "Choose a language from the list, or “Not asked yet”." in text_of(response)
    assert contacts.get(db, alex)["language"] == "cy"


def test_erasure_forgets_their_language(worker, db):
    alex = person(worker, language="ar")
    post_form(worker, f"/contacts/{alex}/erase", {"confirm": "y"}, page=f"/contacts/{alex}/erase")
    erased = contacts.get(db, alex)
    assert (erased["language"], erased["language_recorded_by"]) == (None, None)


# --- Welsh Language Standards mode -----------------------------------------------------

@pytest.mark.parametrize("standards, order, language, expected", [
    # Standards mode: not asked -> bilingual, in the order the setting says
    ("1", "cy-en", "", WELSH_TEXT + "\n\n" + ENGLISH_TEXT),
    ("1", "en-cy", "", ENGLISH_TEXT + "\n\n" + WELSH_TEXT),
    # chose Welsh -> Welsh only; chose English -> English only
    ("1", "cy-en", "cy", WELSH_TEXT),
    ("1", "cy-en", "en", ENGLISH_TEXT),
    # outside Standards mode: their language when a version exists, English when not asked
    ("0", "cy-en", "cy", WELSH_TEXT),
    ("0", "cy-en", "", ENGLISH_TEXT),
])
def test_the_text_goes_in_the_language_the_rules_say(app, db, user_ids, standards, order,
                                                     language, expected):
    app.config.update(WELSH_LANGUAGE_STANDARDS=standards == "1", BILINGUAL_ORDER=order)
    welsh_id = approve_welsh(db, user_ids)
    worker = client_for(app, "worker")
    alex = person(worker, language=language)
    shown = schedule(worker, alex, english_version(db))
    [message] = messages.for_contact(db, alex)
    assert shown == message["body"] == expected
    languages = "+".join(["cy", "en"] if order == "cy-en" else ["en", "cy"]) \
        if expected.count("\n\n") else ("cy" if expected == WELSH_TEXT else "en")
    assert message["language"] == languages
    if languages == "cy+en":
        assert (message["template_version_id"], message["other_version_id"]) == (
            welsh_id, english_version(db))
    [event] = [e for e in events.for_subject(db, "message", message["id"])]
    assert event["detail"]["language"] == languages


def test_the_live_preview_is_the_same_bilingual_text_with_its_cost(app, db, user_ids):
    app.config.update(WELSH_LANGUAGE_STANDARDS=True)
    approve_welsh(db, user_ids)
    worker = client_for(app, "worker")
    alex = person(worker)
    body = post_form(worker, "/compose/preview", {
        "contact_id": alex, "template_version_id": english_version(db), "when": "now"},
        page="/compose/").get_json()
    assert body["body"] == WELSH_TEXT + "\n\n" + ENGLISH_TEXT
    assert (body["encoding"], body["parts"]) == ("GSM-7", 2)
    assert body["language"]["languages"] == "Welsh (Cymraeg) and English"


def test_a_bilingual_text_holds_the_workers_own_line_once(app, db, user_ids):
    app.config.update(WELSH_LANGUAGE_STANDARDS=True)
    approve_welsh(db, user_ids)
    worker = client_for(app, "worker")
    alex = person(worker)
    shown = schedule(worker, alex, english_version(db), personal="Diolch am heddiw.")
    assert shown.count("Diolch am heddiw.") == 1
    assert shown.endswith("I wanted to say hello. Diolch am heddiw. I'm here when you want to "
                          "talk. No need to reply.")


def test_the_meeting_time_is_written_in_each_versions_language(app, db, user_ids):
    app.config.update(WELSH_LANGUAGE_STANDARDS=True)
    welsh = "{name}, {worker} sydd yma. Welwn ni chi {next_meeting}. Dim angen ateb."
    approve_welsh(db, user_ids, template_id="still-here-next-meeting", body=welsh)
    worker = client_for(app, "worker")
    alex = person(worker)
    page = text_of(compose(worker, alex, english_version(db, "still-here-next-meeting"),
                           next_meeting_at="2026-12-03T14:00"))
    assert "Welwn ni chi ddydd Iau 3 Rhagfyr am 2pm." in page
    assert "Thursday 3 December at 2pm" in page


@pytest.mark.parametrize("language, text", [
    ("en", "Thursday 3 December at 2pm"),
    ("cy", "ddydd Iau 3 Rhagfyr am 2pm"),
    ("pl", "w czwartek 3 grudnia o 14:00"),
    ("ro", "joi, 3 decembrie, la ora 14:00"),
    ("ar", "يوم الخميس 3 ديسمبر الساعة 2:00 م"),
])
def test_meeting_times_use_babels_names_in_the_texts_language(language, text):
    assert format_meeting(datetime(2026, 12, 3, 14, 0, tzinfo=timezone.utc), "Europe/London",
                          language) == text


def test_noon_and_midnight_stay_words_in_welsh():
    at = datetime(2026, 12, 3, 12, 0, tzinfo=timezone.utc)
    assert format_meeting(at, "Europe/London", "cy") == "ddydd Iau 3 Rhagfyr am hanner dydd"
    assert format_meeting(at.replace(hour=0), "Europe/London", "en") == \
        "Thursday 3 December at midnight"


# --- When the template has no approved version in their language ----------------------

def test_a_missing_language_is_said_plainly_and_nothing_is_sent(app, db, worker):
    alex = person(worker, language="pl")
    response = compose(worker, alex, english_version(db), action="review")
    page = text_of(response)
    assert ("“The door stays open” has no approved Polish (polski) version yet, and their "
            "texts go in Polish (polski). Choose: send the English version, or ask a reviewer "
            "for the Polish (polski) version.") in page
    assert "Check your text" not in page
    assert messages.for_contact(db, alex) == []


def test_the_worker_can_send_the_english_version_instead(app, db, worker):
    alex = person(worker, language="pl")
    shown = schedule(worker, alex, english_version(db), language_choice="en")
    [message] = messages.for_contact(db, alex)
    assert shown == message["body"] == ENGLISH_TEXT
    assert message["language"] == "en"
    assert message["template_fields"]["language_choice"] == "en"


def test_the_worker_can_send_welsh_and_english_where_the_template_has_both(app, db, user_ids):
    approve_welsh(db, user_ids)
    worker = client_for(app, "worker")
    alex = person(worker, language="ro")
    page = text_of(compose(worker, alex, english_version(db)))
    assert ("has no approved Romanian (română) version yet, and their texts go in Romanian "
            "(română). Choose: send the English version, or ask a reviewer for the Romanian "
            "(română) version.") in page  # outside Standards mode: no Welsh for them
    ignored = post_form(worker, "/compose/preview", {
        "contact_id": alex, "template_version_id": english_version(db), "when": "now",
        "language_choice": "bilingual"}, page="/compose/").get_json()
    assert ignored["body"] is None  # a choice that was not offered is not taken
    app.config.update(WELSH_LANGUAGE_STANDARDS=True)
    page = text_of(compose(worker, alex, english_version(db)))
    assert ("Choose: send the English version, send it in Welsh and English, or ask "
            "a reviewer for the Romanian (română) version.") in page
    shown = schedule(worker, alex, english_version(db), language_choice="bilingual")
    assert shown == WELSH_TEXT + "\n\n" + ENGLISH_TEXT
    assert messages.for_contact(db, alex)[0]["language"] == "cy+en"


def test_asking_a_reviewer_keeps_what_was_typed_and_the_reviewer_sees_the_request(
        app, db, user_ids, worker, reviewer):
    alex = person(worker, language="cy")
    response = post_form(worker, "/compose/ask-translation", {
        "contact_id": alex, "template_version_id": english_version(db),
        "personal": "See you soon.", "when": "now"}, page="/compose/")
    page = text_of(response)
    assert response.status_code == 200
    assert ("Asked the reviewers for the Welsh (Cymraeg) version of “The door stays open”."
            in page)
    assert 'value="See you soon."' in page
    assert messages.for_contact(db, alex) == []
    [event] = db.query("SELECT * FROM events WHERE action = ?",
                       ["template.translation_requested"])
    assert event["actor_id"] == user_ids["worker"]
    assert json.loads(event["detail"]) == {"language": "cy", "template_id": "door-stays-open"}
    library = text_of(reviewer.get("/templates/"))
    assert "Versions workers asked for" in library
    assert re.search(r"The door stays open</a> in Welsh \(Cymraeg\) · asked 1 time", library)
    approve_welsh(db, user_ids)  # answered: the request leaves the list
    assert "Versions workers asked for" not in text_of(reviewer.get("/templates/"))


# --- Versions per language, reviewed by reviewers who read them ------------------------

def test_a_welsh_reviewer_approves_a_welsh_version_and_an_english_only_reviewer_is_refused(
        app, db, user_ids, reviewer, admin):
    second_reviewer = client_for(app, "second_reviewer")
    # An admin gives the first reviewer Welsh; the second reads English only.
    response = post_form(admin, f"/admin/users/{user_ids['reviewer']}/languages",
                         {"languages": ["en", "cy"]}, page="/admin/users")
    assert response.status_code == 302
    assert users.get(db, user_ids["reviewer"])["languages"] == "en,cy"
    url = "/templates/door-stays-open/new-version?language=cy"
    page = text_of(reviewer.get(url))
    assert "The English version in use (version 1), for reference:" in page
    form = {"title": "The door stays open", "situation": "went-quiet", "strategy": "validate",
            "when_to_use": "Maen nhw wedi mynd yn dawel.", "body": WELSH_DOOR, "notes": ""}
    response = post_form(reviewer, url, form)
    assert response.status_code == 302
    draft = sms_templates.pending_draft(db, "door-stays-open", "cy")
    review_url = f"/templates/door-stays-open/v{draft['version']}"
    assert "reads Welsh (Cymraeg)" in text_of(second_reviewer.get(review_url))

    refused = post_form(second_reviewer, review_url + "/review", {"decision": "approve"},
                        page=review_url)
    assert refused.status_code == 403
    assert ("This version is in Welsh (Cymraeg), which is not on your account, so you cannot "
            "approve or reject it: a reviewer who reads Welsh (Cymraeg) must check it."
            in text_of(refused))
    assert sms_templates.get_version(db, draft["id"])["status"] == "draft"

    post_form(admin, f"/admin/users/{user_ids['second_reviewer']}/languages",
              {"languages": ["en", "cy"]}, page="/admin/users")
    approved = post_form(second_reviewer, review_url + "/review", {"decision": "approve"},
                         page=review_url)
    assert approved.status_code == 302
    assert sms_templates.get_version(db, draft["id"])["status"] == "approved"
    assert set(sms_templates.usable_languages(db, "door-stays-open")) == {"en", "cy"}
    library = text_of(reviewer.get("/templates/"))
    assert re.search(r'data-template="door-stays-open".*?Approved in: English, Welsh '
                     r'\(Cymraeg\)', library, flags=re.S)
    actions = [(e["action"], e["detail"].get("language")) for e in events.for_subject(
        db, "template_version", draft["id"])]
    assert actions == [("template.drafted", "cy"), ("template.approved", "cy")]
    changed = [e for e in events.for_subject(db, "user", user_ids["second_reviewer"])
               if e["action"] == "user.languages_changed"]
    assert [(e["actor_id"], e["detail"]) for e in changed] == [
        (user_ids["admin"], {"languages": ["en", "cy"]})]


def test_an_english_only_reviewer_cannot_write_a_welsh_version(reviewer, db):
    url = "/templates/door-stays-open/new-version?language=cy"
    response = post_form(reviewer, url, {
        "title": "The door stays open", "situation": "went-quiet", "strategy": "validate",
        "when_to_use": "Quiet.", "body": WELSH_DOOR, "notes": ""})
    assert response.status_code == 400
    assert ("Welsh (Cymraeg) is not on your account, so you cannot write a version in it."
            in text_of(response))
    assert sms_templates.pending_draft(db, "door-stays-open", "cy") is None


def test_the_database_refuses_an_approval_by_a_reviewer_who_does_not_read_the_language(
        db, user_ids):
    welsh_readers(db, user_ids, "reviewer")
    english = sms_templates.usable_version_of(db, "door-stays-open")
    proposed = template_workflows.propose_version(
        db, {**{k: english[k] for k in ("title", "situation", "strategy", "when_to_use")},
             "body": WELSH_DOOR}, author_id=user_ids["reviewer"],
        template_id="door-stays-open", language="cy")
    draft = sms_templates.version_by_number(db, "door-stays-open", proposed.version)
    with pytest.raises(template_workflows.NotTheirLanguage):
        template_workflows.review_version(db, draft, status="approved", note="",
                                          reviewer_id=user_ids["second_reviewer"],
                                          reviewer_name="Ravi", reviewer_languages="en")
    with pytest.raises(Exception, match="reviewer who reads its language"):
        db.execute("UPDATE template_versions SET status = 'approved', reviewed_by = ?"
                   " WHERE id = ?", [user_ids["second_reviewer"], draft["id"]])
    assert sms_templates.get_version(db, draft["id"])["status"] == "draft"


def test_starter_translations_wait_for_a_fluent_reviewer_and_no_worker_sees_them(
        app, db, user_ids, worker):
    """Part 2 ships templates_sms/<lang>/<id>.toml; `read_library` then gives each file's
    fields with `language` and `needs_fluent_review`. Here: the English starter's fields
    as a Welsh file would give them."""
    english_files, _ = read_library(ROOT / "templates_sms")
    door = next(f for f in english_files if f["id"] == "door-stays-open")
    welsh_file = {**door, "body": WELSH_DOOR, "language": "cy", "needs_fluent_review": True,
                  "source_hash": "cy-" + door["source_hash"]}
    loaded = template_workflows.load_library(db, [door, welsh_file])
    assert loaded.proposed == ("door-stays-open (cy)",) and loaded.unchanged == ("door-stays-open",)
    draft = sms_templates.pending_draft(db, "door-stays-open", "cy")
    assert (draft["status"], draft["needs_fluent_review"], draft["source"]) == ("draft", 1, "library")
    # The demo reviewer approves English starters, never a translation.
    assert draft["id"] not in [v["id"] for v in sms_templates.waiting_library_drafts(db)]
    # Workers see none of it: a Welsh person's text is not in Welsh, and the page says so.
    alex = person(worker, language="cy")
    page = text_of(compose(worker, alex, english_version(db)))
    assert "has no approved Welsh (Cymraeg) version yet" in page
    assert "Roeddwn i eisiau" not in page
    assert worker.get(f"/templates/door-stays-open/v{draft['version']}").status_code == 404
    reviewer = client_for(app, "reviewer")
    library = text_of(reviewer.get("/templates/"))
    assert "Needs review by a fluent reviewer: a machine-assisted translation." in library
    # Loading the same file again adds nothing; a changed one waits for this one's review.
    again = template_workflows.load_library(db, [door, welsh_file])
    assert again.unchanged == ("door-stays-open", "door-stays-open (cy)")
    changed = {**welsh_file, "source_hash": "changed"}
    assert template_workflows.load_library(db, [changed]).waiting == ("door-stays-open (cy)",)


# --- The consent text ------------------------------------------------------------------

def test_the_consent_text_goes_in_welsh_to_someone_who_chose_welsh(app, db, worker):
    alex = contact_id_from(add_contact(worker, name="Alex", consent="confirm_by_text",
                                       language="cy"))
    [message] = messages.for_contact(db, alex)
    assert message["purpose"] == "consent_request"
    assert message["body"] == (
        "Helo Alex, Sam sydd yma. Hoffwn anfon neges destun atoch weithiau am ein "
        "cyfarfodydd, heb angen ateb. Atebwch YES os yw hynny'n iawn, neu STOP unrhyw bryd.")
    assert message["language"] == "cy"


def test_the_consent_text_is_bilingual_when_their_language_is_not_known_in_standards_mode(
        app, db):
    app.config.update(WELSH_LANGUAGE_STANDARDS=True)
    worker = client_for(app, "worker")
    alex = contact_id_from(add_contact(worker, name="Alex", consent="confirm_by_text",
                                       ok_to_name_service="y"))
    [message] = messages.for_contact(db, alex)
    welsh, english = message["body"].split("\n\n")
    assert welsh.startswith("Helo Alex, Sam o Riverside Outreach sydd yma.")
    assert english.startswith("Hi Alex, it's Sam from Riverside Outreach.")
    assert message["language"] == "cy+en"


def test_outside_standards_mode_the_consent_text_for_someone_not_asked_stays_english(
        worker, db):
    alex = contact_id_from(add_contact(worker, name="Alex", consent="confirm_by_text"))
    assert messages.for_contact(db, alex)[0]["body"].startswith("Hi Alex, it's Sam.")


def test_accounts_page_needs_at_least_one_language(admin, db, user_ids):
    response = post_form(admin, f"/admin/users/{user_ids['reviewer']}/languages", {},
                         page="/admin/users")
    assert response.status_code == 400
    assert "Choose at least one language the account reads." in text_of(response)
    assert users.get(db, user_ids["reviewer"])["languages"] == "en"



def test_a_new_english_version_while_translations_wait_compares_with_the_english_in_use(
        app, db, reviewer):
    second_reviewer = client_for(app, "second_reviewer")
    template_workflows.load_library(db, read_library(ROOT / "templates_sms")[0])
    english = sms_templates.versions_of(db, "door-stays-open")
    in_use = next(v for v in english if v["language"] == "en" and v["status"] == "approved")
    body = in_use["body"].replace("I wanted to say hello.", "I wanted to say hello again.")
    response = post_form(reviewer, "/templates/door-stays-open/new-version", {
        "title": "The door stays open", "situation": "went-quiet",
        "strategy": "door stays open", "when_to_use": "They went quiet.", "body": body,
        "notes": "Warmer."}, page="/templates/door-stays-open/new-version")
    assert response.status_code == 302
    draft = sms_templates.pending_draft(db, "door-stays-open", "en")
    assert draft["body"] == body and draft["language"] == "en"
    page = text_of(reviewer.get(f"/templates/door-stays-open/v{draft['version']}"))
    assert f"Changes from version {in_use['version']} (approved)" in page
    review_url = f"/templates/door-stays-open/v{draft['version']}"
    assert post_form(second_reviewer, review_url + "/review", {"decision": "approve"},
                     page=review_url).status_code == 302
    usable = sms_templates.usable_languages(db, "door-stays-open")
    assert set(usable) == {"en"}  # the waiting translations are not in use
    assert usable["en"]["body"] == body


def test_a_choice_left_from_another_template_never_overrides_their_language(app, db, user_ids):
    approve_welsh(db, user_ids)
    worker = client_for(app, "worker")
    alex = person(worker, language="cy")
    shown = schedule(worker, alex, english_version(db), language_choice="en")
    assert shown == WELSH_TEXT
    assert messages.for_contact(db, alex)[0]["language"] == "cy"


def test_an_english_line_inside_a_welsh_text_is_still_checked(app, db, user_ids):
    approve_welsh(db, user_ids)
    worker = client_for(app, "worker")
    alex = person(worker, language="cy")
    body = post_form(worker, "/compose/preview", {
        "contact_id": alex, "template_version_id": english_version(db), "when": "now",
        "personal": "You need to calm down, the police were called."},
        page="/compose/").get_json()
    assert "You need to calm down" in body["body"]  # it goes in as typed...
    codes = {warning["code"] for warning in body["warnings"]}
    assert {"blame", "privacy"} <= codes  # ...and the English lists still read it
