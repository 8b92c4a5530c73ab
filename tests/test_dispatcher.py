"""The dispatcher, through the official Twilio client against the fake Twilio.

Every test calls `dispatch_due` with an explicit time; nothing here asserts on speed.
"""
import logging
import random
import sqlite3
import threading
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest

from scheduler.dispatcher import dispatch_due, group_size, mark_abandoned_sends
from scheduler.rate_limit import SegmentRateLimiter
from sms import send_window
from storage import alerts, contacts, events, messages
from storage.connection import connect, from_db_time, utc_now
from tests.harness.database import NOON_ISH, actions_for, add_message, add_person, status_of
from tests.harness.delivery import PUBLIC_BASE_URL, gateway_for, settings
from tests.harness.fake_twilio import AUTH_TOKEN


class CountingLimiter(SegmentRateLimiter):
    """A real limiter that also remembers each booking, in segments."""

    def __init__(self, segments_per_second):
        super().__init__(segments_per_second)
        self.booked = []

    def book_together(self, segments):
        self.booked.extend(segments)
        return super().book_together(segments)


def sent_event(db, message_id):
    return next(e for e in events.for_subject(db, "message", message_id)
                if e["action"] == "message.sent")


# --- sending ---------------------------------------------------------------------

def test_a_due_text_is_sent_once_exactly_as_stored_and_the_result_is_audited(
        delivery_db, fake_twilio, gateway):
    db = delivery_db
    contact_id = add_person(db, db.worker_id)
    message_id = add_message(db, db.worker_id, contact_id,
                             body="Alex, I’m sorry the session ended early – no need to reply.")
    stored = messages.get(db, message_id)

    result = dispatch_due(db, gateway, NOON_ISH, settings())
    again = dispatch_due(db, gateway, NOON_ISH + timedelta(minutes=1), settings())

    assert (result.claimed, result.sent, again.claimed) == (1, 1, 0)
    assert fake_twilio.bodies() == [stored["body"]]
    created = fake_twilio.created[0]
    assert created["to"] == "+447911123456"
    assert created["_status_callback"] == \
        f"{PUBLIC_BASE_URL}/webhooks/twilio/status?m={message_id}"
    message = messages.get(db, message_id)
    assert message["status"] == "sent"
    assert message["provider_sid"] == created["sid"]
    assert message["sent_at"] == "2026-11-25T11:00:00+00:00"
    assert sent_event(db, message_id)["detail"] == {
        "provider_sid": created["sid"], "provider_status": "queued", "parts": 1,
        "provider_parts": 1, "gateway": "twilio", "attempt": 1}
    assert actions_for(db, message_id) == ["message.claimed", "message.sent"]


def test_smart_encoded_is_asked_for_so_curly_quotes_do_not_cost_extra_parts(
        delivery_db, fake_twilio, gateway):
    db = delivery_db
    contact_id = add_person(db, db.worker_id)
    message_id = add_message(db, db.worker_id, contact_id, body="It’s fine – “really”")
    dispatch_due(db, gateway, NOON_ISH, settings())
    assert fake_twilio.created[0]["body"] == "It's fine - \"really\""
    assert fake_twilio.created[0]["num_segments"] == "1"
    assert messages.get(db, message_id)["status"] == "sent"


def test_an_emoji_sequence_reaches_the_provider_whole(delivery_db, fake_twilio, gateway):
    db = delivery_db
    body = "Thinking of you both \U0001f469\u200d\U0001f467 – no need to reply"
    message_id = add_message(db, db.worker_id, add_person(db, db.worker_id), body=body)
    dispatch_due(db, gateway, NOON_ISH, settings())
    assert fake_twilio.bodies() == [
        "Thinking of you both \U0001f469\u200d\U0001f467 - no need to reply"]
    assert status_of(db, message_id) == "sent"


def test_a_messaging_service_is_used_when_configured(delivery_db, fake_twilio):
    db = delivery_db
    add_message(db, db.worker_id, add_person(db, db.worker_id))
    dispatch_due(db, gateway_for(fake_twilio, messaging_service_sid="MG" + "1" * 32),
                 NOON_ISH, settings())
    assert fake_twilio.created[0]["messaging_service_sid"] == "MG" + "1" * 32
    assert fake_twilio.created[0]["from"] is None


def test_a_text_not_yet_due_waits(delivery_db, fake_twilio, gateway):
    db = delivery_db
    message_id = add_message(db, db.worker_id, add_person(db, db.worker_id),
                             due=NOON_ISH + timedelta(minutes=5))
    assert dispatch_due(db, gateway, NOON_ISH, settings()).claimed == 0
    assert status_of(db, message_id) == "scheduled"
    assert fake_twilio.created == []


