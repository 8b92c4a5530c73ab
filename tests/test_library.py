"""The reviewed starter library: its rules, its checker and how it loads."""
import json
import shutil
from pathlib import Path

import pytest

from sms.library import (SITUATIONS, STRATEGIES, TYPICAL_PERSONAL, read_library,
                         typical_render)
from actions import templates as workflows
from sms.team import SENT_BY_MEND
from storage import sms_templates, users
from storage.connection import connect
from storage.migrations import upgrade

LIBRARY = Path(__file__).resolve().parent.parent / "templates_sms"
STARTER_IDS = ("door-stays-open", "feelings-made-sense", "i-got-it-wrong",
               "still-here-next-meeting")


def library():
    """The English starters (the ones `templates load` proposes today)."""
    templates, problems = read_library(LIBRARY)
    assert problems == []
    return [t for t in templates if t["language"] == "en"]


def test_the_library_has_at_least_twelve_templates_covering_every_situation():
    templates = library()
    assert len(templates) >= 12
    assert {t["situation"] for t in templates} == set(SITUATIONS)
    assert {t["strategy"] for t in templates} <= set(STRATEGIES)
    assert set(STARTER_IDS) <= {t["id"] for t in templates}


@pytest.mark.parametrize("fields", [t for t in library() if t["situation"] not in SENT_BY_MEND],
                         ids=lambda fields: fields["id"])
def test_each_template_fits_one_part_with_typical_values_and_two_with_a_personal_line(fields):
    for allowed in (True, False):
        plain = typical_render(fields["body"], service_name="Mend", service_allowed=allowed)
        assert (plain.encoding, plain.parts) == ("GSM-7", 1), plain.body
        assert plain.body.startswith("Hi Alex, it's Sam")
        longer = typical_render(fields["body"], service_name="Mend", service_allowed=allowed,
                                personal=TYPICAL_PERSONAL)
        assert longer.parts <= 2
        assert TYPICAL_PERSONAL in longer.body


def english_files(folder):
    return [t for t in read_library(folder)[0] if t["language"] == "en"]


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def test_templates_check_passes_on_the_shipped_library_and_counts_each_language(app):
    result = run(app, "templates", "check")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[:3] == ["105 template(s) checked: no problems.", "  English: 21",
                         "  Welsh (Cymraeg): 21, each needs a fluent reviewer; 21 fit with "
                         "the English in 2 to 4 parts"]
    assert [line.split(":")[0] for line in lines[3:6]] == [
        "  Polish (polski)", "  Romanian (română)", "  Arabic (العربية)"]
    assert all(", each needs a fluent reviewer" in line for line in lines[3:6])
    assert lines[6] == ("Reading age is measured in English only. The word lists for other "
                        "languages were written by the project, not a fluent speaker.")


def write(folder, name, text):
    (folder / name).write_text(text, encoding="utf-8")


GOOD_FILE = '''id = "{id}"
title = "Still here"
situation = "went-quiet"
strategy = "door stays open"
when_to_use = "They went quiet."
body = """{body}"""
drafted_by = "the Mend project, from the practice guidance"
'''


def test_templates_check_prints_a_line_per_problem_and_exits_1(app, tmp_path):
    write(tmp_path, "broken.toml", 'id = "broken"\ntitle = ')
    write(tmp_path, "short.toml", 'id = "short"\ntitle = "Short"\nsituation = "sad"\n')
    write(tmp_path, "pushy.toml", GOOD_FILE.format(
        id="pushy", body="Hi {name}, it's {worker}. {personal} You need to reply."))
    write(tmp_path, "fine.toml", GOOD_FILE.format(
        id="fine", body="Hi {name}, it's {worker}. {personal} I'm here. No need to reply."))
    write(tmp_path, "claims.toml", GOOD_FILE.format(
        id="claims", body="Hi {name}, it's {worker}. {personal} I'm here.")
        + 'reviewed_by = "Dr Priya Shah, clinical lead"\nreviewed_on = 2026-11-20\n')
    result = run(app, "templates", "check", "--folder", str(tmp_path))
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "broken.toml: (file): not valid TOML: Invalid value (at end of document)",
        "claims.toml: reviewed_by: Mend no longer reads this: a reviewer of your service "
        "approves each template in the app. Take out reviewed_by and reviewed_on.",
        "claims.toml: reviewed_on: Mend no longer reads this: take out reviewed_by and "
        "reviewed_on.",
        "pushy.toml: body: “You need to” reads as a demand. A repair text offers and leaves "
        "the choice with them: if, when and how to talk.",
        "short.toml: strategy: is missing",
        "short.toml: when_to_use: is missing",
        "short.toml: body: is missing",
        "short.toml: drafted_by: is missing",
        "short.toml: situation: 'sad' is not one of " + ", ".join(SITUATIONS),
    ]


