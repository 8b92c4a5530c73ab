"""Service alerts: problems a person must fix (such as Twilio refusing Mend's
credentials), shown on /healthz and to admins until cleared."""
from . import events
from .connection import from_db_time, to_db_time, utc_now, write_transaction

TWILIO_CREDENTIALS = "twilio_credentials"


def raise_alert(db, kind, message):
    """Raise `kind` unless it is already active. Returns True when newly raised."""
    with write_transaction(db):
        if is_active(db, kind):
            return False
        table = db.table("service_alerts")
        table.insert({"kind": kind, "message": message,
                      "raised_at": to_db_time(utc_now()), "cleared_at": None})
        events.record(db, action="alert.raised", subject_type="alert",
                      subject_id=table.last_pk, detail={"kind": kind, "message": message})
    return True


def clear(db, kind, *, reason):
    """Clear every active alert of `kind`; returns how many were cleared."""
    with write_transaction(db):
        ids = [row["id"] for row in db.query(
            "SELECT id FROM service_alerts WHERE kind = ? AND cleared_at IS NULL", [kind])]
        for alert_id in ids:
            db.execute("UPDATE service_alerts SET cleared_at = ? WHERE id = ?",
                       [to_db_time(utc_now()), alert_id])
            events.record(db, action="alert.cleared", subject_type="alert",
                          subject_id=alert_id, detail={"kind": kind, "reason": reason})
    return len(ids)


def is_active(db, kind):
    return db.execute("SELECT 1 FROM service_alerts WHERE kind = ? AND cleared_at IS NULL",
                      [kind]).fetchone() is not None


def active(db):
    return [{**row, "raised_at": from_db_time(row["raised_at"])} for row in db.query(
        "SELECT * FROM service_alerts WHERE cleared_at IS NULL ORDER BY id")]