def test_two_dispatchers_at_once_never_send_one_text_twice(delivery_db, fake_twilio,
                                                           tmp_path):
    db = delivery_db
    fake_twilio.latency = 0.01
    contact_id = add_person(db, db.worker_id)
    ids = [add_message(db, db.worker_id, contact_id, body=f"Text number {n}")
           for n in range(40)]
    path = str(tmp_path / "mend.db")

    def run():
        connection = connect(path)
        dispatch_due(connection, gateway_for(fake_twilio), NOON_ISH, settings(concurrency=3))
        connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(fake_twilio.bodies()) == sorted(f"Text number {n}" for n in range(40))
    assert {status_of(db, message_id) for message_id in ids} == {"sent"}
    claims = [action for message_id in ids for action in actions_for(db, message_id)
              if action == "message.claimed"]
    assert len(claims) == 40


def test_each_tick_is_recorded_with_what_it_did(delivery_db, fake_twilio, gateway):
    db = delivery_db
    contact_id = add_person(db, db.worker_id)
    add_message(db, db.worker_id, contact_id)
    add_message(db, db.worker_id, contact_id, body="Second one")
    fake_twilio.fail_next({"status": 429, "code": 20429})
    dispatch_due(db, gateway, NOON_ISH, settings(concurrency=1))
    tick = list(db.query("SELECT claimed, sent, failed, deferred FROM scheduler_ticks"))
    assert tick == [{"claimed": 2, "sent": 1, "failed": 0, "deferred": 1}]


# --- re-checks at send time ----------------------------------------------------------

@pytest.mark.parametrize("change, reason", [
    ("withdrawn", "The person has not agreed to texts (consent is not granted)."),
    ("erased", "The person's details were erased."),
])
def test_a_text_to_someone_who_no_longer_consents_is_cancelled_not_sent(
        delivery_db, fake_twilio, gateway, change, reason):
    db = delivery_db
    contact_id = add_person(db, db.worker_id)
    message_id = add_message(db, db.worker_id, contact_id)
    if change == "withdrawn":
        contacts.record_consent(db, contact_id=contact_id, state="withdrawn",
                                method="withdrawn_by_worker", recorded_by=db.worker_id)
    else:
        db.execute("UPDATE contacts SET erased_at = '2026-11-25T10:00:00+00:00', "
                   "phone = NULL WHERE id = ?", [contact_id])
    result = dispatch_due(db, gateway, NOON_ISH, settings())
    assert result.cancelled == 1
    assert fake_twilio.created == []
    message = messages.get(db, message_id)
    assert (message["status"], message["status_reason"]) == ("cancelled", reason)
    assert actions_for(db, message_id) == ["message.claimed", "message.cancelled"]


def test_a_text_more_than_stale_after_late_expires_and_is_never_sent(
        delivery_db, fake_twilio, gateway):
    db = delivery_db
    message_id = add_message(db, db.worker_id, add_person(db, db.worker_id),
                             due=NOON_ISH - timedelta(hours=2, minutes=1))
    on_time = add_message(db, db.worker_id, add_person(db, db.worker_id, phone="+447911000001"),
                          due=NOON_ISH - timedelta(hours=1, minutes=59))
    result = dispatch_due(db, gateway, NOON_ISH, settings())
    assert (result.expired, result.sent) == (1, 1)
    message = messages.get(db, message_id)
    assert message["status"] == "expired"
    assert message["status_reason"] == "It could not go out on time, so it was not sent late."
    assert status_of(db, on_time) == "sent"
    assert len(fake_twilio.created) == 1


def test_before_the_window_opens_a_text_waits_for_it_then_goes(delivery_db, fake_twilio,
                                                                gateway):
    db = delivery_db
    early = datetime(2026, 11, 25, 8, 30, tzinfo=timezone.utc)  # 08:30 in London
    message_id = add_message(db, db.worker_id, add_person(db, db.worker_id), due=early)

    assert dispatch_due(db, gateway, early, settings()).deferred == 1
    message = messages.get(db, message_id)
    assert (message["status"], message["next_attempt_at"]) == \
        ("scheduled", "2026-11-25T09:00:00+00:00")
    assert dispatch_due(db, gateway, early + timedelta(minutes=20), settings()).claimed == 0

    assert dispatch_due(db, gateway, early + timedelta(minutes=30), settings()).sent == 1
    assert len(fake_twilio.created) == 1
    assert actions_for(db, message_id) == ["message.claimed", "message.deferred",
                                           "message.claimed", "message.sent"]


def test_after_the_window_closes_a_text_is_not_held_overnight(delivery_db, fake_twilio,
                                                               gateway):
    db = delivery_db
    late = datetime(2026, 11, 25, 19, 50, tzinfo=timezone.utc)
    message_id = add_message(db, db.worker_id, add_person(db, db.worker_id), due=late)
    dispatch_due(db, gateway, late + timedelta(minutes=15), settings())
    message = messages.get(db, message_id)
    assert message["status"] == "expired"
    assert "The send window was closed." in message["status_reason"]
    assert fake_twilio.created == []


