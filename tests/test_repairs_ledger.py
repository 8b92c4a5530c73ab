"""What the service learns from repairs, and what it must never give away: the outcome
ledger (Wilson intervals, nothing under 10 repairs, no names, the JSON command, CSV),
reflections shared for supervision, the reflective-practice page, demo data, erasure
and retention of notes and reflections."""
import csv
import io
import json
from datetime import datetime, timedelta, timezone

import pytest

from actions import demo as demo_actions
from actions import maintenance
from actions import repairs as workflows
from sms import repairs as rules
from sms.library import SENT_BY_MEND, SITUATIONS
from storage import events, repairs
from storage.connection import checkpoint_and_truncate_wal
from tests.harness.pages import add_contact, contact_id_from, post_form
from tests.test_erasure import file_bytes

NOW = datetime(2026, 11, 25, 11, 0, tzinfo=timezone.utc)


def test_every_situation_in_the_library_is_a_withdrawal_or_a_confrontation():
    assert set(rules.SITUATION_KINDS) == set(SITUATIONS) - SENT_BY_MEND
    assert set(rules.SITUATION_KINDS.values()) == {"withdrawal", "confrontation"}


@pytest.mark.parametrize("count, total, low, high", [
    (0, 10, 0.0, 0.2775), (5, 10, 0.2366, 0.7634), (10, 10, 0.7225, 1.0),
    (81, 263, 0.2553, 0.3662),
])
def test_rates_carry_the_95_percent_wilson_interval(count, total, low, high):
    found = rules.wilson(count, total)
    assert (round(found[0], 4), round(found[1], 4)) == (low, high)


def counts(repairs_, **measures):
    row = {"situation": "went-quiet", "template_id": "door-stays-open", "template_version": 1,
           "template_title": "The door stays open", "strategy": "door stays open",
           "repairs": repairs_, "texts_sent": repairs_}
    row.update({key: 0 for key, _ in rules.MEASURES})
    row.update(measures)
    return row


def test_a_row_of_fewer_than_10_repairs_shows_no_figure_at_all():
    assert rules.ledger_row(counts(9, replied_within_72_hours=9)).as_json() == {
        "situation": "went-quiet", "template_id": "door-stays-open", "template_version": 1,
        "strategy": "door stays open", "repairs": None, "texts_sent": None,
        "suppressed": True, **{key: None for key, _ in rules.MEASURES}}
    shown = rules.ledger_row(counts(10, replied_within_72_hours=5)).as_json()
    assert (shown["repairs"], shown["suppressed"]) == (10, False)
    assert shown["replied_within_72_hours"] == {"count": 5, "rate": 0.5, "low": 0.2366,
                                                "high": 0.7634}


def test_the_ledger_is_in_the_librarys_order_never_ranked_by_a_rate():
    rows = rules.ledger([
        {**counts(40, replied_within_72_hours=40), "situation": "thank-you-for-telling-me"},
        {**counts(40, replied_within_72_hours=1), "situation": "went-quiet"},
        {**counts(40, replied_within_72_hours=20), "situation": "left-angry"}])
    assert [row.situation for row in rows] == ["went-quiet", "left-angry",
                                               "thank-you-for-telling-me"]


def close_many(db, user_ids, contact_id, *, how_many, ending, situation="went-quiet"):
    for _ in range(how_many):
        repair_id = workflows.start_repair(db, contact_id=contact_id,
                                           worker_id=user_ids["worker"], situation=situation,
                                           happened_at=NOW, note="Shouted about the forms.")
        repair = repairs.get(db, repair_id)
        workflows.record_meeting(db, repair, outcome="talked", new_time=None,
                                 worker_id=user_ids["worker"])
        workflows.close_repair(db, repair, ending=ending, worker_id=user_ids["worker"])


@pytest.fixture
def filled(worker, db, user_ids):
    """12 went-quiet repairs (10 better, 2 the same) and 3 left-angry ones."""
    contact_id = contact_id_from(add_contact(worker, name="Alexandra"))
    close_many(db, user_ids, contact_id, how_many=10, ending="better")
    close_many(db, user_ids, contact_id, how_many=2, ending="same")
    close_many(db, user_ids, contact_id, how_many=3, ending="worse", situation="left-angry")
    return contact_id


