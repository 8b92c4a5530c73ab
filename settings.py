"""Settings from the environment (and `.env`, through python-dotenv).

Every setting is read here and nowhere else; each is listed in `.env.example` and in
the README's table, and a test keeps the three in step. `flask_config` derives the
fixed Flask settings (cookies, session lifetime, CSRF) from them.
"""
import os
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sms.send_window import InvalidWindow, parse_window
from sms.service import parse_morning
from sms.service_hours import parse_hours


class SettingsError(RuntimeError):
    """A setting is missing or wrong; the message says which and how to fix it."""


DEFAULTS = {
    "MEND_ENV": "production",
    "SECRET_KEY": "",
    "DATABASE_PATH": "",  # default: instance/mend.db
    "SERVICE_NAME": "Riverside Outreach",
    "TIMEZONE": "Europe/London",
    "SEND_WINDOW": "09:00-20:00",
    "MORNING_TIME": "10:00",
    "SMS_BACKEND": "console",
    "TWILIO_ACCOUNT_SID": "",
    "TWILIO_AUTH_TOKEN": "",
    "TWILIO_AUTH_TOKEN_PREVIOUS": "",
    "TWILIO_FROM_NUMBER": "",
    "TWILIO_MESSAGING_SERVICE_SID": "",
    "PUBLIC_BASE_URL": "http://127.0.0.1:5000",
    "TWILIO_API_BASE_URL": "",
    "RUN_SCHEDULER_IN_PROCESS": "0",
    "SCHEDULER_INTERVAL": "5",
    "STALE_AFTER_SECONDS": "7200",
    "SEGMENTS_PER_SECOND": "10",
    "SEND_CONCURRENCY": "32",
    "MAX_SEND_ATTEMPTS": "5",
    "LOGIN_MAX_FAILURES": "5",
    "LOGIN_LOCKOUT_MINUTES": "15",
    "TRUST_PROXY": "0",
    "NUMBER_RECONFIRM_DAYS": "30",
    "RETENTION_DAYS": "365",
    "SESSION_IDLE_MINUTES": "30",
    "HISTORY_PAGE_SIZE": "50",
    "REPLICA_URL": "",  # empty: replication is off
    "AUDIT_CHECKPOINT_KEY": "",  # empty: no audit checkpoints
    "AUDIT_CHECKPOINT_DIR": "",  # default: instance/audit-checkpoints
    "AUDIT_CHECKPOINT_MINUTES": "60",
    "WORKING_HOURS": "",
    "OUT_OF_HOURS_REPLY": "0",
    "UNREAD_REPLY_HOURS": "24",
    "CRISIS_PROCEDURE": "",  # empty: workers are told to ask their manager
    "MAIL_BACKEND": "console",
    "MAIL_FROM": "mend@localhost",
    "SMTP_HOST": "localhost",
    "SMTP_PORT": "587",
    "SMTP_USERNAME": "",
    "SMTP_PASSWORD": "",
    "SMTP_SECURITY": "starttls",
    "WELSH_LANGUAGE_STANDARDS": "0",
    "BILINGUAL_ORDER": "cy-en",
}
INTEGER_SETTINGS = ("SCHEDULER_INTERVAL", "STALE_AFTER_SECONDS",
                    "LOGIN_MAX_FAILURES", "LOGIN_LOCKOUT_MINUTES", "TRUST_PROXY",
                    "SEGMENTS_PER_SECOND", "SEND_CONCURRENCY", "MAX_SEND_ATTEMPTS",
                    "NUMBER_RECONFIRM_DAYS", "RETENTION_DAYS", "SESSION_IDLE_MINUTES",
                    "HISTORY_PAGE_SIZE", "AUDIT_CHECKPOINT_MINUTES", "UNREAD_REPLY_HOURS",
                    "SMTP_PORT")
POSITIVE_SETTINGS = ("SCHEDULER_INTERVAL", "SEGMENTS_PER_SECOND", "SEND_CONCURRENCY",
                     "MAX_SEND_ATTEMPTS", "NUMBER_RECONFIRM_DAYS", "SESSION_IDLE_MINUTES",
                     "HISTORY_PAGE_SIZE", "AUDIT_CHECKPOINT_MINUTES", "UNREAD_REPLY_HOURS",
                     "SMTP_PORT")
MIN_CHECKPOINT_KEY_LENGTH = 32
REPLICA_SCHEMES = ("file", "s3", "gs", "abs", "sftp")  # Litestream's replica types
MAX_UPLOAD_BYTES = 256 * 1024
BOOLEAN_SETTINGS = ("RUN_SCHEDULER_IN_PROCESS", "OUT_OF_HOURS_REPLY", "WELSH_LANGUAGE_STANDARDS")
BILINGUAL_ORDERS = ("cy-en", "en-cy")


def _boolean(value):
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def from_environment(instance_path, environ=None):
    """Read every setting, apply defaults, and fail early with a clear message."""
    environ = os.environ if environ is None else environ
    config = {name: environ.get(name, default) for name, default in DEFAULTS.items()}
    for name in INTEGER_SETTINGS:
        try:
            config[name] = int(config[name])
        except ValueError:
            raise SettingsError(f"{name} must be a whole number, not {config[name]!r}.")
    for name in BOOLEAN_SETTINGS:
        config[name] = _boolean(config[name])
    if not config["DATABASE_PATH"]:
        config["DATABASE_PATH"] = str(Path(instance_path) / "mend.db")
    if not config["AUDIT_CHECKPOINT_DIR"]:
        config["AUDIT_CHECKPOINT_DIR"] = str(Path(instance_path) / "audit-checkpoints")
    if not config["SECRET_KEY"] and config["MEND_ENV"] == "development":
        key_file = Path(instance_path) / "secret_key"
        if key_file.exists():
            config["SECRET_KEY"] = key_file.read_text().strip()
    return config


