"""The library in the app: reading it, writing versions, four-eyes review, history."""
import html
import re

import pytest

from storage import events, messages, sms_templates
from tests.harness.pages import add_contact, client_for, contact_id_from, post_form

NEW_TEXT = "Hi {name}, it's {worker}. I was glad we met. {personal} No need to reply."


@pytest.fixture
def second_reviewer(app):
    return client_for(app, "second_reviewer")


def text_of(response):
    return html.unescape(response.get_data(as_text=True))


def template_form(**changes):
    return {"title": "Glad to see you", "situation": "after-a-break", "strategy": "validate",
            "when_to_use": "You saw them again after a while.", "body": NEW_TEXT,
            "notes": "Short and warm.", **changes}


def write_draft(client, **changes):
    return post_form(client, "/templates/new", template_form(**changes))


def review(client, template_id, number, decision, note=""):
    return post_form(client, f"/templates/{template_id}/v{number}/review",
                     {"decision": decision, "note": note},
                     page=f"/templates/{template_id}/v{number}")


def actions(db, template_id):
    version_ids = [v["id"] for v in sms_templates.versions_of(db, template_id)]
    return [(e["action"], e["actor_id"]) for e in events.for_subjects(
        db, [("template_version", version_id) for version_id in version_ids])]


def compose_choices(client):
    """The template titles a worker can choose on the compose form."""
    page = client.get("/compose/").get_data(as_text=True)
    if "No one you support has agreed to texts yet." in page:
        add_contact(client)
        page = client.get("/compose/").get_data(as_text=True)
    page = page.split('id="template_version_id"')[1].split("</select>")[0]
    return [html.unescape(title) for title in re.findall(r"<option[^>]*>([^<]+)</option>", page)]


def test_the_library_groups_templates_by_situation_with_who_approved_them(worker):
    page = text_of(worker.get("/templates/"))
    for heading in ("They went quiet or withdrew", "They left angry or upset",
                    "A word landed badly", "We stopped a session early",
                    "We didn't meet after a hard session",
                    "I got something wrong", "Checking in after a break",
                    "They told me something didn't help",
                    "I said no to something they asked",
                    "They may feel awkward about something they said or did",
                    "They told me something, then pulled away"):
        assert f">{heading}</h2>" in page
    assert "The door stays open" in page
    assert ("They have gone quiet or stopped coming. Let them know you are here, with "
            "no pressure.") in page
    assert re.search(r"version 1 ·\s+approved by Rita Reviewer on \w{3} \d+ \w{3} \d{4}", page)
    assert "Dr Priya Shah" not in page
    assert ("Hi Alex, it's Sam. I wanted to say hello. I'm here when you want to talk. "
            "No need to reply.") in page


def test_the_nav_links_to_the_library(worker):
    assert 'href="/templates/">Templates</a>' in worker.get("/dashboard").get_data(as_text=True)


@pytest.mark.parametrize("url", ["/templates/new", "/templates/door-stays-open/new-version"])
def test_workers_and_admins_cannot_write_templates(worker, admin, url):
    assert worker.get(url).status_code == 403
    assert admin.get(url).status_code == 403


def test_a_reviewer_writes_a_draft_that_workers_cannot_see_or_use(reviewer, worker, db,
                                                                  user_ids):
    response = write_draft(reviewer)
    assert response.status_code == 302
    assert response.headers["Location"] == "/templates/glad-to-see-you/v1"
    [draft] = sms_templates.versions_of(db, "glad-to-see-you")
    assert (draft["status"], draft["authored_by"], draft["source"]) == (
        "draft", user_ids["reviewer"], "app")
    assert actions(db, "glad-to-see-you") == [("template.drafted", user_ids["reviewer"])]
    assert "Glad to see you" in text_of(reviewer.get("/templates/"))
    assert "Glad to see you" not in text_of(worker.get("/templates/"))
    assert worker.get("/templates/glad-to-see-you/v1").status_code == 404
    assert "Glad to see you" not in compose_choices(worker)


