"""A restored copy is a little behind the machine that was lost. Texts the lost machine
claimed or sent in its last moments look `scheduled` or `sending` in the copy; after
a restore each is looked up at the provider before anything is sent, so nobody gets
a text twice, and one the provider cannot be asked about waits for a person.

The copy is taken with SQLite's backup API here (the moment a replica stops); the
real Litestream round trip is in tests/test_replication.py. The dispatcher, the
official twilio client and the fake Twilio are the real ones.
"""
from collections import Counter
from datetime import timedelta

from actions.recovery import RESTORE_MARGIN, mark_texts_after_restore
from scheduler.dispatcher import dispatch_due
from sms import send_window
from storage import contacts, events, messages
from storage.connection import connect, from_db_time, utc_now
from tests.harness.database import actions_for, add_message, add_person, make_database
from tests.harness.delivery import gateway_for, settings

ANY_TIME = send_window.parse_window("00:00-24:00")


def body_for(name):
    return f"{name}, it makes sense you felt let down. No need to reply. Sam"


def copy_of(db, path):
    """The state a replica holds when the machine is lost."""
    target = connect(path)
    db.conn.backup(target.conn)
    return target


def sent_events(db, message_id):
    return [e for e in events.for_subject(db, "message", message_id)
            if e["action"] == "message.sent"]


def test_after_a_restore_texts_the_lost_machine_sent_are_found_not_sent_again(
        tmp_path, fake_twilio):
    gateway = gateway_for(fake_twilio)
    primary, worker = make_database(str(tmp_path / "primary.db"))
    now = utc_now()
    names = ["Ash", "Bo", "Cy", "Di", "Ed", "Fi"]
    people = {name: add_person(primary, worker, name=name, phone=f"+4479111234{index:02d}")
              for index, name in enumerate(names)}
    due = {"Fi": now - timedelta(minutes=9), "Bo": now - timedelta(minutes=6),
           "Ash": now - timedelta(minutes=3), "Cy": now - timedelta(minutes=2),
           "Di": now + timedelta(seconds=60), "Ed": now + timedelta(hours=1)}
    ids = {name: add_message(primary, worker, people[name], body=body_for(name), due=due[name])
           for name in names}
    on_time = settings(window=ANY_TIME)
    # Before the copy's moment: Fi's text went and was recorded; Bo's was claimed.
    assert dispatch_due(primary, gateway, now - timedelta(minutes=8), on_time).sent == 1
    [claimed] = messages.claim_due(primary, now=now - timedelta(minutes=5), limit=1)
    assert claimed["id"] == ids["Bo"]

    copy = copy_of(primary, str(tmp_path / "restored.db"))
    # After it, in the seconds the replica never got: the lost machine sent Bo's and
    # Ash's texts. Then the machine is gone.
    lost = {name: gateway.send(message_id=ids[name], to=contacts.get(primary, people[name])["phone"],
                               body=body_for(name), parts=1) for name in ("Bo", "Ash")}
    primary.close()
    assert [messages.get(copy, ids[name])["status"] for name in ("Bo", "Ash")] == \
        ["sending", "scheduled"]

    marked = mark_texts_after_restore(copy, now=utc_now())
    assert sorted(marked.marked) == sorted(ids[name] for name in ("Ash", "Bo", "Cy", "Di"))
    bo = messages.get(copy, ids["Bo"])
    assert bo["status"] == "scheduled"
    assert from_db_time(bo["ambiguous_at"]) == \
        from_db_time(claimed["claimed_at"]) - RESTORE_MARGIN
    assert "message.lookup_after_restore" in actions_for(copy, ids["Ash"])

    # The dispatcher starts on the copy. Ash, Bo and Cy are due now; Di in a minute,
    # when the provider cannot be asked; Ed, never marked, an hour on.
    first = dispatch_due(copy, gateway, utc_now(), on_time)
    fake_twilio.fail_next_list({"status": 500})
    later = dispatch_due(copy, gateway, utc_now() + timedelta(minutes=2), on_time)
    last = dispatch_due(copy, gateway, utc_now() + timedelta(hours=1, minutes=1), on_time)
    assert (first.sent, later.unknown, last.sent) == (3, 1, 1)

    arrived = Counter(message["to"] for message in fake_twilio.created)
    assert max(arrived.values()) == 1, "someone got a text twice"
    assert sorted(fake_twilio.bodies()) == sorted(body_for(n) for n in ("Fi", "Bo", "Ash",
                                                                        "Cy", "Ed"))
    for name in ("Bo", "Ash"):
        message = messages.get(copy, ids[name])
        assert (message["status"], message["provider_sid"]) == ("sent", lost[name].provider_sid)
        assert sent_events(copy, ids[name])[0]["detail"]["settled_by_lookup"] is True
    assert "settled_by_lookup" not in sent_events(copy, ids["Cy"])[0]["detail"]
    di = messages.get(copy, ids["Di"])
    assert di["status"] == "unknown" and di["sent_at"] is None
    assert [messages.get(copy, ids[n])["status"] for n in ("Fi", "Ed")] == ["sent", "sent"]
    copy.close()


def test_a_restore_made_hours_later_leaves_a_possible_send_to_a_person_not_to_expiry(
        delivery_db, fake_twilio):
    """The copy's newest event is 3 hours old. A text due just before it may have gone
    after it, and is now too late to send: it needs checking, never "not sent". One
    that was already too late at the copy's moment could not have gone: it expires."""
    db = delivery_db
    contact_id = add_person(db, db.worker_id)
    now = utc_now()
    copy_moment = now - timedelta(hours=3)
    events.record(db, action="alert.raised", subject_type="alert", at=copy_moment)
    maybe_sent = add_message(db, db.worker_id, contact_id, due=copy_moment - timedelta(minutes=1))
    long_stale = add_message(db, db.worker_id, contact_id, body="An older text. Sam",
                             due=copy_moment - timedelta(hours=3))
    assert mark_texts_after_restore(db, now=now).marked == [maybe_sent]
    result = dispatch_due(db, gateway_for(fake_twilio), now, settings(window=ANY_TIME))
    assert (result.unknown, result.expired, fake_twilio.created) == (1, 1, [])
    assert [messages.get(db, m)["status"] for m in (maybe_sent, long_stale)] == \
        ["unknown", "expired"]


def test_texts_already_settled_or_due_later_are_left_alone(delivery_db):
    db = delivery_db
    contact_id = add_person(db, db.worker_id)
    now = utc_now()
    later = add_message(db, db.worker_id, contact_id, due=now + timedelta(days=1))
    done = add_message(db, db.worker_id, contact_id, body="Another text. Sam",
                       due=now - timedelta(hours=1))
    db.execute("UPDATE messages SET status = 'delivered' WHERE id = ?", [done])
    assert mark_texts_after_restore(db, now=now).marked == []
    assert messages.get(db, later)["ambiguous_at"] is None
