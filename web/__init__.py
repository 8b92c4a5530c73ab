"""The web layer: one blueprint per concern; a view reads its form and calls one workflow
in `actions/` (see docs/architecture.md)."""
from werkzeug.routing import IntegerConverter

SQLITE_MAX_INTEGER = 2 ** 63 - 1


class DatabaseIdConverter(IntegerConverter):
    """`<int:...>` in a URL: no larger than SQLite's largest integer, so an id too long
    to be a row's is "not found" (404) rather than an OverflowError in the query."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", SQLITE_MAX_INTEGER)
        super().__init__(map, *args, **kwargs)


def register(app):
    from . import (account, admin, audit, auth, compose, contacts, dashboard, database,
                   errors, formatting, health, inbox, logging_setup, messages, repairs,
                   security, sms_templates, team, webhooks, widgets)

    app.url_map.converters["int"] = DatabaseIdConverter  # before any route is added
    logging_setup.init_app(app)
    database.init_app(app)
    security.init_app(app)
    auth.init_app(app)
    account.init_app(app)
    errors.init_app(app)
    formatting.init_app(app)
    widgets.init_app(app)
    for blueprint in (account.bp, admin.bp, auth.bp, dashboard.bp, contacts.bp, compose.bp,
                      health.bp, inbox.bp, messages.bp, sms_templates.bp, webhooks.bp,
                      audit.bp, repairs.bp, team.bp):
        app.register_blueprint(blueprint)