def test_self_approval_is_refused_with_a_clear_message(reviewer, db):
    write_draft(reviewer)
    response = review(reviewer, "glad-to-see-you", 1, "approve")
    assert response.status_code == 403
    assert ("You wrote this version, so you cannot approve or reject it. Another reviewer "
            "must read it: four eyes on every text that goes out.") in text_of(response)
    assert sms_templates.versions_of(db, "glad-to-see-you")[0]["status"] == "draft"


def test_the_database_itself_refuses_self_approval(reviewer, db, user_ids):
    write_draft(reviewer)
    draft = sms_templates.versions_of(db, "glad-to-see-you")[0]
    with pytest.raises(Exception, match="approved by someone other than its author"):
        db.execute("UPDATE template_versions SET status = 'approved', reviewed_by = ?"
                   " WHERE id = ?", [user_ids["reviewer"], draft["id"]])


def test_a_second_reviewer_approves_and_workers_can_use_it(reviewer, second_reviewer, worker,
                                                           db, user_ids):
    write_draft(reviewer)
    response = review(second_reviewer, "glad-to-see-you", 1, "approve", "Kind and short.")
    assert response.status_code == 302
    approved = sms_templates.versions_of(db, "glad-to-see-you")[0]
    assert (approved["status"], approved["reviewed_by"], approved["review_note"]) == (
        "approved", user_ids["second_reviewer"], "Kind and short.")
    assert actions(db, "glad-to-see-you") == [
        ("template.drafted", user_ids["reviewer"]),
        ("template.approved", user_ids["second_reviewer"])]
    assert "Glad to see you" in compose_choices(worker)
    page = text_of(worker.get("/templates/"))
    assert "approved by Ravi Reviewer on" in page


def test_a_rejection_needs_a_reason_and_never_reaches_compose(reviewer, second_reviewer,
                                                              worker, db, user_ids):
    write_draft(reviewer)
    response = review(second_reviewer, "glad-to-see-you", 1, "reject")
    assert response.status_code == 400
    assert "Say why it is rejected, so the author knows what to change." in text_of(response)
    response = review(second_reviewer, "glad-to-see-you", 1, "reject", "Too vague.")
    assert response.status_code == 302
    assert sms_templates.versions_of(db, "glad-to-see-you")[0]["status"] == "rejected"
    assert "Glad to see you" not in compose_choices(worker)
    assert actions(db, "glad-to-see-you")[-1] == ("template.rejected",
                                                   user_ids["second_reviewer"])
    assert "Too vague." in text_of(reviewer.get("/templates/glad-to-see-you/v1"))


def test_a_settled_version_cannot_be_reviewed_again(reviewer, second_reviewer, db):
    write_draft(reviewer)
    review(second_reviewer, "glad-to-see-you", 1, "approve")
    response = review(second_reviewer, "glad-to-see-you", 1, "reject", "Changed my mind")
    assert response.status_code == 302
    assert "Version 1 was already approved; nothing changed." in text_of(
        second_reviewer.get(response.headers["Location"]))
    assert sms_templates.versions_of(db, "glad-to-see-you")[0]["status"] == "approved"


@pytest.mark.parametrize("changes, message", [
    ({"title": ""}, "Give the template a short title."),
    ({"situation": ""}, "Choose the situation it is for."),
    ({"strategy": ""}, "Choose what the text does."),
    ({"when_to_use": ""}, "Say when to use it, in a sentence or two."),
    ({"body": ""}, "Write the text."),
    ({"body": NEW_TEXT.replace("I was glad", "You need to come back. I was glad")},
     "“You need to” reads as a demand. A repair text offers and leaves the choice with "
     "them: if, when and how to talk."),
    ({"body": NEW_TEXT.replace("we met.", "we met at the hostel.")},
     "“hostel” could tell anyone who sees this phone about their situation. Phones are "
     "often shared or checked by others: leave it out."),
    ({"body": "Hi {name}, it's {worker}. {personal} {phone}"},
     "The template cannot be read: unknown placeholder {phone}. Placeholders are {name}, "
     "{worker}, {next_meeting}, {personal}, {new_worker}, {day}."),
    ({"body": "Hi {{ name }}, it's {{ worker }}. {{ ''.__class__ }}"},
     "This is written in Mend's old template format ({{ name }}, {% if %}). Use plain "
     "placeholders instead: {name}, {worker}, {next_meeting}, {personal}, {new_worker}, {day}."),
    ({"body": "Hi {name}, it's {worker}. I was glad to see you."},
     "Mark the one place where the worker's own line goes with {personal}."),
])
def test_a_draft_that_breaks_a_rule_is_explained_and_nothing_typed_is_lost(reviewer, db,
                                                                         changes, message):
    response = write_draft(reviewer, **changes)
    page = text_of(response)
    assert response.status_code == 400
    assert message in page
    assert "Short and warm." in page
    assert sms_templates.get_template(db, "glad-to-see-you") is None


