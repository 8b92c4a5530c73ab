"""Right to erasure: the person's name, number, texts and replies leave the database file.

What stays is an anonymised skeleton: ids, times, statuses and template versions.
The proof scans the raw bytes of the SQLite file (and its WAL), not just the tables.
"""
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from scheduler.dispatcher import DispatchSettings, dispatch_due
from sms.gateways import ConsoleGateway
from sms.send_window import parse_window
from storage import contacts, events, inbound, messages
from storage.connection import checkpoint_and_truncate_wal
from tests.harness.pages import add_contact, contact_id_from, post_form
from tests.harness.twilio_signing import TEST_AUTH_TOKEN, TEST_PUBLIC_BASE_URL, post_signed

NAME = "Quillon Marchbanks"
OLD_NAME = "Quill Zephyrine"
NUMBER_AS_TYPED = "07845 612937"
NUMBER_FORMS = ["+447845612937", "447845612937", "7845612937", "+44 7845 612937",
                "07845612937"]
SECRET_WORDS = ["bluebell hostel", "thundering kettles", "marmalade argument",
                "ate my lunch at the viaduct"]


@pytest.fixture
def app_config(app_config):
    return {**app_config, "TWILIO_AUTH_TOKEN": TEST_AUTH_TOKEN,
            "PUBLIC_BASE_URL": TEST_PUBLIC_BASE_URL}


def text_in(client, body, sid):
    return post_signed(client, "/webhooks/twilio/inbound", {
        "MessageSid": f"SM{sid:032x}", "From": NUMBER_FORMS[0], "To": "+447400123456",
        "Body": body})


def file_bytes(database_path):
    """Every byte SQLite keeps for this database: the file, its WAL and shared memory."""
    return b"".join(Path(path).read_bytes() for path in (
        database_path, database_path + "-wal", database_path + "-shm") if Path(path).exists())


def personal_data_in(database_path):
    data = file_bytes(database_path)
    return [secret for secret in [NAME, OLD_NAME, *NUMBER_FORMS, *SECRET_WORDS]
            if secret.encode("utf-8") in data or secret.encode("utf-16-le") in data]


def search_tokens_in(database_path):
    """Words as the full-text index keeps them: lower case, stemmed (so the first six
    letters), one by one."""
    data = file_bytes(database_path)
    words = {word.lower()[:6] for phrase in [NAME, *SECRET_WORDS] for word in phrase.split()
             if len(word) >= 6}
    return sorted(word for word in words if word.encode("utf-8") in data)


def template_version(db):
    return db.execute("SELECT id FROM template_versions WHERE template_id = "
                      "'door-stays-open'").fetchone()[0]


@pytest.fixture
def a_full_history(worker, client, db, database_path, user_ids):
    """A person with a life in Mend: renamed, texted, replied, an unmatched text, a STOP,
    and an admin's note when revealing their number."""
    text_in(client, f"hi its quill from the {SECRET_WORDS[0]}", sid=1)  # before they were added
    contact_id = contact_id_from(add_contact(worker, name=OLD_NAME, phone=NUMBER_AS_TYPED,
                                             consent_note=f"agreed at the {SECRET_WORDS[0]}"))
    post_form(worker, f"/contacts/{contact_id}/edit", {
        "preferred_name": NAME, "phone": NUMBER_AS_TYPED, "key_worker_id": "1"})
    compose = {"contact_id": str(contact_id), "template_version_id": str(template_version(db)),
               "personal": f"Sorry about the {SECRET_WORDS[2]}.", "next_meeting_at": "",
               "when": "now", "send_at_local": "", "action": "confirm"}
    assert post_form(worker, "/compose/", compose).status_code == 302
    dispatch_due(db, ConsoleGateway(), now=datetime.now(timezone.utc) + timedelta(seconds=5),
                 settings=DispatchSettings(zone="Europe/London",
                                           window=parse_window("00:00-24:00")))
    text_in(client, f"thanks. the {SECRET_WORDS[1]} were loud", sid=2)
    text_in(client, f"I {SECRET_WORDS[3]}", sid=3)
    later = messages.create(
        db, contact_id=contact_id, worker_id=user_ids["worker"],
        template_version_id=template_version(db), body=f"Hi {NAME}, see you soon",
        encoding="GSM-7", characters=30, parts=1, warnings=[f"'{NAME}' quoted in a warning"],
        template_fields={"personal": f"About the {SECRET_WORDS[2]}"},
        scheduled_for=datetime.now(timezone.utc) + timedelta(days=2))
    from actions.audit import reveal_number
    reveal_number(db, contact_id=contact_id, message_id=later, user_id=user_ids["admin"],
                  reason="other", note=f"{NAME} asked about the {SECRET_WORDS[0]}")
    checkpoint_and_truncate_wal(db)
    # The scan finds what is there (a rename already left no trace of the old name).
    assert personal_data_in(database_path) == [NAME, *NUMBER_FORMS[:3], *SECRET_WORDS]
    return contact_id, later