def test_a_persons_safe_hours_hold_a_text_back_until_they_begin(delivery_db, fake_twilio,
                                                                 gateway):
    db = delivery_db
    contact_id = add_person(db, db.worker_id, safe_hours="12:00-14:00")
    message_id = add_message(db, db.worker_id, contact_id)
    dispatch_due(db, gateway, NOON_ISH, settings())
    assert messages.get(db, message_id)["next_attempt_at"] == "2026-11-25T12:00:00+00:00"
    assert fake_twilio.created == []


# --- rate and concurrency -----------------------------------------------------------

def test_the_rate_limiter_books_time_by_parts_not_by_messages():
    now = [100.0]
    limiter = SegmentRateLimiter(10, clock=lambda: now[0])
    pace = 0.1 * (1 + limiter.margin)  # a little under the limit, for timing noise
    assert limiter.reserve(1) == 0                         # the first goes at once ...
    assert limiter.reserve(3) == pytest.approx(3 * pace)   # ... a three-part text waits
    assert limiter.reserve(1) == pytest.approx(4 * pace)   # three times as long
    now[0] += 10
    assert limiter.reserve(3) == 0


def segments_in_busiest_second(sends):
    """The most segments any one-second window (a, a + 1] holds, as a strict provider
    counts them: `sends` are (time, segments)."""
    ordered = sorted(sends)
    return max(sum(parts for at, parts in ordered if start - 1 < at <= start)
               for start, _ in ordered)


@pytest.mark.parametrize("limit", [1, 10, 100])
@pytest.mark.parametrize("mix", [(1,), (1, 1, 1, 1, 2, 3, 4)], ids=["one part", "mixed"])
def test_the_limiter_never_puts_more_than_the_limit_in_any_one_second_window(limit, mix):
    """Texts leave when the limiter says (a quarter of them 4 ms late): no one-second
    window ever holds more than the limit. One-part texts use at least 95 % of it;
    mixed parts (no more than the limit each) cannot pack as tightly, but use 80 %."""
    now = [0.0]
    limiter = SegmentRateLimiter(limit, clock=lambda: now[0])
    rng = random.Random(limit)
    sends = []
    for _ in range(40 * limit):
        parts = min(limit, rng.choice(mix))
        ticket = limiter.book(parts)
        now[0] = max(now[0], ticket.at) + rng.choice([0, 0, 0, 0.004])
        limiter.departed(ticket)
        sends.append((ticket.at, parts))
    assert segments_in_busiest_second(sends) <= limit
    span = sends[-1][0] - sends[0][0]
    used = sum(parts for _, parts in sends[:-1]) / span / limit
    assert used >= (0.95 if mix == (1,) else 0.8)


@pytest.mark.parametrize("limit", [10, 30, 100])
@pytest.mark.parametrize("mix", [(1,), (1, 1, 1, 1, 2, 3, 4)], ids=["one part", "mixed"])
def test_texts_sent_in_groups_never_put_more_than_the_limit_in_any_one_second_window(
        limit, mix):
    """The dispatcher sends texts due together in small groups, booked together and
    leaving together (a quarter of the groups 4 ms late): still no one-second window
    holds more than the limit, and one-part texts still use 95 % of it."""
    size = group_size(limit)
    assert size > 1
    now = [0.0]
    limiter = SegmentRateLimiter(limit, clock=lambda: now[0])
    rng = random.Random(limit)
    sends = []
    while len(sends) < 40 * limit:
        group = [min(size, rng.choice(mix))]
        while sum(group) < size:
            group.append(min(size - sum(group), rng.choice(mix)))
        tickets = limiter.book_together(group)
        now[0] = max(now[0], tickets[0].at) + rng.choice([0, 0, 0, 0.004])
        for ticket in tickets:
            limiter.departed(ticket)
        sends.extend((ticket.at, ticket.segments) for ticket in tickets)
    assert segments_in_busiest_second(sends) <= limit
    span = sends[-1][0] - sends[0][0]
    used = sum(parts for at, parts in sends if at < sends[-1][0]) / span / limit
    assert used >= 0.95


def test_at_a_strict_providers_limit_texts_due_together_go_in_groups_and_none_is_refused(
        delivery_db, fake_twilio):
    """Twenty texts due at once, 10 segments a second, a provider counting a strict
    rolling second: they leave five at a time, half a second apart, and none is
    refused."""
    db = delivery_db
    fake_twilio.set_limit(10, "strict")
    fake_twilio.latency = 0.2
    contact_id = add_person(db, db.worker_id)
    for n in range(20):
        add_message(db, db.worker_id, contact_id, body=f"Text {n}")

    result = dispatch_due(db, gateway_for(fake_twilio), NOON_ISH,
                          settings(segments_per_second=10, concurrency=32))

    assert (result.sent, fake_twilio.refused) == (20, [])
    arrived = sorted(message["_received_at"] for message in fake_twilio.created)
    groups = [[arrived[0]]]
    for before, after in zip(arrived, arrived[1:]):
        if after - before > 0.25:
            groups.append([])
        groups[-1].append(after)
    assert [len(group) for group in groups] == [5, 5, 5, 5]
    assert all(0.45 < later[0] - earlier[0] < 1.0 for earlier, later in zip(groups, groups[1:]))


