"""Friendly error pages: no stack trace leaves the server outside debug."""
import logging

from flask import jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

log = logging.getLogger("mend.web")

MESSAGES = {
    400: ("Something in that request was not right",
          "Go back, reload the page and try again."),
    403: ("You do not have access to this page",
          "If you think you should, ask your service manager."),
    404: ("We could not find that page",
          "It may have moved, or the link may be wrong."),
    405: ("That did not work", "Go back and try again from the page's own buttons."),
    413: ("That was too much to send at once", "Make it shorter and try again."),
    429: ("Too many tries", "Wait a few minutes and try again."),
}


def wants_json():
    return request.path.startswith(("/compose/preview", "/healthz", "/webhooks/"))


def init_app(app):
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        log.info("refused a form without a valid CSRF token: %s", request.path)
        return render_template("errors/error.html", code=400,
                               title="This form has expired",
                               advice="Go back, reload the page and try again. "
                                      "Nothing was saved."), 400

    @app.errorhandler(HTTPException)
    def http_error(error):
        code = error.code or 500
        if wants_json():
            return jsonify(error=error.name), code
        title, advice = MESSAGES.get(code, ("Something went wrong", "Try again."))
        return render_template("errors/error.html", code=code, title=title,
                               advice=advice), code

    @app.errorhandler(Exception)
    def unexpected_error(error):
        log.exception("unexpected error on %s %s", request.method, request.path)
        if wants_json():
            return jsonify(error="Internal Server Error"), 500
        return render_template("errors/error.html", code=500,
                               title="Sorry, something went wrong on our side",
                               advice="Nothing you did caused this. Try again in a "
                                      "moment; if it keeps happening, tell your service "
                                      "manager."), 500