def test_a_new_version_shows_a_diff_and_replaces_the_old_one_once_approved(
        reviewer, second_reviewer, worker, db):
    form = reviewer.get("/templates/door-stays-open/new-version").get_data(as_text=True)
    assert "I wanted to say hello." in form
    body = sms_templates.versions_of(db, "door-stays-open")[0]["body"].replace(
        "I wanted to say hello.", "I wanted to say hello again.")
    response = post_form(reviewer, "/templates/door-stays-open/new-version", {
        "title": "The door stays open", "situation": "went-quiet",
        "strategy": "door stays open", "when_to_use": "They went quiet.", "body": body,
        "notes": "Warmer."})
    assert response.headers["Location"] == "/templates/door-stays-open/v2"
    page = reviewer.get("/templates/door-stays-open/v2").get_data(as_text=True)
    assert "Changes from version 1 (approved)" in page
    assert "say <del>hello.</del><ins>hello again.</ins>" in page
    assert "<h3>When to use it</h3>" in page
    assert "<h3>Title</h3>" not in page
    assert "Version 1 is waiting" not in page
    assert "The door stays open" in compose_choices(worker)
    review(second_reviewer, "door-stays-open", 2, "approve")
    [usable] = [v for v in sms_templates.usable_versions(db)
                if v["template_id"] == "door-stays-open"]
    assert usable["version"] == 2
    old = worker.get("/templates/door-stays-open/v1")
    assert old.status_code == 200
    assert "I wanted to say hello." in old.get_data(as_text=True)


def test_only_one_draft_waits_at_a_time(reviewer, second_reviewer, db):
    write_draft(reviewer)
    response = second_reviewer.get("/templates/glad-to-see-you/new-version")
    assert response.headers["Location"] == "/templates/glad-to-see-you/v1"
    assert ("Version 1 is waiting for review. It needs approving or rejecting before anyone "
            "writes another version.") in text_of(second_reviewer.get("/templates/"))


def test_retiring_a_template_takes_it_out_of_compose_and_keeps_its_history(
        reviewer, worker, db, user_ids):
    response = post_form(reviewer, "/templates/door-stays-open/retire",
                         {"reason": "Replaced by no-rush-no-pressure."},
                         page="/templates/door-stays-open")
    assert response.status_code == 302
    assert "The door stays open" not in compose_choices(worker)
    page = text_of(worker.get("/templates/"))
    assert "Retired" in page and "Replaced by no-rush-no-pressure." in page
    assert worker.get("/templates/door-stays-open/v1").status_code == 200
    assert actions(db, "door-stays-open")[-1] == ("template.retired", user_ids["reviewer"])


def test_retiring_needs_a_reason(reviewer, db):
    response = post_form(reviewer, "/templates/door-stays-open/retire", {"reason": " "},
                         page="/templates/door-stays-open")
    assert response.status_code == 400
    assert "Say why it is being retired, for the history." in text_of(response)
    assert sms_templates.get_template(db, "door-stays-open")["retired_at"] is None