@pytest.mark.parametrize("text, output", [
    ("Hi Alex", {"encoding": "GSM-7", "characters": 7, "parts": 1, "replaced": [],
                 "non_gsm": []}),
    ("it\u2019s \u20ac5", {"encoding": "GSM-7", "characters": 8, "parts": 1,
                           "replaced": [{"original": "\u2019", "replacement": "'", "count": 1}],
                           "non_gsm": []}),
    ("Crêpe \U0001F60A", {"encoding": "UCS-2", "characters": 8, "parts": 1, "replaced": [],
                          "non_gsm": ["ê", "\U0001F60A"]}),
    ("a" * 161, {"encoding": "GSM-7", "characters": 161, "parts": 2, "replaced": [],
                 "non_gsm": []}),
])
def test_sms_count_json_reports_what_the_carrier_will_bill(app, text, output):
    result = run(app, "sms", "count", text, "--json")
    assert result.exit_code == 0
    assert json.loads(result.output) == output


def test_sms_count_prints_a_readable_summary(app):
    result = run(app, "sms", "count", "It\u2019s Zoë")
    assert result.output.splitlines() == [
        "Encoding:   UCS-2",
        "Characters: 8",
        "Parts:      1",
        "Replaced:   \u2019 -> ' (x1)",
        "Not GSM-7:  ë",
    ]


@pytest.fixture
def fresh_db(tmp_path):
    db = connect(tmp_path / "library.db")
    upgrade(db)
    yield db
    db.close()


def versions(db):
    return [(row["template_id"], row["version"], row["status"], row["source"],
             row["drafted_by"])
            for row in db.query("SELECT * FROM template_versions ORDER BY template_id, version")]


@pytest.fixture
def reviewer(fresh_db):
    user_id = users.create(fresh_db, email="kay@example.org", name="Kay Lead", role="reviewer",
                           password_hash="x")
    return users.get(fresh_db, user_id)


def approve(db, reviewer, template_id):
    draft = sms_templates.pending_draft(db, template_id)
    assert workflows.review_version(db, draft, status="approved", note="",
                                    reviewer_id=reviewer["id"], reviewer_name=reviewer["name"])


def test_loading_proposes_the_starters_for_review_and_approves_nothing(fresh_db):
    loaded = workflows.load_library(fresh_db, library())
    assert sorted(loaded.proposed) == sorted(t["id"] for t in library())
    assert all(row[2:] == ("draft", "library", "the Mend project, from the practice guidance")
               for row in versions(fresh_db))
    assert sms_templates.usable_versions(fresh_db) == []
    proposed = [row["action"] for row in fresh_db.query("SELECT action FROM events")]
    assert proposed == ["template.proposed"] * len(library())


def test_loading_the_library_twice_creates_no_duplicates(fresh_db):
    workflows.load_library(fresh_db, library())
    before = versions(fresh_db)
    again = workflows.load_library(fresh_db, library())
    assert (again.proposed, sorted(again.unchanged)) == ((), sorted(t["id"] for t in library()))
    assert versions(fresh_db) == before


def test_no_version_can_be_inserted_as_approved_even_by_raw_sql(fresh_db):
    workflows.load_library(fresh_db, library())
    with pytest.raises(Exception, match="a reviewer approves it in the app"):
        fresh_db.execute(
            "INSERT INTO template_versions (template_id, version, title, situation, strategy,"
            " when_to_use, body, status, source, created_at) SELECT template_id, 9, title,"
            " situation, strategy, when_to_use, body, 'approved', 'library', created_at"
            " FROM template_versions LIMIT 1")


