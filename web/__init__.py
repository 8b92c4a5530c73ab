"""The web layer: one blueprint per concern, thin views over `sms/` and `storage/`."""


def register(app):
    from . import (admin, audit, audit_cli, auth, cli, compose, contacts, dashboard,
                   database, errors, formatting, health, inbox, logging_setup, messages,
                   security, sms_templates, webhooks)

    logging_setup.init_app(app)
    database.init_app(app)
    security.init_app(app)
    auth.init_app(app)
    errors.init_app(app)
    formatting.init_app(app)
    cli.init_app(app)
    audit_cli.init_app(app)
    for blueprint in (admin.bp, auth.bp, dashboard.bp, contacts.bp, compose.bp, health.bp,
                      inbox.bp, messages.bp, sms_templates.bp, webhooks.bp, audit.bp):
        app.register_blueprint(blueprint)
