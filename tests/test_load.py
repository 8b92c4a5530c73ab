"""The load benchmark, shortened: 30 workers for 10 s against gunicorn, with the real
dispatcher sending to the fake Twilio and signed webhooks arriving. Correctness only:
the figures are `bench/load.py`'s business, not a test's."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import load  # noqa: E402


def test_thirty_workers_for_ten_seconds_lose_nothing_and_never_lock(tmp_path):
    result = load.run_load(seconds=10, workers=30, workdir=str(tmp_path))

    assert result["problems"] == []
    assert result["scheduled"] > 0 and result["stops"] == load.STOPS
    assert result["integrity_check"] == "ok"
    assert result["texts_at_fake"] + result["statuses"].get("cancelled", 0) \
        == result["scheduled"]
    assert set(result["statuses"]) <= {"delivered", "cancelled"}