def test_a_429_widens_the_limiters_margin_up_to_a_ceiling_and_it_wears_off():
    now = [0.0]
    limiter = SegmentRateLimiter(10, clock=lambda: now[0])
    before = limiter.pace
    limiter.slowed_down()
    assert limiter.pace < before
    for _ in range(50):
        limiter.slowed_down()
    assert limiter.pace == pytest.approx(10 / 1.2)
    now[0] += 600  # ten quiet minutes
    assert limiter.pace == pytest.approx(before)


def test_a_backlog_of_stale_texts_does_not_wait_for_the_rate_limit(delivery_db, fake_twilio,
                                                                    gateway):
    db = delivery_db
    contact_id = add_person(db, db.worker_id)
    for n in range(5):
        add_message(db, db.worker_id, contact_id, body=f"Old {n}",
                    due=NOON_ISH - timedelta(hours=3))
    add_message(db, db.worker_id, contact_id, body="Fresh")
    limiter = CountingLimiter(1000)
    result = dispatch_due(db, gateway, NOON_ISH,
                          settings(limiter=limiter, concurrency=1))
    assert (result.expired, result.sent) == (5, 1)
    assert limiter.booked == [1]


def test_parts_the_provider_counted_beyond_mends_count_are_charged_to_the_limit(
        delivery_db, fake_twilio, gateway):
    db = delivery_db
    message_id = add_message(db, db.worker_id, add_person(db, db.worker_id),
                             body="A long text. " * 30)
    db.execute("UPDATE messages SET parts = 1 WHERE id = ?", [message_id])
    limiter = CountingLimiter(1000)
    dispatch_due(db, gateway, NOON_ISH, settings(limiter=limiter))
    assert fake_twilio.created[0]["num_segments"] == "3"
    assert limiter.booked == [1, 2]
    assert sent_event(db, message_id)["detail"]["provider_parts"] == 3


def test_sends_keep_to_the_providers_segment_limit_counting_parts(delivery_db, fake_twilio):
    db = delivery_db
    fake_twilio.segments_per_second = 6
    fake_twilio._tokens = 6.0
    contact_id = add_person(db, db.worker_id)
    three_parts = "This text is long enough to need three parts. " * 8
    ids = [add_message(db, db.worker_id, contact_id, body=f"{n} {three_parts}")
           for n in range(4)]
    assert {messages.get(db, i)["parts"] for i in ids} == {3}

    result = dispatch_due(db, gateway_for(fake_twilio), NOON_ISH,
                          settings(segments_per_second=6, concurrency=4))

    assert fake_twilio.refused == []
    assert result.sent == 4


def test_without_the_limit_the_provider_refuses_a_burst(delivery_db, fake_twilio):
    """The contrast that shows the limiter matters: the fake's limit is real."""
    db = delivery_db
    fake_twilio.segments_per_second = 2
    fake_twilio._tokens = 2.0
    contact_id = add_person(db, db.worker_id)
    for n in range(6):
        add_message(db, db.worker_id, contact_id, body=f"Text {n}")
    result = dispatch_due(db, gateway_for(fake_twilio), NOON_ISH,
                          settings(segments_per_second=1000, concurrency=1))
    refused = [code for _, status, code in fake_twilio.refused]
    assert refused and set(refused) == {20429}
    assert (result.sent, result.deferred) == (6 - len(refused), len(refused))


def test_sends_overlap_up_to_the_pool_size_and_no_further(delivery_db, fake_twilio):
    db = delivery_db
    fake_twilio.latency = 0.3
    contact_id = add_person(db, db.worker_id)
    for n in range(10):
        add_message(db, db.worker_id, contact_id, body=f"Text {n}")
    result = dispatch_due(db, gateway_for(fake_twilio), NOON_ISH, settings(concurrency=4))
    assert result.sent == 10
    assert fake_twilio.max_in_flight == 4


# --- provider errors --------------------------------------------------------------------

@pytest.mark.parametrize("status, code", [(429, 20429), (400, 21611)])
def test_slow_down_and_queue_full_are_retried_later_with_backoff(
        delivery_db, fake_twilio, gateway, status, code):
    db = delivery_db
    message_id = add_message(db, db.worker_id, add_person(db, db.worker_id))
    fake_twilio.fail_next({"status": status, "code": code})

    result = dispatch_due(db, gateway, NOON_ISH, settings())

    assert (result.sent, result.deferred) == (0, 1)
    message = messages.get(db, message_id)
    assert message["status"] == "scheduled"
    retry_at = from_db_time(message["next_attempt_at"])
    assert NOON_ISH + timedelta(seconds=5) <= retry_at <= NOON_ISH + timedelta(seconds=10)
    event = events.for_subject(db, "message", message_id)[-1]
    assert (event["action"], event["detail"]["error_code"]) == ("message.retry_scheduled", code)
    assert dispatch_due(db, gateway, NOON_ISH + timedelta(seconds=4), settings()).claimed == 0

    assert dispatch_due(db, gateway, retry_at, settings()).sent == 1
    assert len(fake_twilio.created) == 1
    assert messages.get(db, message_id)["attempts"] == 2


