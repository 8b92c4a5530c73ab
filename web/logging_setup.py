"""Logging: JSON lines in production, readable lines in development, each with the
request id (taken from a trusted X-Request-ID header or made up) so one request's
lines can be found together. Log lines carry ids, never numbers, bodies or tokens."""
import json
import logging
import re
import uuid

from flask import g, has_request_context, request

REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
READABLE_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record):
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class MendHandler(logging.StreamHandler):
    """Ours, so that configuring twice (one app per test) replaces rather than adds."""


def configure(json_lines):
    handler = MendHandler()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if json_lines else logging.Formatter(READABLE_FORMAT))
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, MendHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def init_app(app):
    @app.before_request
    def assign_request_id():
        offered = request.headers.get("X-Request-ID", "")
        g.request_id = offered if REQUEST_ID_PATTERN.match(offered) else uuid.uuid4().hex

    @app.after_request
    def echo_request_id(response):
        if "request_id" in g:
            response.headers["X-Request-ID"] = g.request_id
        return response
