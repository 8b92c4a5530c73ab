"""Adding people, recording their agreement, and who may see them."""
import pytest

from storage import contacts, events, messages
from tests.harness.pages import add_contact, contact_id_from, post_form


def test_a_worker_adds_a_person_who_agreed_in_person(worker, db):
    response = add_contact(worker, name="Alex", phone="07911 123456")
    assert response.status_code == 302
    contact = contacts.get(db, contact_id_from(response))
    assert contact["preferred_name"] == "Alex"
    assert contact["phone"] == "+447911123456"
    assert contact["consent_state"] == "granted"
    assert contact["number_confirmed_on"] is not None
    history = contacts.consent_history(db, contact["id"])
    assert [(h["state"], h["method"], h["recorded_by_name"]) for h in history] == [
        ("granted", "in_person", "Sam Worker")]
    actions = [e["action"] for e in events.for_subject(db, "contact", contact["id"])]
    assert actions == ["contact.created", "consent.granted"]


def test_the_contact_page_shows_the_full_number_and_lists_mask_it(worker):
    contact_id = contact_id_from(add_contact(worker))
    assert "+44 7911 123456" in worker.get(f"/contacts/{contact_id}").get_data(as_text=True)
    listing = worker.get("/contacts/").get_data(as_text=True)
    assert "+44 7••• ••• 456" in listing
    assert "123456" not in listing


@pytest.mark.parametrize("phone, message", [
    ("020 7946 0000", "That looks like a landline. Mend can only text mobile numbers."),
    ("07911 12", "That number is not valid. Check the digits and try again."),
    ("call me", "That is not a phone number. Enter a mobile number, like 07911 123456."),
    ("", "Enter a mobile number."),
])
def test_a_bad_number_is_explained_and_nothing_typed_is_lost(worker, db, phone, message):
    response = add_contact(worker, name="Alex", phone=phone, consent_note="met at the cafe")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in page
    assert 'value="Alex"' in page
    assert "met at the cafe" in page
    assert contacts.listing(db) == []


def test_a_missing_name_and_missing_consent_method_are_named(worker):
    page = add_contact(worker, name="", consent="").get_data(as_text=True)
    assert "Enter the name they like to be called." in page
    assert "Say how they agreed to texts." in page
    assert 'value="07911 123456"' in page


def test_a_second_person_with_the_same_number_gets_a_warning_not_a_silent_duplicate(worker, db):
    add_contact(worker, name="Alex")
    page = add_contact(worker, name="Jamie").get_data(as_text=True)
    assert "Another person already has this number." in page
    assert len(contacts.listing(db)) == 1
    response = add_contact(worker, name="Jamie", add_anyway="y")
    assert response.status_code == 302
    assert len(contacts.listing(db)) == 2


def test_a_worker_only_sees_their_own_caseload(worker, other_worker, reviewer):
    contact_id = contact_id_from(add_contact(worker, name="Alex"))
    assert other_worker.get(f"/contacts/{contact_id}").status_code == 404
    assert "Alex" not in other_worker.get("/contacts/").get_data(as_text=True)
    assert reviewer.get(f"/contacts/{contact_id}").status_code == 200
    assert "Alex" in reviewer.get("/contacts/").get_data(as_text=True)


def test_withdrawing_consent_cancels_scheduled_texts_with_a_reason(worker, db, user_ids):
    contact_id = contact_id_from(add_contact(worker))
    from datetime import datetime, timezone
    message_id = messages.create(
        db, contact_id=contact_id, worker_id=user_ids["worker"], template_version_id=None,
        body="Hi", encoding="GSM-7", characters=2, parts=1, warnings=[],
        scheduled_for=datetime(2030, 1, 1, tzinfo=timezone.utc))
    response = post_form(worker, f"/contacts/{contact_id}/consent",
                         {"change": "withdrawn:withdrawn_by_worker", "note": ""},
                         page=f"/contacts/{contact_id}")
    assert response.status_code == 302
    assert "1 scheduled text(s) cancelled" in worker.get(response.headers["Location"]).get_data(as_text=True)
    message = messages.get(db, message_id)
    assert message["status"] == "cancelled"
    assert message["status_reason"] == "The person no longer wants texts (recorded by a worker)."
    assert contacts.current_consent(db, contact_id) == "withdrawn"
    assert [e["action"] for e in events.for_subject(db, "message", message_id)] == ["message.cancelled"]


def test_recording_a_consent_change_without_choosing_one_is_explained(worker):
    contact_id = contact_id_from(add_contact(worker))
    response = post_form(worker, f"/contacts/{contact_id}/consent", {"change": ""},
                         page=f"/contacts/{contact_id}")
    assert response.status_code == 400
    assert "Choose what they said." in response.get_data(as_text=True)


def test_the_consent_ledger_refuses_edits_and_deletes(worker, db):
    import sqlite3
    contact_id = contact_id_from(add_contact(worker))
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("UPDATE consents SET state = 'withdrawn' WHERE contact_id = ?", [contact_id])
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("DELETE FROM consents WHERE contact_id = ?", [contact_id])