def test_a_changed_file_never_overrides_an_approved_version(fresh_db, tmp_path, reviewer):
    folder = tmp_path / "library"
    shutil.copytree(LIBRARY, folder)
    workflows.load_library(fresh_db, english_files(folder))
    approve(fresh_db, reviewer, "door-stays-open")
    path = folder / "door-stays-open.toml"
    path.write_text(path.read_text().replace("I wanted to say hello.",
                                             "I wanted to say hello again."))
    loaded = workflows.load_library(fresh_db, english_files(folder))
    assert loaded.proposed == ("door-stays-open",)
    rows = [v[:3] for v in versions(fresh_db) if v[0] == "door-stays-open"]
    assert rows == [("door-stays-open", 1, "approved"), ("door-stays-open", 2, "draft")]
    usable = {v["template_id"]: v for v in sms_templates.usable_versions(fresh_db)}
    assert usable["door-stays-open"]["version"] == 1
    assert "hello again" not in usable["door-stays-open"]["body"]

    path.write_text(path.read_text().replace("hello again.", "hello once more."))
    held = workflows.load_library(fresh_db, english_files(folder))
    assert held.waiting == ("door-stays-open",)  # one proposal at a time
    approve(fresh_db, reviewer, "door-stays-open")
    usable = {v["template_id"]: v for v in sms_templates.usable_versions(fresh_db)}
    assert "hello again" in usable["door-stays-open"]["body"]


def test_templates_load_proposes_the_translations_once_and_then_nothing(app, db):
    """The test set-up loaded the English starters; `templates load` adds each
    translation as a version waiting for a fluent reviewer, once."""
    everything = read_library(LIBRARY)[0]
    translations = len(everything) - len(library())
    first = run(app, "templates", "load")
    again = run(app, "templates", "load")
    assert first.exit_code == again.exit_code == 0
    assert first.output == (f"{len(everything)} template(s) in the library; {translations} "
                            "new or changed, proposed for review (a reviewer approves each "
                            "in the app).\n")
    assert "; 0 new or changed" in again.output
    waiting = list(db.query("SELECT language, count(*) AS n FROM template_versions WHERE "
                            "status = 'draft' AND needs_fluent_review = 1 GROUP BY language"))
    assert {row["language"]: row["n"] for row in waiting} == {
        "cy": len(library()), "pl": len(library()), "ro": len(library()), "ar": len(library())}


def test_the_demo_reviewer_approves_the_starters_saying_it_is_for_the_demo(fresh_db):
    workflows.load_library(fresh_db, library())
    not_demo = users.get(fresh_db, users.create(fresh_db, email="kay@example.org",
                                                name="Kay Lead", role="reviewer",
                                                password_hash="x"))
    assert workflows.approve_starters_for_demo(fresh_db, reviewer=not_demo) == 0
    demo = users.get(fresh_db, users.create(fresh_db, email="reviewer@example.org",
                                            name="Demo Reviewer", role="reviewer",
                                            password_hash="x", demo=True))
    assert workflows.approve_starters_for_demo(fresh_db, reviewer=demo) == len(library())
    rows = list(fresh_db.query("SELECT DISTINCT status, reviewed_by, review_note"
                               " FROM template_versions"))
    assert rows == [{"status": "approved", "reviewed_by": demo["id"],
                     "review_note": workflows.DEMO_APPROVAL_NOTE}]


@pytest.mark.parametrize("template_id, parts", [("moving-on", 1), ("out-of-hours-reply", 2)])
def test_the_texts_mend_sends_itself_stay_short(template_id, parts):
    """The auto-reply names two helplines, so it takes two parts; the moving-on text one."""
    fields = next(t for t in library() if t["id"] == template_id)
    for allowed in (True, False):
        rendered = typical_render(fields["body"], service_name="Riverside Outreach",
                                  service_allowed=allowed)
        assert (rendered.encoding, rendered.parts) == ("GSM-7", parts), rendered.body


@pytest.mark.parametrize("placeholder", ["{personal}", "{next_meeting}"])
def test_a_text_mend_sends_itself_cannot_ask_for_what_no_one_fills_in(placeholder):
    """Nobody types a personal line or a meeting time for the out-of-hours reply or the
    moving-on text, so a version that uses them is never approved (and never breaks a
    handover)."""
    from sms.library import body_findings
    body = f"Hi {{name}}, it's {{worker}}. {placeholder} No need to reply."
    findings = body_findings(body, service_name="Riverside Outreach", situation="moving-on")
    assert [f.message for f in findings] == [
        f"Mend sends this text itself, so no one fills in {placeholder}: take it out."]
