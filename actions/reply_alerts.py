"""Replies left unread: which ones have waited too long (the team's view), and the
email to the key worker and any cover worker. The email holds a link and nothing
about the person: no name, number or words.

`send_unread_alerts` runs from the scheduler process (scheduler/runner.py), so it
takes plain values and a mailer, never Flask.
"""
import logging
from dataclasses import dataclass, field

from sms import reply_language
from sms import team as rules
from sms.languages import parse_codes
from sms.mail import MailError
from storage import events, team, users
from storage.connection import from_db_time, utc_now, write_transaction

log = logging.getLogger("mend.reply_alerts")


@dataclass
class AlertRun:
    emailed: list = field(default_factory=list)   # inbound ids an email went out for
    failed: list = field(default_factory=list)    # inbound ids the mail server refused
    nobody: list = field(default_factory=list)    # no active key or cover worker to tell


def overdue_replies(db, service, *, now=None):
    """Replies unread longer than UNREAD_REPLY_HOURS (working hours when set), oldest first."""
    now = now or utc_now()
    return [row for row in team.unread_replies(db)
            if rules.unread_is_overdue(received_at=from_db_time(row["received_at"]), now=now,
                                       zone=service.zone, hours=service.hours,
                                       after_hours=service.unread_after_hours)]


def team_languages(db):
    """Every language someone on an active account reads (`users.languages`)."""
    return {code for user in users.all_users(db) if user["active"]
            for code in parse_codes(user["languages"])}


def waiting_for_a_language(db):
    """Unread replies that read as a language nobody in the team has on their account,
    oldest first, each with its `language`."""
    return reply_language.waiting_for_a_language(team.unread_replies_with_text(db),
                                                 team_languages(db))


def recipients_for(db, reply, service, now):
    """The key worker (if their account is active) and whoever covers them today."""
    people = {}
    if reply["key_worker_active"]:
        people[reply["key_worker_id"]] = reply["key_worker_email"]
    for cover in team.cover_workers_today(db, reply["key_worker_id"], today=service.today(now)):
        people[cover["id"]] = cover["email"]
    return people


def send_unread_alerts(db, service, mailer, *, base_url, now=None):
    """One email per overdue reply, ever: to its key worker and any cover worker."""
    now = now or utc_now()
    run = AlertRun()
    for reply in overdue_replies(db, service, now=now):
        if reply["unread_alert_at"]:
            continue
        people = recipients_for(db, reply, service, now)
        if not people:
            run.nobody.append(reply["id"])
            continue
        link = f"{base_url.rstrip('/')}/contacts/{reply['contact_id']}#reply-{reply['id']}"
        subject, body = rules.unread_reply_email(link=link, service_name=service.name)
        try:
            for address in people.values():
                mailer.send(to=address, subject=subject, body=body)
        except MailError as error:
            log.warning("unread reply %s: %s; it will be tried at the next check",
                        reply["id"], error)
            run.failed.append(reply["id"])
            continue
        with write_transaction(db):
            if team.mark_alerted(db, reply["id"]):
                events.record(db, action="inbound.unread_alert_sent",
                              subject_type="inbound_message", subject_id=reply["id"],
                              detail={"recipient_user_ids": sorted(people),
                                      "backend": mailer.name})
        run.emailed.append(reply["id"])
    return run
