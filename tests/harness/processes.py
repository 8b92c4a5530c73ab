"""The processes tests and benchmarks run for real on 127.0.0.1, one way each: the fake
Twilio in its own process, the web app under gunicorn with the shipped config, the
dispatcher (`flask --app app scheduler run`), and the app served from a thread.

A process started here writes its output to a log file the caller names, so that a
failure can show it; `stop_process` ends it politely, then firmly.
"""
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests
from werkzeug.serving import make_server

from tests.harness.delivery import FROM_NUMBER
from tests.harness.fake_twilio import ACCOUNT_SID, AUTH_TOKEN

ROOT = Path(__file__).resolve().parents[2]
START_PATIENCE = 60  # seconds for a server to answer; never reached when all is well


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_environment(database_path, *, fake_url, public_base_url, **settings):
    """The environment of a production-like Mend process (web or dispatcher) that sends
    through the fake Twilio at `fake_url`, at any hour, as fast as it can; `settings`
    (strings) add to it or override it."""
    return {**os.environ, "MEND_ENV": "production", "SECRET_KEY": "harness-secret-key",
            "DATABASE_PATH": str(database_path), "PUBLIC_BASE_URL": public_base_url,
            "SEND_WINDOW": "00:00-24:00", "SMS_BACKEND": "twilio",
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_FROM_NUMBER": FROM_NUMBER, "TWILIO_API_BASE_URL": fake_url,
            "SCHEDULER_INTERVAL": "1", "SEGMENTS_PER_SECOND": "1000",
            "SEND_CONCURRENCY": "8", "RUN_SCHEDULER_IN_PROCESS": "0",
            "PYTHONUNBUFFERED": "1", **settings}


def start_fake_twilio(*, latency=0.0):
    """The fake Twilio in its own process (its CPU time is not the caller's); returns
    the process and the URL it serves on. Read its `stdout` no further; close it after."""
    process = subprocess.Popen([sys.executable, "-m", "tests.harness.fake_twilio",
                                "--port", "0", "--latency", str(latency)],
                               cwd=ROOT, stdout=subprocess.PIPE, text=True)
    return process, process.stdout.readline().strip()


def start_logged(command, env, log_path, **kwargs):
    """Start `command` with its output appended to `log_path` (the child keeps the file)."""
    with open(log_path, "ab") as log:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT, **kwargs)


def start_web(env, log_path):
    """gunicorn in its own session, so that killing its group kills its workers too."""
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    return start_logged([gunicorn, "-c", "gunicorn.conf.py", "app:create_app()"], env,
                        log_path, start_new_session=True)


def start_scheduler(env, log_path):
    """The dispatcher as production runs it: `flask --app app scheduler run`."""
    return start_logged([sys.executable, "-m", "flask", "--app", "app", "scheduler", "run"],
                        env, log_path)


def wait_for(condition, what, process, log_path, *, patience=START_PATIENCE, pause=0.02):
    """Until `condition()` holds; fails, showing the log, if `process` exits first or
    `patience` seconds pass."""
    deadline = time.monotonic() + patience
    while not condition():
        if process.poll() is not None:
            raise AssertionError(f"the process exited ({process.returncode}) while waiting "
                                 f"for {what}:\n{Path(log_path).read_text()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}:\n{Path(log_path).read_text()}")
        time.sleep(pause)


def answers_health_check(base_url):
    try:
        return requests.get(f"{base_url}/healthz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def wait_until_serving(base_url, process, log_path):
    wait_for(lambda: answers_health_check(base_url), f"{base_url}/healthz", process,
             log_path, pause=0.1)


def stop_process(process, sig=signal.SIGTERM, timeout=30):
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


class ThreadedServer:
    """A Flask app served by werkzeug from a thread of this process, on a free port."""

    def __init__(self, app):
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
