"""Replies left unread: the team's view for reviewers and admins, and one email to the
key worker and any cover worker with a link and no personal data, sent through a real
local SMTP server (aiosmtpd)."""
import logging
from datetime import date, datetime, timedelta, timezone

import pytest
import time_machine

from actions import reply_alerts
from scheduler.runner import UnreadReplyJob
from sms.mail import ConsoleMail, MailSettings, SmtpMail
from sms.service import Service
from sms.service_hours import parse_hours, working_time_between
from sms.team import unread_is_overdue
from storage import events, team
from tests.harness.database import ACCOUNTS, add_person
from tests.harness.smtp import LocalSmtp, free_port
from tests.harness.twilio_signing import TEST_AUTH_TOKEN, TEST_PUBLIC_BASE_URL, post_signed
from tests.test_inbound_webhook import visible_text

RECEIVED = datetime(2026, 11, 25, 11, 0, tzinfo=timezone.utc)  # a Wednesday
WORDS = "I can't cope with the flat any more"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "TWILIO_AUTH_TOKEN": TEST_AUTH_TOKEN,
            "PUBLIC_BASE_URL": TEST_PUBLIC_BASE_URL, "TIMEZONE": "UTC"}


@pytest.fixture
def alex(db, user_ids):
    return add_person(db, user_ids["worker"], name="Alex")


@pytest.fixture
def smtp():
    with LocalSmtp() as server:
        yield server


def reply_arrives(client, at=RECEIVED, body=WORDS, sid=1):
    with time_machine.travel(at, tick=False):
        assert post_signed(client, "/webhooks/twilio/inbound", {
            "MessageSid": f"SM{sid:032x}", "AccountSid": "AC" + "0" * 32,
            "From": "+447911123456", "To": "+447400123456", "Body": body}).status_code == 200


def service_for(app, **overrides):
    return Service.from_config({**app.config, **overrides})


def mailer(smtp):
    return SmtpMail(MailSettings.from_config({**smtp.config(), "SMTP_USERNAME": "",
                                              "SMTP_PASSWORD": ""}))


def test_a_reply_unread_for_a_day_is_emailed_once_with_a_link_and_nothing_personal(
        client, app, db, alex, smtp):
    reply_arrives(client)
    service = service_for(app)
    early = reply_alerts.send_unread_alerts(db, service, mailer(smtp), base_url="https://m.example",
                                            now=RECEIVED + timedelta(hours=23))
    assert (early.emailed, smtp.inbox) == ([], [])

    run = reply_alerts.send_unread_alerts(db, service, mailer(smtp), base_url="https://m.example",
                                          now=RECEIVED + timedelta(hours=24))
    reply_id = run.emailed[0]
    [mail] = smtp.inbox
    assert mail["to"] == [ACCOUNTS["worker"][0]]
    assert mail["subject"] == "A reply is waiting in Mend"
    assert f"https://m.example/contacts/{alex}#reply-{reply_id}" in mail["body"]
    for personal in ("Alex", "7911", "123456", "flat", "cope"):
        assert personal not in mail["body"] + mail["subject"]

    again = reply_alerts.send_unread_alerts(db, service, mailer(smtp), base_url="https://m.example",
                                            now=RECEIVED + timedelta(hours=48))
    assert (again.emailed, len(smtp.inbox)) == ([], 1)
    sent = events.for_subject(db, "inbound_message", reply_id)[-1]
    assert (sent["action"], sent["detail"]) == (
        "inbound.unread_alert_sent", {"recipient_user_ids": [1], "backend": "smtp"})


def test_the_cover_worker_is_emailed_too(client, app, db, user_ids, alex, smtp):
    today = date(2026, 11, 26)
    team.create_cover(db, key_worker_id=user_ids["worker"],
                      cover_worker_id=user_ids["other_worker"], starts_on=today,
                      ends_on=today + timedelta(days=5), created_by=user_ids["worker"])
    reply_arrives(client)
    reply_alerts.send_unread_alerts(db, service_for(app), mailer(smtp), base_url="https://m",
                                    now=RECEIVED + timedelta(hours=25))
    assert sorted(address for mail in smtp.inbox for address in mail["to"]) == sorted(
        [ACCOUNTS["worker"][0], ACCOUNTS["other_worker"][0]])