def test_backoff_grows_with_each_attempt(delivery_db, fake_twilio, gateway):
    db = delivery_db
    message_id = add_message(db, db.worker_id, add_person(db, db.worker_id))
    now, waits = NOON_ISH, []
    for _ in range(3):
        fake_twilio.fail_next({"status": 429, "code": 20429})
        dispatch_due(db, gateway, now, settings())
        retry_at = from_db_time(messages.get(db, message_id)["next_attempt_at"])
        waits.append((retry_at - now).total_seconds())
        now = retry_at
    assert 5 <= waits[0] <= 10 and 10 <= waits[1] <= 20 and 20 <= waits[2] <= 40


def test_a_text_is_tried_at_most_max_attempts_times(delivery_db, fake_twilio, gateway):
    db = delivery_db
    message_id = add_message(db, db.worker_id, add_person(db, db.worker_id))
    now = NOON_ISH
    for _ in range(2):
        fake_twilio.fail_next({"status": 429, "code": 20429})
        dispatch_due(db, gateway, now, settings(max_attempts=2))
        now += timedelta(minutes=5)
    message = messages.get(db, message_id)
    assert message["status"] == "failed"
    assert message["status_reason"] == ("The provider asked Mend to slow down (too many "
                                        "requests). It was tried 2 times and not sent.")
    assert fake_twilio.created == []


def test_a_retry_that_would_be_late_expires_instead(delivery_db, fake_twilio, gateway):
    db = delivery_db
    message_id = add_message(db, db.worker_id, add_person(db, db.worker_id),
                             due=NOON_ISH - timedelta(hours=1, minutes=59, seconds=58))
    fake_twilio.fail_next({"status": 429, "code": 20429})
    dispatch_due(db, gateway, NOON_ISH, settings())
    message = messages.get(db, message_id)
    assert message["status"] == "expired"
    assert message["status_reason"].endswith("It could not go out on time, so it was not "
                                             "sent late.")


@pytest.mark.parametrize("code, reason", [
    (21211, "The number is not a valid phone number. Check it with the person."),
    (21408, "Mend's provider account cannot send texts to this number's country."),
    (21612, "The provider cannot reach this number (it may be a landline or a network "
            "that does not take texts)."),
    (21614, "This number is not a mobile number, so it cannot get texts."),
])
def test_a_number_that_cannot_take_texts_fails_with_a_reason_and_is_flagged(
        delivery_db, fake_twilio, gateway, code, reason):
    db = delivery_db
    contact_id = add_person(db, db.worker_id)
    message_id = add_message(db, db.worker_id, contact_id)
    fake_twilio.reject_number("+447911123456", code)

    result = dispatch_due(db, gateway, NOON_ISH, settings())

    assert result.failed == 1
    message = messages.get(db, message_id)
    assert (message["status"], message["status_reason"], message["error_code"]) == \
        ("failed", reason, code)
    assert contacts.get(db, contact_id)["number_flag"] == reason
    assert [e["action"] for e in events.for_subject(db, "contact", contact_id)] == \
        ["contact.number_flagged", "contact.number_held"]  # issue 14: their texts are held


def test_a_person_who_texted_stop_to_the_provider_has_consent_withdrawn(
        delivery_db, fake_twilio, gateway):
    db = delivery_db
    contact_id = add_person(db, db.worker_id)
    now_id = add_message(db, db.worker_id, contact_id)
    later_id = add_message(db, db.worker_id, contact_id, body="Later text",
                           due=NOON_ISH + timedelta(days=1))
    fake_twilio.reject_number("+447911123456", 21610)

    dispatch_due(db, gateway, NOON_ISH, settings())

    assert contacts.current_consent(db, contact_id) == "withdrawn"
    assert contacts.consent_history(db, contact_id)[0]["method"] == "provider_blocked"
    assert status_of(db, now_id) == "cancelled"
    later = messages.get(db, later_id)
    assert later["status"] == "cancelled"
    assert "texted STOP" in later["status_reason"]
    assert actions_for(db, later_id) == ["message.cancelled"]
    assert fake_twilio.created == []


@pytest.mark.parametrize("code, status", [(21610, "cancelled"), (21614, "scheduled")])
def test_a_text_due_after_the_provider_refused_the_person_is_not_sent_in_the_same_tick(
        delivery_db, fake_twilio, code, status):
    """Two texts to one person, a second apart (1 segment a second): the provider's
    answer to the first (they texted STOP; the number cannot take texts) is recorded
    before the second's last check, which holds it back rather than sending it."""
    db = delivery_db
    contact_id = add_person(db, db.worker_id)
    first = add_message(db, db.worker_id, contact_id, body="First text")
    second = add_message(db, db.worker_id, contact_id, body="Second text")
    fake_twilio.reject_number("+447911123456", code)

    dispatch_due(db, gateway_for(fake_twilio), NOON_ISH,
                 settings(segments_per_second=1, concurrency=4))

    assert [code_ for _, _, code_ in fake_twilio.refused] == [code]  # only the first asked
    assert status_of(db, first) in ("cancelled", "failed")
    assert status_of(db, second) == status
    assert "message.sent" not in actions_for(db, second)