def test_a_worker_cannot_retire_or_review(worker, reviewer):
    write_draft(reviewer)
    assert post_form(worker, "/templates/door-stays-open/retire", {"reason": "x"},
                     page="/templates/").status_code == 403
    assert post_form(worker, "/templates/glad-to-see-you/v1/review",
                     {"decision": "approve"}, page="/templates/").status_code == 403


def test_a_draft_version_id_posted_to_compose_is_refused(reviewer, worker, db):
    write_draft(reviewer)
    draft = sms_templates.versions_of(db, "glad-to-see-you")[0]
    contact_id = contact_id_from(add_contact(worker))
    response = post_form(worker, "/compose/", {
        "contact_id": contact_id, "template_version_id": draft["id"], "action": "confirm"})
    assert response.status_code == 200
    assert "That template has not been approved for use. Choose another." in text_of(response)
    assert messages.for_contact(db, contact_id) == []


def test_template_text_is_escaped_on_every_page(reviewer, second_reviewer):
    write_draft(reviewer, title="<script>alert(1)</script>",
                when_to_use="<b>bold</b> when needed")
    library = reviewer.get("/templates/").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in library
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in library
    version = reviewer.get("/templates/script-alert-1-script/v1").get_data(as_text=True)
    assert "<b>bold</b>" not in version


@pytest.mark.parametrize("old, new, segments", [
    ("I am here.", "I am here.", [("same", "I am here.")]),
    ("I am here.", "I am still here.", [("same", "I am "), ("added", "still "),
                                        ("same", "here.")]),
    ("Sorry we missed you.", "Sorry we missed each other.",
     [("same", "Sorry we missed "), ("removed", "you."), ("added", "each other.")]),
    ("", "New text", [("added", "New text")]),
])
def test_the_diff_marks_words_removed_and_added(old, new, segments):
    from web.sms_templates import word_diff
    assert word_diff(old, new) == segments


def test_every_library_route_checks_the_role(app):
    views = {rule.endpoint: app.view_functions[rule.endpoint] for rule in app.url_map.iter_rules()
             if rule.endpoint.startswith("sms_templates.")}
    assert len(views) == 7
    assert {name: view.allowed_roles for name, view in views.items()} == {
        "sms_templates.library": ("worker", "reviewer", "admin"),
        "sms_templates.history": ("worker", "reviewer", "admin"),
        "sms_templates.version": ("worker", "reviewer", "admin"),
        "sms_templates.new_template": ("reviewer",),
        "sms_templates.new_version": ("reviewer",),
        "sms_templates.review": ("reviewer",),
        "sms_templates.retire": ("reviewer",),
    }


def test_an_admin_sees_drafts_waiting_but_cannot_review_them(reviewer, admin):
    write_draft(reviewer)
    assert "Glad to see you" in text_of(admin.get("/templates/"))
    page = text_of(admin.get("/templates/glad-to-see-you/v1"))
    assert "Waiting for review" in page
    assert "Record decision" not in page
    assert review(admin, "glad-to-see-you", 1, "approve").status_code == 403


def test_a_draft_that_fails_a_check_today_cannot_be_approved(second_reviewer, db, user_ids):
    sms_templates.create_draft(db, template_id="old-draft", authored_by=user_ids["reviewer"],
                               fields={**template_form(), "body": NEW_TEXT.replace(
                                   "we met.", "we met at the hostel.")})
    response = review(second_reviewer, "old-draft", 1, "approve")
    assert response.status_code == 400
    assert ("It cannot be approved: “hostel” could tell anyone who sees this phone about "
            "their situation. Phones are often shared or checked by others: leave it out."
            ) in text_of(response)
    assert sms_templates.versions_of(db, "old-draft")[0]["status"] == "draft"


def test_a_settled_version_cannot_be_edited_even_in_the_database(db):
    version = sms_templates.versions_of(db, "door-stays-open")[0]
    with pytest.raises(Exception, match="cannot change"):
        db.execute("UPDATE template_versions SET body = 'x' WHERE id = ?", [version["id"]])
    with pytest.raises(Exception, match="template versions are kept"):
        db.execute("DELETE FROM template_versions WHERE id = ?", [version["id"]])
