"""Security defaults for every response: CSRF and headers, and an idle timeout that
a page polling for its status does not keep alive.

The idle timeout and CSRF token lifetime are settings (see `settings.flask_config`)."""
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


class IdleSessionInterface(SecureCookieSessionInterface):
    def should_set_cookie(self, app, session):
        view = current_app.view_functions.get(request.endpoint) if request else None
        if getattr(view, "passive", False):
            return False
        return super().should_set_cookie(app, session)


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
