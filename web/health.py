"""`GET /healthz`: is the database reachable, and when did the dispatcher last tick?"""
from flask import Blueprint, jsonify

from storage import scheduler_ticks
from storage.connection import ping, utc_now

from .database import get_db

bp = Blueprint("health", __name__)


@bp.route("/healthz")
def healthz():
    body = {"database": "ok", "scheduler_last_tick_seconds_ago": None}
    status = 200
    try:
        db = get_db()
        ping(db)
        last = scheduler_ticks.last_tick_at(db)
        if last is not None:
            body["scheduler_last_tick_seconds_ago"] = round(
                (utc_now() - last).total_seconds(), 1)
    except Exception as error:  # noqa: BLE001 - health reports, it does not raise
        body["database"] = f"error: {type(error).__name__}"
        status = 503
    return jsonify(body), status
