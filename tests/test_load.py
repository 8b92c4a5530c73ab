"""The load benchmark, shortened: 30 workers for 10 s against gunicorn, with the real
dispatcher sending to the fake Twilio and signed webhooks arriving. Correctness only:
the figures are `bench/load/`'s business, not a test's."""
import runpy
from pathlib import Path

from bench import load


def test_thirty_workers_for_ten_seconds_lose_nothing_and_never_lock(tmp_path):
    result = load.run_load(seconds=10, workers=30, workdir=str(tmp_path))

    assert result["problems"] == []
    assert result["scheduled"] > 0 and result["stops"] == load.STOPS
    assert result["integrity_check"] == "ok"
    assert result["texts_at_fake"] + result["statuses"].get("cancelled", 0) \
        == result["scheduled"]
    assert set(result["statuses"]) <= {"delivered", "cancelled"}


def test_gunicorn_never_recycles_a_worker_mid_traffic():
    """With gthread workers (which WEB_THREADS above 1 brings back), a worker restarting
    for max_requests resets connections it has accepted but not served (gunicorn #3038):
    the 60 s load run lost webhooks and page requests to 'connection reset by peer'. The
    shipped config does not recycle."""
    config = runpy.run_path(str(Path(__file__).resolve().parent.parent / "gunicorn.conf.py"))
    assert config.get("max_requests", 0) == 0
    # Sync workers of one thread: see tests/test_production.py for what that buys.
    assert config["worker_class"] == "sync" and config["threads"] == 1