def test_erasure_without_confirmation_is_explained_and_erases_nothing(worker, db):
    contact_id = contact_id_from(add_contact(worker, name="Alex"))
    response = post_form(worker, f"/contacts/{contact_id}/erase", {},
                         page=f"/contacts/{contact_id}/erase")
    assert response.status_code == 400
    assert ("Tick the box to confirm you want to erase their details. Nothing has been erased."
            in response.get_data(as_text=True))
    assert contacts.get(db, contact_id)["preferred_name"] == "Alex"


def test_erasure_leaves_no_name_number_or_words_in_the_database_file(
        worker, db, database_path, a_full_history):
    contact_id, scheduled = a_full_history
    assert search_tokens_in(database_path) != []  # the index held their words
    response = post_form(worker, f"/contacts/{contact_id}/erase", {"confirm": "y"})
    assert response.status_code == 302
    assert personal_data_in(database_path) == []
    assert search_tokens_in(database_path) == []


def test_erasure_keeps_an_anonymous_skeleton_and_cancels_what_was_waiting(
        worker, db, a_full_history):
    contact_id, scheduled = a_full_history
    before = [(m["id"], m["status"], m["template_version_id"], m["scheduled_for"], m["sent_at"])
              for m in messages.for_contact(db, contact_id)]
    response = post_form(worker, f"/contacts/{contact_id}/erase", {"confirm": "y"})
    assert "Their details are erased. 1 scheduled text(s) cancelled." in worker.get(
        response.headers["Location"]).get_data(as_text=True)
    after = messages.for_contact(db, contact_id)
    assert [(m["id"], m["template_version_id"], m["scheduled_for"], m["sent_at"])
            for m in after] == [(i, v, s, t) for i, _, v, s, t in before]
    assert {m["id"]: m["status"] for m in after} == {
        **{i: status for i, status, *_ in before}, scheduled: "cancelled"}
    assert {m["body"] for m in after} == {""}
    assert messages.get(db, scheduled)["status_reason"] == "The person's details were erased."
    replies = inbound.for_contact(db, contact_id)
    assert [(r["kind"], r["body"], r["from_number"]) for r in replies] == [
        ("reply", "", None), ("reply", "", None)]
    contact = contacts.get(db, contact_id)
    assert (contact["preferred_name"], contact["phone"]) == ("", None)
    assert contact["erased_at"] is not None
    assert [c["note"] for c in contacts.consent_history(db, contact_id)] == [""]
    assert events.verify_chain(db)[1] is None
    assert worker.get(f"/contacts/{contact_id}").status_code == 404
    assert "Quillon" not in worker.get("/contacts/").get_data(as_text=True)


def test_an_admin_can_erase_and_a_reviewer_cannot(worker, reviewer, admin, db):
    contact_id = contact_id_from(add_contact(worker, name="Alex"))
    assert reviewer.get(f"/contacts/{contact_id}/erase").status_code == 403
    response = post_form(admin, f"/contacts/{contact_id}/erase", {"confirm": "y"})
    assert response.status_code == 302
    [erased] = [e for e in events.for_subject(db, "contact", contact_id)
                if e["action"] == "contact.erased"]
    assert (erased["actor_type"], erased["detail"]) == ("user", {"cancelled_messages": []})


def test_a_reveal_reason_typed_before_the_upgrade_becomes_an_erasable_note(tmp_path):
    """Before m012 the reason for seeing a full number was free text in an append-only
    table, which erasure could never blank. The upgrade moves it into the notes (and the
    reason becomes "other"), so erasing the person removes it."""
    from actions.people import erase_person
    from storage import migrations
    from tests.harness.database import database_before

    db = database_before(
        str(tmp_path / "old.db"), "m012_number_reveal_notes",
        "INSERT INTO users (email, name, role, password_hash, active, created_at)"
        " VALUES ('kay@example.org', 'Kay', 'admin', 'x', 1, '2026-11-01T10:00:00+00:00')",
        "INSERT INTO contacts (preferred_name, phone, key_worker_id, created_at,"
        " created_by) VALUES ('Alex', '+447911123456', 1, '2026-11-01T10:00:00+00:00', 1)",
        "INSERT INTO number_reveals (contact_id, revealed_by, reason, revealed_at)"
        " VALUES (1, 1, 'Alex is staying at the Bridge Street hostel now',"
        " '2026-11-02T10:00:00+00:00')")
    migrations.upgrade(db)
    assert [r["reason"] for r in db.query("SELECT reason FROM number_reveals")] == ["other"]
    assert [r["note"] for r in db.query("SELECT note FROM number_reveal_notes")] == [
        "Alex is staying at the Bridge Street hostel now"]
    erase_person(db, 1, user_id=1)
    assert [r["note"] for r in db.query("SELECT note FROM number_reveal_notes")] == [""]
    with pytest.raises(Exception, match="append-only"):
        db.execute("UPDATE number_reveals SET reason = 'x'")
    db.close()