def test_rejected_credentials_stop_dispatching_without_failing_texts(
        delivery_db, fake_twilio):
    db = delivery_db
    contact_id = add_person(db, db.worker_id)
    ids = [add_message(db, db.worker_id, contact_id, body=f"Text {n}") for n in range(5)]
    wrong = gateway_for(fake_twilio, auth_token="not-the-token")

    result = dispatch_due(db, wrong, NOON_ISH, settings(concurrency=1))

    assert result.halted
    assert {status_of(db, message_id) for message_id in ids} == {"scheduled"}
    assert alerts.is_active(db, alerts.TWILIO_CREDENTIALS)
    assert [code for _, _, code in fake_twilio.refused] == [20003]
    assert "message.held" in actions_for(db, ids[0])
    # The next tick claims nothing while the alert stands.
    later = dispatch_due(db, gateway_for(fake_twilio), NOON_ISH + timedelta(minutes=1),
                         settings())
    assert (later.halted, later.claimed) == (True, 0)
    assert fake_twilio.created == []


def test_the_credentials_alert_is_cleared_when_the_scheduler_restarts(delivery_db):
    from scheduler.runner import prepare

    db = delivery_db
    alerts.raise_alert(db, alerts.TWILIO_CREDENTIALS, "Twilio refused Mend's account details.")

    class Ticker:
        gateway, settings = None, None

        def db(self):
            return db

    said = []
    prepare(Ticker(), said.append)
    assert not alerts.is_active(db, alerts.TWILIO_CREDENTIALS)
    assert said == ["The provider refused the credentials before the restart; "
                    "trying them again."]


# --- ambiguous failures: look it up before any resend -------------------------------

@pytest.mark.parametrize("fault", [
    {"status": 500, "after_create": True},
    {"timeout": 1.5, "after_create": True},
])
def test_an_ambiguous_failure_is_looked_up_and_the_text_is_not_sent_again(
        delivery_db, fake_twilio, fault):
    db = delivery_db
    message_id = add_message(db, db.worker_id, add_person(db, db.worker_id))
    fake_twilio.fail_next(fault)

    result = dispatch_due(db, gateway_for(fake_twilio, timeout=0.5), NOON_ISH, settings())

    assert result.sent == 1
    assert len(fake_twilio.created) == 1
    assert fake_twilio.lists == 1
    message = messages.get(db, message_id)
    assert (message["status"], message["provider_sid"]) == ("sent", fake_twilio.created[0]["sid"])
    assert sent_event(db, message_id)["detail"]["settled_by_lookup"] is True


def test_a_provider_that_cannot_be_reached_is_retried_later_without_a_lookup(
        delivery_db, fake_twilio):
    db = delivery_db
    message_id = add_message(db, db.worker_id, add_person(db, db.worker_id))
    fake_twilio.stop()  # nothing listens on its port now
    result = dispatch_due(db, gateway_for(fake_twilio), NOON_ISH, settings())
    assert result.deferred == 1
    message = messages.get(db, message_id)
    assert message["status"] == "scheduled"
    assert message["status_reason"] == ("Mend could not connect to the provider. It will be "
                                        "tried again.")
    assert message["ambiguous_at"] is None


def test_an_ambiguous_failure_that_created_nothing_is_retried(delivery_db, fake_twilio,
                                                               gateway):
    db = delivery_db
    message_id = add_message(db, db.worker_id, add_person(db, db.worker_id))
    fake_twilio.fail_next({"status": 503, "code": 20503})
    dispatch_due(db, gateway, NOON_ISH, settings())
    assert status_of(db, message_id) == "scheduled"
    assert (fake_twilio.lists, fake_twilio.created) == (1, [])
    dispatch_due(db, gateway, NOON_ISH + timedelta(minutes=1), settings())
    assert len(fake_twilio.created) == 1
    assert fake_twilio.lists == 2  # looked up again before sending again
    assert status_of(db, message_id) == "sent"


def test_a_text_the_provider_lists_late_is_found_before_the_retry_not_sent_twice(
        delivery_db, fake_twilio, gateway):
    db = delivery_db
    message_id = add_message(db, db.worker_id, add_person(db, db.worker_id))
    fake_twilio.fail_next({"status": 500, "after_create": True, "hidden_from_lists": 1})
    dispatch_due(db, gateway, NOON_ISH, settings())
    assert status_of(db, message_id) == "scheduled"

    dispatch_due(db, gateway, NOON_ISH + timedelta(minutes=1), settings())

    assert len(fake_twilio.created) == 1
    message = messages.get(db, message_id)
    assert (message["status"], message["provider_sid"]) == ("sent", fake_twilio.created[0]["sid"])
    assert sent_event(db, message_id)["detail"]["settled_by_lookup"] is True


