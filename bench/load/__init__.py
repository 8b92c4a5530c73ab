"""Load benchmark (not a test): `make bench`, or
`python -m bench.load --seconds 60 --workers 30` from the project root.

Everything is real and runs on 127.0.0.1, each in its own process:

- the web app under gunicorn with the shipped `gunicorn.conf.py`;
- the dispatcher, `flask --app app scheduler run`, with SMS_BACKEND=twilio and the
  official `twilio` client pointed at the fake Twilio (`tests/harness/fake_twilio.py`);
- simulated support workers (threads of this process, each with its own session in a
  small `http.client` browser, `browser.py`) who log in, then
  over and over open the compose page, preview a text, review it and confirm it
  (carrying `seen_warnings` from the confirm page), every text going "now";
- "Twilio" (a thread here): signed status callbacks (sent, delivered, and now and then
  a duplicate or an out-of-order one) for every text the fake received, signed inbound
  replies, and a few STOPs from people being texted.

When the time is up it waits for the dispatcher to send everything, then checks:
no "database is locked" (or any traceback) in the server's or the scheduler's output
or in any response; no 5xx; every text a worker was told was scheduled exists, has its
`message.scheduled` event, and ended sent or delivered (or another end state with a
reason); what the fake received matches the database one to one; PRAGMA
integrity_check is ok; the audit chain verifies.

It prints a table of page times (p50, p95) per page type, then one JSON line, last.

The parts: `seed` (the database), `workers` (the simulated support workers), `provider`
(Twilio's side), `checks` (what must hold afterwards), `report` (the figures and the
table), `run` (`run_load()`, which `tests/test_load.py` calls with a shorter duration)
and `__main__` (the command line).
"""
from bench.load.run import STOPS, environment, run_load
# The processes a load run starts, for tests/test_restart.py, which kills the same web
# server under traffic.
from tests.harness.processes import free_port, start_web, stop_process, wait_until_serving

__all__ = ["STOPS", "environment", "free_port", "run_load", "start_web", "stop_process",
           "wait_until_serving"]