def test_a_read_reply_is_not_emailed_about(client, worker, app, db, alex, smtp):
    reply_arrives(client)
    reply_id = team.unread_replies(db)[0]["id"]
    from tests.harness.pages import post_form
    post_form(worker, f"/inbox/{reply_id}/read", {}, page="/dashboard")
    run = reply_alerts.send_unread_alerts(db, service_for(app), mailer(smtp), base_url="https://m",
                                          now=RECEIVED + timedelta(days=3))
    assert (run.emailed, smtp.inbox) == ([], [])


def test_a_mail_server_that_is_down_is_tried_again_at_the_next_check(client, app, db, alex,
                                                                     smtp):
    reply_arrives(client)
    down = SmtpMail(MailSettings(backend="smtp", host="127.0.0.1", port=free_port(),
                                 security="none", timeout=2))
    failed = reply_alerts.send_unread_alerts(db, service_for(app), down, base_url="https://m",
                                             now=RECEIVED + timedelta(days=2))
    assert (failed.emailed, len(failed.failed)) == ([], 1)
    later = reply_alerts.send_unread_alerts(db, service_for(app), mailer(smtp),
                                            base_url="https://m",
                                            now=RECEIVED + timedelta(days=2, minutes=10))
    assert len(later.emailed) == len(smtp.inbox) == 1


def test_the_scheduler_job_sends_through_the_configured_server(client, app, db, alex, smtp):
    reply_arrives(client, at=datetime.now(timezone.utc) - timedelta(hours=30))
    UnreadReplyJob({**app.config, **smtp.config()})()
    assert [mail["subject"] for mail in smtp.inbox] == ["A reply is waiting in Mend"]


def test_the_console_backend_writes_the_email_to_the_log(caplog):
    with caplog.at_level(logging.INFO, logger="mend.mail"):
        ConsoleMail(MailSettings()).send(to="sam@example.org", subject="A reply is waiting",
                                         body="Read it in Mend: https://m/contacts/1")
    assert "A reply is waiting" in caplog.text and "https://m/contacts/1" in caplog.text


@pytest.mark.parametrize("received, now, overdue", [
    # Friday 16:00 -> Monday 16:00: 1 + 7 working hours, not 72
    (datetime(2026, 11, 27, 16, 0, tzinfo=timezone.utc),
     datetime(2026, 11, 30, 16, 0, tzinfo=timezone.utc), False),
    # Wednesday 11:00 -> Friday 11:00: 6 + 8 + 2 = 16 working hours
    (datetime(2026, 11, 25, 11, 0, tzinfo=timezone.utc),
     datetime(2026, 11, 27, 11, 0, tzinfo=timezone.utc), False),
    # Wednesday 11:00 -> Monday 12:00: 6 + 8 + 8 + 3 = 25 working hours
    (datetime(2026, 11, 25, 11, 0, tzinfo=timezone.utc),
     datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc), True),
])
def test_with_working_hours_only_working_time_counts(received, now, overdue):
    hours = parse_hours("Mon-Fri 09:00-17:00")
    assert unread_is_overdue(received_at=received, now=now, zone="UTC", hours=hours,
                             after_hours=24) is overdue


def test_working_time_crosses_a_clock_change():
    hours = parse_hours("Mon-Sun 00:00-24:00")
    start = datetime(2026, 10, 24, 12, 0, tzinfo=timezone.utc)  # BST ends 25 October
    end = start + timedelta(hours=48)
    assert working_time_between(start, end, "Europe/London", hours) == timedelta(hours=48)


def test_the_team_view_lists_overdue_replies_for_reviewers_and_admins(
        client, reviewer, admin, worker, db, alex):
    reply_arrives(client, at=datetime.now(timezone.utc) - timedelta(hours=30), sid=1)
    reply_arrives(client, at=datetime.now(timezone.utc) - timedelta(hours=1), sid=2,
                  body="Just now")
    for lead in (reviewer, admin):
        page = visible_text(lead.get("/team/unread").get_data(as_text=True))
        assert "Alex Sam Worker" in page and "Not yet" in page
        assert page.count("Alex Sam Worker") == 1  # the reply an hour old is not overdue
    assert worker.get("/team/unread").status_code == 403
