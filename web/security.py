"""Security defaults for every response: CSRF and headers, and an idle timeout that
a page polling for its status does not keep alive.

The idle timeout and CSRF token lifetime are settings (see `settings.flask_config`)."""
import time

from flask import current_app, request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)


def passive(view):
    """A view a page's script polls (live status): it does not count as activity, so a
    page left open still logs out after SESSION_IDLE_MINUTES."""
    view.passive = True
    return view


# A login's cookie, and with it the signed time its idle timeout counts from, is written
# again at most once a minute, not on every request: signing and compressing it was about
# a twentieth of every page's time under load (py-spy on `bench.load`). So a login ends
# between SESSION_IDLE_MINUTES - 1 and SESSION_IDLE_MINUTES after its last request.
RENEW_AFTER_SECONDS = 60


class IdleSessionInterface(SecureCookieSessionInterface):
    def should_set_cookie(self, app, session):
        view = current_app.view_functions.get(request.endpoint) if request else None
        if getattr(view, "passive", False):
            return False
        now = int(time.time())
        if session.modified or (session.permanent
                                and now - session.get("_renewed", 0) >= RENEW_AFTER_SECONDS):
            session["_renewed"] = now
            return True
        return False


def init_app(app):
    csrf.init_app(app)
    app.session_interface = IdleSessionInterface()

    @app.after_request
    def set_security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Cache-Control", "no-store")
        return response