def test_an_ambiguous_failure_that_cannot_be_settled_is_unknown_and_never_resent(
        delivery_db, fake_twilio, gateway):
    db = delivery_db
    message_id = add_message(db, db.worker_id, add_person(db, db.worker_id))
    fake_twilio.fail_next({"status": 500, "after_create": True})
    fake_twilio.fail_next_list({"status": 500})

    result = dispatch_due(db, gateway, NOON_ISH, settings())
    dispatch_due(db, gateway, NOON_ISH + timedelta(minutes=5), settings())

    assert result.unknown == 1
    message = messages.get(db, message_id)
    assert message["status"] == "unknown"
    assert message["status_reason"] == ("The provider did not confirm the send; a person "
                                        "should check it.")
    assert len(fake_twilio.created) == 1


# --- crash safety and stopping ---------------------------------------------------------

def test_an_answer_heard_is_kept_until_the_transaction_recording_it_commits(
        delivery_db, fake_twilio, gateway):
    """The provider took the first text; the transaction that records its answer is
    refused once (as a full disk or an I/O error would refuse it). The answer stays
    to be recorded by the next transaction: the text ends `sent`, once, not left
    `sending` for a restart to look up."""
    db = delivery_db
    first = add_message(db, db.worker_id, add_person(db, db.worker_id))
    second = add_message(db, db.worker_id, add_person(db, db.worker_id, phone="+447911123457",
                                                      name="Sam"))
    refusals = []

    def refuse_once():
        refusals.append(1)
        return len(refusals) == 1

    db.conn.create_function("refuse_once", 0, refuse_once)
    db.conn.execute("CREATE TEMP TRIGGER refuse_once BEFORE INSERT ON events"
                    " WHEN NEW.action = 'message.sent' AND refuse_once()"
                    " BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END")
    # one text a second: the second waits for its second while the first is answered
    with pytest.raises(sqlite3.IntegrityError, match="disk I/O error"):
        dispatch_due(db, gateway, NOON_ISH, settings(segments_per_second=1))

    assert len(refusals) == 2  # refused once, then recorded
    assert status_of(db, first) == "sent"
    assert actions_for(db, first) == ["message.claimed", "message.sent"]
    assert status_of(db, second) == "scheduled"  # put back, not sent
    assert fake_twilio.bodies() == [messages.get(db, first)["body"]]


def crashed_mid_send(db, *, started):
    """A dispatcher claimed one text (and, if `started`, let its request leave), then
    died. Returns the message."""
    message = messages.claim_due(db, now=NOON_ISH, limit=10)[0]
    if started:
        messages.mark_send_started(db, message["id"], at=utc_now())
    return messages.get(db, message["id"])


def test_a_text_claimed_but_never_sent_before_a_crash_goes_back_and_is_sent_once(
        delivery_db, fake_twilio, gateway):
    db = delivery_db
    message_id = add_message(db, db.worker_id, add_person(db, db.worker_id))
    crashed_mid_send(db, started=False)

    recovered = mark_abandoned_sends(db, gateway)

    assert (recovered.released, recovered.unknown, fake_twilio.lists) == ([message_id], [], 0)
    assert status_of(db, message_id) == "scheduled"
    assert events.for_subject(db, "message", message_id)[-1]["detail"]["note"] == \
        "The dispatcher stopped after claiming it and before sending it; it will go at " \
        "the next run."
    dispatch_due(db, gateway, NOON_ISH + timedelta(minutes=1), settings())
    assert status_of(db, message_id) == "sent"
    assert len(fake_twilio.created) == 1
    assert messages.get(db, message_id)["attempts"] == 1


def test_a_text_the_provider_still_has_queued_is_found_after_a_crash_and_not_sent_again(
        delivery_db, fake_twilio, gateway):
    """Twilio has taken the text but not sent it yet, so it has no sent date: a look-up
    filtered by DateSent would miss it. Mend's look-up finds it by number, words and
    creation time."""
    db = delivery_db
    contact_id = add_person(db, db.worker_id)
    message_id = add_message(db, db.worker_id, contact_id, body="It’s ok – no need to reply")
    message = crashed_mid_send(db, started=True)
    # The request left before the crash, and Twilio accepted it (it is still queued).
    gateway.send(message_id=message_id, to="+447911123456", body=message["body"], parts=1)
    queued = fake_twilio.created[0]
    assert (queued["status"], queued["date_sent"]) == ("queued", None)
    by_sent_date = gateway.client.messages.list(
        to="+447911123456", date_sent_after=datetime(2000, 1, 1, tzinfo=timezone.utc))
    assert by_sent_date == []  # what a DateSent filter would have seen

    recovered = mark_abandoned_sends(db, gateway)

    assert recovered.settled == [message_id]
    stored = messages.get(db, message_id)
    assert (stored["status"], stored["provider_sid"]) == ("sent", queued["sid"])
    assert sent_event(db, message_id)["detail"]["settled_by_lookup"] is True
    dispatch_due(db, gateway, NOON_ISH + timedelta(minutes=1), settings())
    assert len(fake_twilio.created) == 1


