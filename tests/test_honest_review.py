"""Honesty about review: starter wording ships as drafted by the Mend project, not yet
reviewed by this service, and reaches workers only after a reviewer of this service
approves it in the app. Old versions move to plain placeholders without a word of what
they send changing, and without inventing a review."""
import html
import re
from pathlib import Path

import pytest

from actions import templates as workflows
from app import create_app
from sms.library import read_library
from sms.rendering import render_text
from storage import migrations, sms_templates, users
from storage.connection import connect
from tests.harness.database import ACCOUNTS, PASSWORD_HASH
from tests.harness.pages import add_contact, client_for, post_form

LIBRARY = Path(__file__).resolve().parent.parent / "templates_sms"
STARTER_NOTE = ("Drafted by the Mend project from the practice guidance, not yet reviewed "
                "by this service.")


def text_of(response):
    return html.unescape(response.get_data(as_text=True))


def words_of(response):
    """What a reader reads: the page's text without tags, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))
                    .split())


@pytest.fixture
def unreviewed_app(tmp_path, app_config):
    """A service that has just loaded the starter files: nobody has reviewed them."""
    path = str(tmp_path / "fresh.db")
    db = connect(path)
    migrations.upgrade(db)
    workflows.load_library(db, [t for t in read_library(LIBRARY)[0] if t["language"] == "en"])
    for key, (email, name, role) in ACCOUNTS.items():
        users.create(db, email=email, name=name, role=role, password_hash=PASSWORD_HASH)
    db.close()
    return create_app({**app_config, "DATABASE_PATH": path})


def test_starter_wording_never_claims_a_review_and_workers_see_none_of_it(unreviewed_app):
    worker = client_for(unreviewed_app, "worker")
    page = text_of(worker.get("/templates/"))
    assert ("No template is approved for use yet, so no one can write a text. A reviewer "
            "(clinical lead) of this service must read and approve the starter wording "
            "first.") in " ".join(page.split())
    assert "The door stays open" not in page
    add_contact(worker)
    compose = text_of(worker.get("/compose/"))
    options = compose.split('id="template_version_id"')[1].split("</select>")[0]
    assert re.findall(r"<option[^>]*>([^<]+)</option>", options) == ["Choose a template"]
    for file in LIBRARY.rglob("*.toml"):  # every language's files
        assert "reviewed_by" not in file.read_text()


def test_the_library_shows_reviewers_each_starter_waiting_with_text_notes_and_checks(
        unreviewed_app):
    reviewer = client_for(unreviewed_app, "reviewer")
    page = words_of(reviewer.get("/templates/"))
    assert "Starter wording waiting for review" in page
    assert STARTER_NOTE in page
    assert page.count("Starter library: drafted by the Mend project, from the practice "
                      "guidance") == len(list(LIBRARY.glob("*.toml")))
    assert ("Hi {name}, it's {worker}. I wanted to say hello. {personal} I'm here when "
            "you want to talk. No need to reply.") in page
    assert "Notes: No question to answer and no deadline, so silence is fine." in page
    assert "it passes every check Mend makes" in page
    assert 'Review “The door stays open”' in page
    assert "Dr Priya Shah" not in page


def test_a_reviewer_of_the_service_approves_a_starter_and_only_then_workers_can_use_it(
        unreviewed_app):
    reviewer, worker = client_for(unreviewed_app, "reviewer"), client_for(unreviewed_app,
                                                                          "worker")
    version = text_of(reviewer.get("/templates/door-stays-open/v1"))
    assert "Not yet reviewed by this service" in version
    assert ("Proposed from the starter library (drafted by the Mend project, from the "
            "practice guidance), not yet reviewed by this service. Workers cannot use this "
            "template until a reviewer approves it.") in " ".join(version.split())
    response = post_form(reviewer, "/templates/door-stays-open/v1/review",
                         {"decision": "approve", "note": ""},
                         page="/templates/door-stays-open/v1")
    assert response.status_code == 302
    page = " ".join(text_of(worker.get("/templates/")).split())
    assert "The door stays open" in page
    assert "approved by Rita Reviewer on" in page


def test_a_changed_file_waits_for_review_and_the_page_says_the_old_one_stays_in_use(
        app, reviewer, db, tmp_path):
    folder = tmp_path / "library"
    folder.mkdir()
    for file in LIBRARY.glob("*.toml"):
        (folder / file.name).write_text(file.read_text())
    path = folder / "door-stays-open.toml"
    path.write_text(path.read_text().replace("I wanted to say hello.",
                                             "I wanted to say hello again."))
    assert workflows.load_library(db, read_library(folder)[0]).proposed == ("door-stays-open",)
    page = " ".join(text_of(reviewer.get("/templates/door-stays-open/v2")).split())
    assert "Workers keep using version 1 until a reviewer approves this one." in page
    library = " ".join(text_of(reviewer.get("/templates/")).split())
    assert "replaces version 1 only once approved" in library


def test_the_demo_has_two_reviewers_and_says_its_starters_are_approved_for_the_demo(
        tmp_path, app_config, monkeypatch):
    path = str(tmp_path / "demo.db")
    with monkeypatch.context() as cli:  # loaded as the flask CLI loads it, as make run does
        cli.setenv("FLASK_RUN_FROM_CLI", "true")
        runner = create_app({**app_config, "DATABASE_PATH": path}).test_cli_runner()
        assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
        assert runner.invoke(args=["templates", "load"]).exit_code == 0
        demo = runner.invoke(args=["users", "demo"])
    count = len(list(LIBRARY.glob("*.toml")))
    assert f"Approved {count} starter template(s) for the demo as Demo Reviewer" in demo.output
    db = connect(path)
    reviewers = [row["email"] for row in users.all_users(db) if row["role"] == "reviewer"]
    assert reviewers == ["reviewer2@example.org", "reviewer@example.org"]
    db.execute("UPDATE users SET password_hash = ?", [PASSWORD_HASH])
    db.close()
    app = create_app({**app_config, "DATABASE_PATH": path})
    worker = app.test_client()
    post_form(worker, "/login", {"email": "worker@example.org",
                                 "password": "correct horse battery staple"})
    page = " ".join(text_of(worker.get("/templates/")).split())
    assert page.count("approved for the demo by Demo Reviewer") == count


# Two bodies exactly as the starter files held them before the plain form, one that a
# service might have written in the app, and one with no exact plain form.
OLD_BODIES = {
    "feelings-made-sense": (
        "Hi {{ name }}, it's {{ worker }}{% if service %} from {{ service }}{% endif %}. It "
        "makes sense you felt angry today. {% if personal %}{{ personal }} {% endif %}I'd like "
        "to talk about what happened when we next meet, if you want to. No need to reply."),
    "still-here-next-meeting": (
        "Hi {{ name }}, it's {{ worker }}{% if service %} from {{ service }}{% endif %}. Sorry "
        "we missed each other. {% if personal %}{{ personal }} {% endif %}I'll be there on "
        "{{ next_meeting }} if that works for you. No need to reply."),
    "written-in-the-app": (
        "{{ name }}, it's {{ worker }}{% if service %} from {{ service }}{% endif %}.\n"
        "{% if personal %}{{ personal }}{% endif %}"),
    "custom-logic": (
        "Hi {{ name }}, it's {{ worker }}. {% if not service %}Thinking of you.{% endif %} "
        "{{ personal }}"),
}
VALUE_SETS = [
    {"name": "Alex", "worker": "Sam", "service": service, "personal": personal,
     "next_meeting": "Tuesday 3 December at 2pm"}
    for service in ("", "Riverside Outreach") for personal in ("", "Thinking of you.")]


def old_database(path):
    """A database as Mend left it before issue 12: starter versions approved by a name
    written in a file, with Jinja bodies."""
    db = connect(path)
    db.enable_wal()
    names = [m.name for m in migrations.migrations.pending(db)]
    migrations.migrations.apply(db, stop_before=[n for n in names if n >= "m010"])
    for template_id, body in OLD_BODIES.items():
        db.execute("INSERT INTO sms_templates (id, created_at) VALUES (?, '2026-11-20T09:00:00+00:00')",
                   [template_id])
        db.execute(
            "INSERT INTO template_versions (template_id, version, title, situation, strategy,"
            " when_to_use, body, status, source, source_hash, reviewed_by_name, reviewed_on,"
            " created_at) VALUES (?, 1, ?, 'left-angry', 'validate', 'When they left angry.',"
            " ?, 'approved', 'library', 'old-hash', 'Dr Priya Shah, clinical lead',"
            " '2026-11-20', '2026-11-20T09:00:00+00:00')", [template_id, template_id, body])
    return db


def test_the_migration_rewrites_old_bodies_to_plain_placeholders_sending_the_same_words(
        tmp_path):
    db = old_database(str(tmp_path / "old.db"))
    migrations.upgrade(db)
    rows = {row["template_id"]: row for row in db.query("SELECT * FROM template_versions")}
    assert rows["feelings-made-sense"]["body"] == (
        "Hi {name}, it's {worker}. It makes sense you felt angry today. {personal} I'd like to "
        "talk about what happened when we next meet, if you want to. No need to reply.")
    assert rows["still-here-next-meeting"]["body"] == (
        "Hi {name}, it's {worker}. Sorry we missed each other. {personal} I'll be there on "
        "{next_meeting} if that works for you. No need to reply.")
    assert rows["written-in-the-app"]["body"] == "{name}, it's {worker}.\n{personal}"
    for template_id in ("feelings-made-sense", "still-here-next-meeting", "written-in-the-app"):
        row = rows[template_id]
        assert row["legacy_body"] == OLD_BODIES[template_id]
        for values in VALUE_SETS:
            assert render_text(row["body"], values) == render_text(row["legacy_body"], values)
    custom = rows["custom-logic"]
    assert (custom["body"], custom["legacy_body"]) == (OLD_BODIES["custom-logic"], None)
    assert render_text(custom["body"], VALUE_SETS[1]).body == (
        "Hi Alex, it's Sam. Thinking of you. Thinking of you.")


def test_after_the_migration_nothing_is_claimed_as_reviewed_that_was_not(tmp_path, app_config):
    path = str(tmp_path / "old.db")
    db = old_database(path)
    migrations.upgrade(db)
    assert sms_templates.usable_versions(db) == []  # approved by a name in a file only
    for key, (email, name, role) in ACCOUNTS.items():
        users.create(db, email=email, name=name, role=role, password_hash=PASSWORD_HASH)
    db.close()
    reviewer = client_for(create_app({**app_config, "DATABASE_PATH": path}), "reviewer")
    page = " ".join(text_of(reviewer.get("/templates/feelings-made-sense/v1")).split())
    assert "Not in use: never reviewed in Mend" in page
    assert ("No reviewer of this service: it was loaded as approved from a starter file that "
            "named “Dr Priya Shah, clinical lead”, so workers do not see it") in page
    assert ("Written in Mend's old template format and converted to plain placeholders on"
            in page)
    assert "The text it sends did not change." in page


def test_the_template_text_box_is_described_by_its_placeholder_help(reviewer):
    page = reviewer.get("/templates/new").get_data(as_text=True)
    box = re.search(r"<textarea[^>]*id=\"body\"[^>]*>", page).group(0)
    assert 'aria-describedby="placeholder-help"' in box
    assert 'id="placeholder-help"' in page
    assert "<code>{personal}</code>" in page