def test_the_ledger_command_prints_json_in_the_documented_shape(app, filled):
    result = app.test_cli_runner().invoke(args=["repairs", "ledger", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    measure = {"count": 12, "rate": 1.0, "low": 0.7575, "high": 1.0}
    assert rows == [
        {"situation": "went-quiet", "template_id": None, "template_version": None,
         "strategy": None, "repairs": 12, "texts_sent": 0, "suppressed": False,
         "replied_within_72_hours": {"count": 0, "rate": 0.0, "low": 0.0, "high": 0.2425},
         "came_to_next_meeting_within_14_days": measure,
         "talked_about_what_happened": measure,
         "ended_better": {"count": 10, "rate": 0.8333, "low": 0.552, "high": 0.953},
         "ended_same": {"count": 2, "rate": 0.1667, "low": 0.047, "high": 0.448},
         "ended_worse": {"count": 0, "rate": 0.0, "low": 0.0, "high": 0.2425},
         "ended_not_sure": {"count": 0, "rate": 0.0, "low": 0.0, "high": 0.2425},
         "ended_not_recorded": {"count": 0, "rate": 0.0, "low": 0.0, "high": 0.2425},
         "still_open": {"count": 0, "rate": 0.0, "low": 0.0, "high": 0.2425}},
        {"situation": "left-angry", "template_id": None, "template_version": None,
         "strategy": None, "repairs": None, "texts_sent": None, "suppressed": True,
         **{key: None for key, _ in rules.MEASURES}}]


def test_the_ledger_page_and_csv_suppress_small_rows_and_name_no_one(reviewer, admin, worker,
                                                                     db, filled):
    assert worker.get("/repairs/ledger").status_code == 403
    page = reviewer.get("/repairs/ledger").get_data(as_text=True)
    assert "Fewer than 10 repairs: no figures shown" in page
    assert "10 <span class=\"rate\">(83%, 55–95%)</span>" in page
    assert "Replied within 72 hours (texts ask for none)" in page
    assert '<svg' in page and 'role="img"' in page
    exported = admin.get("/repairs/ledger.csv")
    assert exported.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
    assert [(r["situation"], r["repairs"], r["ended_better_count"]) for r in rows] == [
        ("went-quiet", "12", "10"), ("left-angry", "fewer than 10", "fewer than 10")]
    for text in (page, exported.get_data(as_text=True)):
        for secret in ("Alexandra", "7911", "Shouted about the forms"):
            assert secret not in text
    assert db.execute("SELECT count(*) FROM events WHERE action IN"
                      " ('repair.ledger_viewed', 'repair.ledger_exported')").fetchone()[0] == 2


def test_a_row_of_open_repairs_counts_none_as_ended(worker, db, user_ids):
    contact_id = contact_id_from(add_contact(worker, name="Alex"))
    for _ in range(10):
        workflows.start_repair(db, contact_id=contact_id, worker_id=user_ids["worker"],
                               situation="went-quiet", happened_at=NOW, note="")
    [row] = workflows.ledger(db)
    assert (row.measures["still_open"].count, row.measures["ended_better"].count) == (10, 0)


def reflect(worker, repair_id, **answers):
    return post_form(worker, f"/repairs/{repair_id}/reflection", answers)


def share(worker, repair_id, reviewer_id, first_name=True):
    return post_form(worker, f"/repairs/{repair_id}/share",
                     {"reviewer_id": str(reviewer_id), **({"share_first_name": "y"}
                                                          if first_name else {})},
                     page=f"/repairs/{repair_id}/reflection")


def a_repair(worker, db, user_ids, name="Alexandra", phone="07911 123456"):
    contact_id = contact_id_from(add_contact(worker, name=name, phone=phone))
    return workflows.start_repair(db, contact_id=contact_id, worker_id=user_ids["worker"],
                                  situation="left-angry", happened_at=datetime.now(timezone.utc),
                                  note="")


def test_a_reflection_is_private_until_shared_with_one_named_reviewer(worker, reviewer, app,
                                                                      db, user_ids):
    repair_id = a_repair(worker, db, user_ids)
    reflect(worker, repair_id, how_it_felt="Rattled, and I raised my voice.",
            feelings_left="Embarrassed, hopeful.")
    month = f"{datetime.now(timezone.utc):%Y-%m}"
    assert "Rattled" not in reviewer.get(f"/repairs/practice?month={month}").get_data(
        as_text=True)
    assert share(worker, repair_id, user_ids["reviewer"]).status_code == 302
    page = reviewer.get(f"/repairs/practice?month={month}").get_data(as_text=True)
    assert "Rattled, and I raised my voice." in page and "from Sam" in page
    assert "Alexandra" not in page and "7911" not in page
    second = app.test_client()
    from tests.harness.pages import log_in
    log_in(second, "reviewer2@example.org")
    assert "Rattled" not in second.get(f"/repairs/practice?month={month}").get_data(
        as_text=True)
    share(worker, repair_id, user_ids["reviewer"], first_name=False)
    assert "from Sam" not in reviewer.get(f"/repairs/practice?month={month}").get_data(
        as_text=True)
    [shared, *_] = [e for e in events.for_subject(db, "repair", repair_id)
                    if e["action"] == "repair.reflection_shared"]
    assert shared["detail"] == {"reviewer_id": user_ids["reviewer"], "first_name_shown": True}


def test_a_reflection_that_names_the_person_is_not_shared(worker, reviewer, db, user_ids):
    repair_id = a_repair(worker, db, user_ids)
    reflect(worker, repair_id, how_noticed="alexandra stopped looking at me")
    response = share(worker, repair_id, user_ids["reviewer"])
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Your reflection names Alexandra. Take their name out" in page
    assert "alexandra stopped looking at me</textarea>" in page  # what they wrote is kept
    assert repairs.reflection(db, repair_id)["shared_with"] is None


def test_a_shared_reflection_cannot_be_changed_to_name_the_person(worker, reviewer, db,
                                                                  user_ids):
    repair_id = a_repair(worker, db, user_ids)
    reflect(worker, repair_id, how_it_felt="Rattled.")
    assert share(worker, repair_id, user_ids["reviewer"]).status_code == 302
    response = reflect(worker, repair_id, how_it_felt="Alexandra shouted and I froze.")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "This reflection is shared for supervision, and now names Alexandra." in page
    assert "Alexandra shouted and I froze.</textarea>" in page  # what they wrote is kept
    assert repairs.reflection(db, repair_id)["how_it_felt"] == "Rattled."


def test_a_reflection_can_only_be_shared_with_a_reviewer(worker, db, user_ids):
    repair_id = a_repair(worker, db, user_ids)
    reflect(worker, repair_id, how_it_felt="Tired.")
    response = share(worker, repair_id, user_ids["admin"])
    assert "Choose a reviewer from the list." in response.get_data(as_text=True)
    assert repairs.reflection(db, repair_id)["shared_with"] is None


def test_the_reflective_practice_page_shows_the_months_patterns_with_small_counts_hidden(
        reviewer, worker, db, user_ids, filled):
    month = f"{datetime.now(timezone.utc):%Y-%m}"
    db.execute("UPDATE repairs SET happened_at = ?", [datetime.now(timezone.utc).isoformat()])
    page = reviewer.get(f"/repairs/practice?month={month}").get_data(as_text=True)
    assert "Withdrawal (went quiet, missed, pulled back): 12" in page
    assert "Confrontation (angry, complained, ended early): fewer than 10" in page
    assert "@media print" not in page  # the print rules live in a stylesheet
    assert "repairs.css" in page
    assert reviewer.get("/repairs/practice?month=9999-12").status_code == 200
    assert reviewer.get("/repairs/practice?month=nonsense").status_code == 200


def test_erasure_removes_notes_and_reflections_and_keeps_an_anonymous_skeleton(
        worker, db, database_path, user_ids):
    contact_id = contact_id_from(add_contact(worker, name="Quillon Marchbanks"))
    repair_id = workflows.start_repair(
        db, contact_id=contact_id, worker_id=user_ids["worker"], situation="left-angry",
        happened_at=NOW, note="thundering kettles in the kitchen")
    reflect(worker, repair_id, how_it_felt="marmalade argument feelings")
    checkpoint_and_truncate_wal(db)
    assert b"thundering kettles" in file_bytes(database_path)
    assert post_form(worker, f"/contacts/{contact_id}/erase", {"confirm": "y"}).status_code == 302
    data = file_bytes(database_path)
    for secret in (b"thundering kettles", b"marmalade argument", b"Quillon"):
        assert secret not in data
    repair = repairs.get(db, repair_id)
    assert (repair["situation"], repair["kind"], repair["note"], repair["ending"]) == (
        "left-angry", "confrontation", "", "not_recorded")
    assert repairs.reflection(db, repair_id) is None
    assert events.verify_chain(db)[1] is None


def test_retention_removes_old_notes_and_reflections(worker, db, user_ids):
    repair_id = a_repair(worker, db, user_ids)
    db.execute("UPDATE repairs SET note = 'Late again', created_at = ? WHERE id = ?",
               [(NOW - timedelta(days=400)).isoformat(), repair_id])
    reflect(worker, repair_id, how_it_felt="Frustrated.")
    recent = a_repair(worker, db, user_ids, name="Jo", phone="07922 654321")
    reflect(worker, recent, how_it_felt="Calm.")
    result = maintenance.run_retention(db, days=365, now=NOW)
    assert result.repairs == 1
    assert repairs.get(db, repair_id)["note"] == "[removed after 365 days]"
    assert repairs.reflection(db, repair_id)["how_it_felt"] == "[removed after 365 days]"
    assert repairs.reflection(db, repair_id)["feelings_left"] == ""
    assert repairs.reflection(db, recent)["how_it_felt"] == "Calm."


def test_demo_data_loads_only_into_an_empty_development_database(app, db):
    runner = app.test_cli_runner()
    app.config["MEND_ENV"] = "production"
    refused = runner.invoke(args=["demo", "load"])
    assert refused.exit_code == 1 and "only loaded in development" in refused.output
    app.config["MEND_ENV"] = "development"
    loaded = runner.invoke(args=["demo", "load"])
    assert loaded.exit_code == 0 and "DEMO DATA loaded: 60 invented people" in loaded.output
    rows = workflows.ledger(db)
    assert sum(1 for row in rows if not row.suppressed and row.repairs >= 10) >= 5
    assert sum(1 for row in rows if row.suppressed) >= 3
    names = [row[0] for row in db.execute("SELECT preferred_name FROM contacts")]
    assert all(name.endswith("(demo)") for name in names)
    assert all(phone.startswith("+447700900") for (phone,) in db.execute(
        "SELECT phone FROM contacts"))
    again = runner.invoke(args=["demo", "load"])
    assert again.exit_code == 1 and "already holds people" in again.output
    assert events.verify_chain(db)[1] is None


def test_demo_refuses_a_database_with_real_people(worker, db):
    add_contact(worker, name="Alex")
    with pytest.raises(demo_actions.DemoRefused, match="already holds people"):
        demo_actions.load(db, environment="development")


def by_group(groups):
    return sorted(groups, key=lambda g: (g["situation"], g["template_id"] or ""))


def test_the_ledgers_running_sums_always_equal_a_fresh_count(app, db, user_ids, filled):
    """The ledger reads sums that triggers keep as repairs change; after inserts, updates
    of every counted field and a move between groups they equal a count from scratch."""
    assert by_group(repairs.ledger_counts(db)) == by_group(repairs.ledger_counts_recomputed(db))
    [first] = [row[0] for row in db.execute("SELECT min(id) FROM repairs")]
    version = db.execute("SELECT min(id) FROM template_versions").fetchone()[0]
    repairs.update(db, first, template_version_id=version, texts_sent=2, replied_72h=1)
    workflows.sweep(db, now=NOW + timedelta(days=365))  # closes what is open
    assert by_group(repairs.ledger_counts(db)) == by_group(repairs.ledger_counts_recomputed(db))


def test_the_ledgers_running_sums_match_after_demo_data(app, db):
    app.config["MEND_ENV"] = "development"
    assert app.test_cli_runner().invoke(args=["demo", "load"]).exit_code == 0
    assert by_group(repairs.ledger_counts(db)) == by_group(repairs.ledger_counts_recomputed(db))