def validate(config, *, serving=True):
    """Raise SettingsError naming the first wrong setting.

    SECRET_KEY signs sessions and CSRF tokens, so it is required only to serve
    requests (`serving`); commands such as `db upgrade` or `sms count` sign nothing.
    """
    for name in POSITIVE_SETTINGS:
        if name in config and int(config[name]) < 1:
            raise SettingsError(f"{name} must be 1 or more, not {config[name]!r}.")
    if config.get("MEND_ENV") not in ("development", "production"):
        raise SettingsError("MEND_ENV must be 'development' or 'production'.")
    if serving and not config.get("SECRET_KEY"):
        raise SettingsError(
            "SECRET_KEY is not set. Set it in the environment (or .env) to a long random "
            "string, for example the output of: python3 -c 'import secrets; "
            "print(secrets.token_hex(32))'")
    try:
        ZoneInfo(config["TIMEZONE"])
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"TIMEZONE {config['TIMEZONE']!r} is not a known time zone, "
                            "such as Europe/London.")
    try:
        parse_window(config["SEND_WINDOW"])
    except InvalidWindow as error:
        raise SettingsError(f"SEND_WINDOW: {error}.")
    try:
        parse_morning(config["MORNING_TIME"])
    except ValueError:
        raise SettingsError(f"MORNING_TIME must be a time of day like 10:00, not "
                            f"{config['MORNING_TIME']!r}.")
    if not 1 <= config.get("RETENTION_DAYS", 365) <= 36500:
        raise SettingsError("RETENTION_DAYS must be a number of days from 1 to 36500, "
                            f"not {config.get('RETENTION_DAYS')!r}.")
    key = config.get("AUDIT_CHECKPOINT_KEY") or ""
    if key and len(key) < MIN_CHECKPOINT_KEY_LENGTH:
        raise SettingsError(
            f"AUDIT_CHECKPOINT_KEY is too short to sign anything safely: use at least "
            f"{MIN_CHECKPOINT_KEY_LENGTH} random characters, for example the output of: "
            "python3 -c 'import secrets; print(secrets.token_hex(32))'")
    replica = config.get("REPLICA_URL") or ""
    if replica and ("://" not in replica
                    or replica.split("://", 1)[0] not in REPLICA_SCHEMES):
        raise SettingsError(
            f"REPLICA_URL {replica!r} is not a replica Litestream knows: use "
            "file:///path/to/folder for a folder, or s3://bucket/path for S3-compatible "
            "storage.")
    validate_team(config)
    if config.get("BILINGUAL_ORDER", "cy-en") not in BILINGUAL_ORDERS:
        raise SettingsError("BILINGUAL_ORDER must be 'cy-en' (Welsh first) or 'en-cy' "
                            f"(English first), not {config.get('BILINGUAL_ORDER')!r}.")
    if config["SMS_BACKEND"] not in ("console", "twilio"):
        raise SettingsError("SMS_BACKEND must be 'console' or 'twilio'.")
    if config["SMS_BACKEND"] == "twilio":
        missing = [name for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN")
                   if not config.get(name)]
        if not (config.get("TWILIO_FROM_NUMBER") or config.get("TWILIO_MESSAGING_SERVICE_SID")):
            missing.append("TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID")
        if missing:
            raise SettingsError("SMS_BACKEND is twilio but these are not set: "
                                + ", ".join(missing) + ".")


def validate_team(config):
    """Working hours, the out-of-hours reply and email (issue 14)."""
    try:
        hours = parse_hours(config.get("WORKING_HOURS", ""))
    except InvalidWindow as error:
        raise SettingsError(f"WORKING_HOURS: {error}.")
    if config.get("OUT_OF_HOURS_REPLY") and hours is None:
        raise SettingsError("OUT_OF_HOURS_REPLY is on but WORKING_HOURS is not set, so Mend "
                            "cannot tell when the service is closed. Set WORKING_HOURS, "
                            "such as 'Mon-Fri 09:00-17:00'.")
    if config.get("MAIL_BACKEND", "console") not in ("console", "smtp"):
        raise SettingsError("MAIL_BACKEND must be 'console' or 'smtp'.")
    if config.get("SMTP_SECURITY", "starttls") not in ("starttls", "ssl", "none"):
        raise SettingsError("SMTP_SECURITY must be 'starttls', 'ssl' or 'none'.")
    if config.get("MAIL_BACKEND") == "smtp" and not config.get("SMTP_HOST"):
        raise SettingsError("MAIL_BACKEND is smtp but SMTP_HOST is not set.")


def flask_config(config):
    """Flask's own settings, fixed or derived from ours (after any test overrides)."""
    secure = config["PUBLIC_BASE_URL"].startswith("https://")
    return {
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": secure,
        "MAX_CONTENT_LENGTH": MAX_UPLOAD_BYTES,
        # A session ends after SESSION_IDLE_MINUTES without a request; CSRF tokens
        # live as long as the session rather than on a clock of their own.
        "PERMANENT_SESSION_LIFETIME": timedelta(minutes=int(config["SESSION_IDLE_MINUTES"])),
        "SESSION_REFRESH_EACH_REQUEST": True,
        "WTF_CSRF_TIME_LIMIT": None,
    }
