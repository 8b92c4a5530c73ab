"""One load run: seed the database, start the fake Twilio, gunicorn and the dispatcher,
let the workers and Twilio loose for `seconds`, wait for the sends to finish, stop
everything, then check and report."""
import random
import runpy
import tempfile
import threading
import time
from pathlib import Path

import requests

from bench.load.checks import check_database, log_problems, wait_for_drain
from bench.load.provider import Twilio
from bench.load.report import figures
from bench.load.seed import make_people
from bench.load.tally import Tally
from bench.load.workers import TIMEZONE, Worker
from tests.harness.processes import (ROOT, free_port, server_environment, start_fake_twilio,
                                     start_scheduler, start_web, stop_process,
                                     wait_until_serving)

STOPS = 3  # people who text STOP during the run


def environment(database_path, port, fake_url):
    """gunicorn's and the dispatcher's: serving on `port`, sending to the fake Twilio."""
    return server_environment(database_path, fake_url=fake_url,
                              public_base_url=f"http://127.0.0.1:{port}",
                              SECRET_KEY="load-test-secret", BIND=f"127.0.0.1:{port}",
                              TIMEZONE=TIMEZONE)


def shipped_web_settings():
    """gunicorn's workers and threads as the shipped `gunicorn.conf.py` sets them here."""
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    return config["workers"], config["threads"]


def run_load(seconds=60, workers=30, *, fake_latency=0.05, web_workers=None, web_threads=None,
             workdir=None, echo=print):
    """Run the whole thing; returns a dict of figures with `problems` (a list, empty if well).
    gunicorn runs as shipped unless `web_workers` or `web_threads` say otherwise."""
    shipped_workers, shipped_threads = shipped_web_settings()
    web_workers, web_threads = web_workers or shipped_workers, web_threads or shipped_threads
    own_dir = tempfile.TemporaryDirectory() if workdir is None else None
    folder = Path(workdir or own_dir.name)
    database_path = str(folder / "mend.db")
    web_log, scheduler_log = folder / "web.log", folder / "scheduler.log"
    accounts, phones = make_people(database_path, workers)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    fake, fake_url = start_fake_twilio(latency=fake_latency)
    env = {**environment(database_path, port, fake_url),
           "WEB_CONCURRENCY": str(web_workers), "WEB_THREADS": str(web_threads)}
    web = start_web(env, web_log)
    scheduler = start_scheduler(env, scheduler_log)
    tally = Tally()
    rng = random.Random(42)
    stoppers = rng.sample(sorted(phones.values()), STOPS)
    twilio = Twilio(base_url, fake_url, phones, stoppers,
                    [seconds * (n + 1) / (STOPS + 1) for n in range(STOPS)], tally)
    drained = False
    try:
        wait_until_serving(base_url, web, web_log)
        deadline = time.monotonic() + seconds
        threads = [threading.Thread(target=Worker(base_url, email, tally, deadline,
                                                  random.Random(n)).run, daemon=True)
                   for n, (email, _, _) in enumerate(accounts.values())]
        began = time.monotonic()
        twilio.start()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=seconds + 120)
        elapsed = time.monotonic() - began
        if any(thread.is_alive() for thread in threads):
            tally.problem("a worker thread did not finish")
        # Until every text is sent and Twilio's thread has reported it delivered.
        drained = wait_for_drain(database_path, scheduler)
    finally:
        twilio.join(timeout=60)
        stop_process(scheduler)
        stop_process(web)
        fake_state = requests.get(f"{fake_url}/_fake/state", timeout=60).json() \
            if fake.poll() is None else {"created": [], "arrivals": []}
        stop_process(fake)
        fake.stdout.close()
    problems = list(tally.problems)
    if not drained:
        problems.append("the dispatcher did not finish sending in time")
    problems += log_problems("web server", web_log) + log_problems("scheduler", scheduler_log)
    db_problems, facts = check_database(database_path, tally, fake_state, set(twilio.stopped))
    problems += db_problems
    if not tally.confirmed:
        problems.append("no text was scheduled at all")
    result = figures(seconds=seconds, workers=workers, web_workers=web_workers,
                     web_threads=web_threads, fake_latency=fake_latency, elapsed=elapsed,
                     tally=tally, twilio=twilio, fake_state=fake_state, facts=facts,
                     problems=problems)
    if own_dir is not None:
        own_dir.cleanup()
    return result
