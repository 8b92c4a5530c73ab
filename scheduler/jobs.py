"""The scheduler's periodic jobs besides the dispatcher: retention (daily), the repair
sweep (hourly), audit checkpoints and the unread-reply emails. Each opens its own
connection, calls one workflow, logs what it did, and never lets a failure stop the
scheduler."""
import logging

from actions import checkpoints, maintenance, repairs, reply_alerts
from sms.mail import MailSettings, mailer_for
from sms.service import Service
from storage.connection import connect

log = logging.getLogger("mend.scheduler")


class DatabaseJob:
    """One run: a connection of its own, the subclass's `run(db)`, a log line on
    failure, and the connection closed."""
    what = "job"

    def __init__(self, config):
        self.config = config

    def __call__(self):
        db = connect(self.config["DATABASE_PATH"])
        try:
            self.run(db)
        except Exception:  # noqa: BLE001 - a failed run must not stop the scheduler
            log.exception("%s failed", self.what)
        finally:
            db.close()


class RetentionJob(DatabaseJob):
    """Daily: remove the words of texts and replies past RETENTION_DAYS."""
    what = "retention run"

    def run(self, db):
        result = maintenance.run_retention(db, days=self.config["RETENTION_DAYS"],
                                           trigger="scheduler")
        log.info("retention: removed the words of %s text(s) and %s repl(ies)",
                 result.messages, result.replies)


class RepairSweepJob(DatabaseJob):
    """Hourly: repairs nobody closed for 60 days close as "not recorded", and a follow-up
    plan whose text failed in the dispatcher stops (see actions.repairs.sweep)."""
    what = "repair sweep"

    def run(self, db):
        swept = repairs.sweep(db)
        if swept.closed or swept.plans_ended:
            log.info("repairs: %s closed after 60 days, %s follow-up plan(s) stopped",
                     len(swept.closed), len(swept.plans_ended))


class CheckpointJob(DatabaseJob):
    """Every AUDIT_CHECKPOINT_MINUTES: sign the audit log's head."""
    what = "audit checkpoint"

    def __init__(self, config):
        super().__init__(config)
        self.settings = checkpoints.CheckpointSettings.from_config(config)

    def run(self, db):
        checkpoints.take(db, self.settings, kind="interval")


class UnreadReplyJob(DatabaseJob):
    """Email the key worker and any cover worker about replies left unread."""
    what = "unread reply check"

    def __init__(self, config):
        super().__init__(config)
        self.service = Service.from_config(config)
        self.mailer = mailer_for(MailSettings.from_config(config))

    def run(self, db):
        sent = reply_alerts.send_unread_alerts(db, self.service, self.mailer,
                                               base_url=self.config["PUBLIC_BASE_URL"])
        if sent.emailed or sent.failed:
            log.info("unread replies: emailed about %s, mail server refused %s",
                     len(sent.emailed), len(sent.failed))
