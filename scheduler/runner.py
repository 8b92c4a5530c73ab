"""Running the dispatcher on an interval, in its own process or in the dev server.

Only one dispatcher may run against a database: a file lock beside the database
makes a second copy refuse to start and say why.
"""
import logging
import os
import signal
import threading
import time
from datetime import datetime, timedelta, timezone

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from filelock import FileLock, Timeout

from sms import send_window
from sms.gateways import ConsoleGateway
from storage import alerts
from storage.connection import connect

from .dispatcher import DispatchSettings, dispatch_due, mark_abandoned_sends
from .jobs import CheckpointJob, RepairSweepJob, RetentionJob, UnreadReplyJob  # noqa: F401

log = logging.getLogger("mend.scheduler")
logging.getLogger("apscheduler").setLevel(logging.WARNING)  # not a line per tick


class AlreadyRunning(RuntimeError):
    pass


def lock_path(database_path):
    return f"{database_path}.scheduler.lock"


def acquire_lock(database_path):
    lock = FileLock(lock_path(database_path))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise AlreadyRunning(
            f"Another Mend scheduler is already running against {database_path} "
            f"(it holds {lock_path(database_path)}). Only one may run at a time: "
            "stop the other one first."
        )
    return lock


def settings_from_config(config):
    return DispatchSettings(
        zone=config["TIMEZONE"],
        window=send_window.parse_window(config["SEND_WINDOW"]),
        stale_after=timedelta(seconds=config["STALE_AFTER_SECONDS"]),
        segments_per_second=config["SEGMENTS_PER_SECOND"],
        concurrency=config["SEND_CONCURRENCY"],
        max_attempts=config["MAX_SEND_ATTEMPTS"],
    )


def gateway_from_config(config):
    if config["SMS_BACKEND"] == "twilio":
        from sms.twilio_gateway import TwilioGateway
        return TwilioGateway.from_config(config)
    return ConsoleGateway()


class Ticker:
    """The interval job: one database connection per thread, opened on first use.

    A tick keeps sending until nothing is due, so with a backlog it outlasts the
    interval. The job may then start again while it runs (`max_instances=2`): the
    second call finds the tick busy, returns at once, and says so in the log once
    per long tick, instead of APScheduler's "skipped: maximum number of running
    instances" warning every interval.
    """

    def __init__(self, config):
        self.config = config
        self.settings = settings_from_config(config)
        self.gateway = gateway_from_config(config)
        self._local = threading.local()
        self.stop = threading.Event()
        self._running = threading.Lock()
        self._tick_started = None
        self._said_still_running = False

    def db(self):
        if getattr(self._local, "db", None) is None:
            self._local.db = connect(self.config["DATABASE_PATH"])
        return self._local.db

    def __call__(self):
        if not self._running.acquire(blocking=False):
            self._still_running()
            return
        try:
            self._tick_started, self._said_still_running = time.monotonic(), False
            if not self.stop.is_set():
                self.tick()
        except Exception:  # noqa: BLE001 - a bad tick must not stop the scheduler
            log.exception("dispatcher tick failed")
        finally:
            if self._said_still_running:
                log.info("the long dispatcher tick finished after %.0f s",
                         time.monotonic() - self._tick_started)
            self._running.release()

    def tick(self):
        dispatch_due(self.db(), self.gateway, settings=self.settings, stop=self.stop)

    def _still_running(self):
        if not self._said_still_running:
            self._said_still_running = True
            log.info("a dispatcher tick is still running (started %.0f s ago, sending a "
                     "backlog); the next one starts when it ends",
                     time.monotonic() - (self._tick_started or time.monotonic()))


RETENTION_HOUR = 3  # local time: the quietest hour, outside any send window


def _add_job(scheduler, ticker, interval):
    """One interval job; APScheduler's default 1 s misfire grace would skip ticks under load.

    Two instances may overlap so that APScheduler does not warn about a long tick at
    every interval: the Ticker itself lets only one dispatch run (see Ticker).
    """
    scheduler.add_job(ticker, "interval", seconds=interval, id="dispatch_due",
                      max_instances=2, coalesce=True, misfire_grace_time=max(30, interval * 6),
                      next_run_time=datetime.now(timezone.utc))


def _add_retention_job(scheduler, config):
    """Retention once a day at 03:30 local time; a run missed by up to 6 hours still runs."""
    scheduler.add_job(RetentionJob(config), "cron", hour=RETENTION_HOUR, minute=30,
                      timezone=config["TIMEZONE"], id="retention", max_instances=1,
                      coalesce=True, misfire_grace_time=6 * 3600)


