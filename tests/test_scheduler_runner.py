"""The runner around `dispatch_due`: one copy per database, sound job settings, and
settings that are checked before anything starts."""
import logging
import time
from pathlib import Path

import pytest
from apscheduler.schedulers.background import BackgroundScheduler

import settings as mend_settings
from scheduler import runner
from scheduler.rate_limit import process_limiter


def test_a_second_scheduler_refuses_to_start_and_says_why(tmp_path):
    database_path = str(tmp_path / "mend.db")
    lock = runner.acquire_lock(database_path)
    try:
        with pytest.raises(runner.AlreadyRunning) as refused:
            runner.acquire_lock(database_path)
    finally:
        lock.release()
    assert str(refused.value) == (
        f"Another Mend scheduler is already running against {database_path} (it holds "
        f"{database_path}.scheduler.lock). Only one may run at a time: stop the other one "
        "first.")


def test_the_reloaders_parent_process_does_not_start_a_dispatcher(monkeypatch, tmp_path):
    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "true")
    monkeypatch.setenv("FLASK_DEBUG", "1")
    monkeypatch.delenv("WERKZEUG_RUN_MAIN", raising=False)
    assert runner.start_in_process({"DATABASE_PATH": str(tmp_path / "mend.db")}) is None
    assert not Path(runner.lock_path(str(tmp_path / "mend.db"))).exists()


def test_the_interval_job_coalesces_and_tolerates_lateness():
    scheduler = BackgroundScheduler(timezone="UTC")
    runner._add_job(scheduler, lambda: None, 5)
    job = scheduler.get_job("dispatch_due")
    assert (job.max_instances, job.coalesce, job.misfire_grace_time) == (2, True, 30)
    assert job.trigger.interval.total_seconds() == 5


class SlowTicker(runner.Ticker):
    """A real Ticker whose tick takes `seconds` (a backlog being sent), counting ticks."""

    def __init__(self, config, seconds):
        super().__init__(config)
        self.seconds = seconds
        self.ticks = 0
        self.at_once = 0
        self.most_at_once = 0

    def tick(self):
        self.ticks += 1
        self.at_once += 1
        self.most_at_once = max(self.most_at_once, self.at_once)
        time.sleep(self.seconds)
        self.at_once -= 1


def test_a_long_tick_runs_alone_and_says_once_that_it_is_still_running(tmp_path, caplog):
    """While one tick sends a backlog for longer than many intervals, no second dispatch
    starts, and the log says once that it is still running, not once per interval."""
    caplog.set_level(logging.DEBUG)
    config = mend_settings.from_environment(str(tmp_path), environ={})
    ticker = SlowTicker(config, seconds=1.5)
    scheduler = BackgroundScheduler(timezone="UTC")
    runner._add_job(scheduler, ticker, 0.1)
    scheduler.start()
    try:
        deadline = time.monotonic() + 30
        while ticker.ticks < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        scheduler.shutdown(wait=True)
    logged = [record.getMessage() for record in caplog.records]
    assert ticker.ticks >= 2 and ticker.most_at_once == 1
    assert not [line for line in logged if "maximum number of running instances" in line]
    still_running = [line for line in logged if "tick is still running" in line]
    assert 1 <= len(still_running) <= ticker.ticks  # once per long tick, not per interval


def test_delivery_settings_have_defaults_and_reach_the_dispatcher(tmp_path):
    config = mend_settings.from_environment(str(tmp_path), environ={})
    assert (config["SEGMENTS_PER_SECOND"], config["SEND_CONCURRENCY"],
            config["MAX_SEND_ATTEMPTS"], config["SCHEDULER_INTERVAL"]) == (10, 32, 5, 5)
    dispatch = runner.settings_from_config(config)
    assert (dispatch.segments_per_second, dispatch.concurrency, dispatch.max_attempts) == \
        (10, 32, 5)


def test_one_limiter_serves_the_whole_process():
    assert process_limiter(10) is process_limiter(10)


@pytest.mark.parametrize("name", ["SEGMENTS_PER_SECOND", "SEND_CONCURRENCY",
                                  "MAX_SEND_ATTEMPTS"])
def test_a_delivery_setting_below_one_is_refused_with_its_name(tmp_path, name):
    config = mend_settings.from_environment(
        str(tmp_path), environ={name: "0", "SECRET_KEY": "x", "MEND_ENV": "development"})
    with pytest.raises(mend_settings.SettingsError) as refused:
        mend_settings.validate(config)
    assert str(refused.value) == f"{name} must be 1 or more, not 0."


def test_env_example_lists_every_setting():
    example = (Path(__file__).resolve().parent.parent / ".env.example").read_text()
    keys = {line.split("=", 1)[0] for line in example.splitlines()
            if line and not line.startswith("#")}
    assert keys == set(mend_settings.DEFAULTS)