def test_a_started_send_the_provider_never_got_is_looked_up_again_then_sent_once(
        delivery_db, fake_twilio, gateway):
    db = delivery_db
    any_hour = settings(window=send_window.parse_window("00:00-24:00"))
    message_id = add_message(db, db.worker_id, add_person(db, db.worker_id), due=utc_now())
    messages.claim_due(db, now=utc_now(), limit=10)
    messages.mark_send_started(db, message_id, at=utc_now())

    recovered = mark_abandoned_sends(db, gateway, any_hour)

    assert recovered.retried == [message_id]
    message = messages.get(db, message_id)
    assert (message["status"], fake_twilio.lists) == ("scheduled", 1)
    assert message["ambiguous_at"] is not None  # the next attempt looks it up first
    dispatch_due(db, gateway, from_db_time(message["next_attempt_at"]), any_hour)
    assert (status_of(db, message_id), fake_twilio.lists, len(fake_twilio.created)) == \
        ("sent", 2, 1)


def test_a_started_send_the_look_up_cannot_settle_is_unknown_and_never_resent(
        delivery_db, fake_twilio, gateway):
    db = delivery_db
    message_id = add_message(db, db.worker_id, add_person(db, db.worker_id))
    crashed_mid_send(db, started=True)
    fake_twilio.fail_next_list({"status": 500})

    recovered = mark_abandoned_sends(db, gateway)
    dispatch_due(db, gateway, NOON_ISH + timedelta(minutes=1), settings())

    assert recovered.unknown == [message_id]
    message = messages.get(db, message_id)
    assert message["status"] == "unknown"
    assert "a person should check it" in message["status_reason"]
    assert fake_twilio.created == []


def test_stopping_finishes_sends_in_flight_and_puts_the_rest_back(delivery_db, fake_twilio):
    db = delivery_db
    fake_twilio.latency = 0.3
    contact_id = add_person(db, db.worker_id)
    ids = [add_message(db, db.worker_id, contact_id, body=f"Text {n}") for n in range(8)]
    stop = threading.Event()

    def stop_after_the_first_send():
        while not fake_twilio.created:
            threading.Event().wait(0.01)
        stop.set()

    watcher = threading.Thread(target=stop_after_the_first_send)
    watcher.start()
    result = dispatch_due(db, gateway_for(fake_twilio), NOON_ISH, settings(concurrency=2),
                          stop=stop)
    watcher.join()

    statuses = Counter(status_of(db, message_id) for message_id in ids)
    assert statuses["sending"] == 0
    assert statuses["sent"] == len(fake_twilio.created) == result.sent
    assert 1 <= result.sent < 8
    assert statuses["scheduled"] == 8 - result.sent
    waiting = [i for i in ids if status_of(db, i) == "scheduled"]
    # Claimed but not sent: put back, with an event; never claimed: untouched.
    assert {tuple(actions_for(db, i)[-1:]) for i in waiting} <= {("message.released",), ()}
    assert result.released == sum(actions_for(db, i)[-1:] == ["message.released"]
                                  for i in waiting)
    assert all(messages.get(db, i)["attempts"] == 0 for i in waiting)


def test_logs_never_hold_the_number_or_the_text(delivery_db, fake_twilio, gateway, caplog):
    caplog.set_level(logging.DEBUG)
    db = delivery_db
    contact_id = add_person(db, db.worker_id)
    add_message(db, db.worker_id, contact_id, body="Private words for Alex")
    add_message(db, db.worker_id, contact_id, body="More private words")
    fake_twilio.fail_next({"status": 500, "after_create": True},
                          {"status": 500, "after_create": True})
    fake_twilio.fail_next_list({"status": 500})
    dispatch_due(db, gateway, NOON_ISH, settings(concurrency=1))
    assert fake_twilio.lists == 1  # and one that failed
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "Private words" not in logged and "private words" not in logged
    assert "7911" not in logged
    assert AUTH_TOKEN not in logged


def test_a_text_that_may_have_gone_is_never_called_not_sent_when_it_goes_stale(
        delivery_db, fake_twilio, gateway):
    """After a 5xx the first attempt may have reached the person: if the retry would be
    late, a person must check it ('unknown'), not read 'not sent' and write it again."""
    db = delivery_db
    message_id = add_message(db, db.worker_id, add_person(db, db.worker_id))
    fake_twilio.fail_next({"status": 500, "after_create": True, "hidden_from_lists": 5})
    dispatch_due(db, gateway, NOON_ISH, settings())
    assert status_of(db, message_id) == "scheduled"
    dispatch_due(db, gateway, NOON_ISH + timedelta(hours=3), settings())
    message = messages.get(db, message_id)
    assert message["status"] == "unknown"
    assert message["status_reason"].startswith("The provider did not confirm the send")
    assert len(fake_twilio.created) == 1