def _add_checkpoint_job(scheduler, config):
    """Sign the audit log's head every AUDIT_CHECKPOINT_MINUTES (when a key is set),
    the first time a minute after the start."""
    if not config.get("AUDIT_CHECKPOINT_KEY"):
        return
    minutes = config["AUDIT_CHECKPOINT_MINUTES"]
    scheduler.add_job(CheckpointJob(config), "interval", minutes=minutes,
                      id="audit_checkpoint", max_instances=1, coalesce=True,
                      misfire_grace_time=minutes * 60,
                      next_run_time=datetime.now(timezone.utc) + timedelta(minutes=1))


def add_jobs(scheduler, ticker, config):
    """The dispatcher every SCHEDULER_INTERVAL seconds, retention once a day, the
    repair sweep every hour, and audit checkpoints."""
    _add_job(scheduler, ticker, config["SCHEDULER_INTERVAL"])
    _add_retention_job(scheduler, config)
    scheduler.add_job(RepairSweepJob(config), "interval", hours=1, id="repair_sweep",
                      max_instances=1, coalesce=True, misfire_grace_time=3600)
    _add_checkpoint_job(scheduler, config)
    _add_unread_reply_job(scheduler, config)


def _add_unread_reply_job(scheduler, config):
    """Every 10 minutes; a missed run is simply the next one."""
    scheduler.add_job(UnreadReplyJob(config), "interval", minutes=10, id="unread_replies",
                      max_instances=1, coalesce=True, misfire_grace_time=600)


def prepare(ticker, echo):
    """At start: settle what a dead dispatcher left, and try the credentials again."""
    db = ticker.db()
    recovered = mark_abandoned_sends(db, ticker.gateway, ticker.settings)
    if len(recovered):
        echo(f"{len(recovered)} message(s) were left mid-send by a stopped dispatcher: "
             f"{len(recovered.released)} had not been sent and go back to the queue; "
             f"{len(recovered.settled)} were found at the provider (sent); "
             f"{len(recovered.retried)} were not there and will be looked up again before "
             f"they are tried again; {len(recovered.unknown)} could not be checked and are "
             "marked 'unknown' for a person to review.")
    if alerts.clear(db, alerts.TWILIO_CREDENTIALS,
                    reason="The scheduler restarted; the credentials will be tried again."):
        echo("The provider refused the credentials before the restart; trying them again.")


def run_forever(config, echo=print):
    """`flask scheduler run`: a foreground BlockingScheduler; SIGTERM stops it cleanly."""
    lock = acquire_lock(config["DATABASE_PATH"])
    try:
        ticker = Ticker(config)
        prepare(ticker, echo)
        scheduler = BlockingScheduler(timezone="UTC")
        add_jobs(scheduler, ticker, config)

        asked_to_stop = threading.Event()

        def stop(signum, frame):
            # Only flags: the handler runs in the main thread between any two of its
            # steps, possibly inside APScheduler handing a tick to its thread pool
            # while holding the pool's lock, which shutting the pool down here would
            # wait for forever (a SIGTERM hung the scheduler that way once).
            ticker.stop.set()
            asked_to_stop.set()

        def shut_down():
            asked_to_stop.wait()
            echo("Stopping: finishing the sends in flight, claiming no more.")
            scheduler.shutdown(wait=True)

        stopper = threading.Thread(target=shut_down, name="mend-stop", daemon=True)
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        echo(f"Mend scheduler running every {config['SCHEDULER_INTERVAL']}s "
             f"with the {ticker.gateway.name} backend. Ctrl+C to stop.")
        stopper.start()
        try:
            scheduler.start()
        finally:
            if asked_to_stop.is_set():
                stopper.join()  # the tick in flight has finished before the lock goes
    finally:
        lock.release()


def start_in_process(config):
    """Start a BackgroundScheduler inside the dev server, if no other dispatcher runs."""
    if os.environ.get("FLASK_RUN_FROM_CLI") and os.environ.get("FLASK_DEBUG") == "1" \
            and os.environ.get("WERKZEUG_RUN_MAIN") != "true":
        return None  # the reloader's parent process: the child will start it
    try:
        lock = acquire_lock(config["DATABASE_PATH"])
    except AlreadyRunning as error:
        log.warning("%s The in-process dispatcher is not started.", error)
        return None
    ticker = Ticker(config)
    prepare(ticker, log.info)
    scheduler = BackgroundScheduler(timezone="UTC", daemon=True)
    add_jobs(scheduler, ticker, config)
    scheduler.start()
    scheduler.mend_lock = lock
    log.info("in-process dispatcher started (every %ss)", config["SCHEDULER_INTERVAL"])
    return scheduler
