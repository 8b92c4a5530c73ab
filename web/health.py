"""`GET /healthz`: is the database reachable, when did the dispatcher last tick,
and is there an alert a person must act on (503 while there is)?"""
from flask import Blueprint, jsonify

from storage import alerts, scheduler_ticks
from storage.connection import ping, utc_now

from .database import get_db

bp = Blueprint("health", __name__)


@bp.route("/healthz")
def healthz():
    body = {"database": "ok", "scheduler_last_tick_seconds_ago": None, "alerts": []}
    status = 200
    try:
        db = get_db()
        ping(db)
        last = scheduler_ticks.last_tick_at(db)
        if last is not None:
            body["scheduler_last_tick_seconds_ago"] = round(
                (utc_now() - last).total_seconds(), 1)
        body["alerts"] = [{"kind": alert["kind"], "message": alert["message"],
                           "since": alert["raised_at"].isoformat()}
                          for alert in alerts.active(db)]
        if body["alerts"]:
            body["sending"] = "stopped"
            status = 503
    except Exception as error:  # noqa: BLE001 - health reports, it does not raise
        body["database"] = f"error: {type(error).__name__}"
        status = 503
    return jsonify(body), status
