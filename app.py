"""Mend: `create_app()` wires settings, extensions, blueprints and CLI commands.

`flask --app app run` serves it; `flask --app app --help` lists the commands.
"""
import os
from pathlib import Path

import click
from dotenv import load_dotenv
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

import commands
import settings
from web import logging_setup, register


def is_serving():
    """True under gunicorn, WSGI or `flask run`; False for other `flask` commands.

    The flask CLI sets FLASK_RUN_FROM_CLI for every command; only `run` loads the
    app from inside its own command context.
    """
    if os.environ.get("FLASK_RUN_FROM_CLI") != "true":
        return True
    context = click.get_current_context(silent=True)
    return context is not None and context.info_name == "run"


def create_app(test_config=None):
    load_dotenv(override=False)
    app = Flask(__name__, instance_relative_config=True)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    serving = is_serving()
    try:
        config = settings.from_environment(app.instance_path)
        config.update(test_config or {})
        settings.validate(config, serving=serving)
    except settings.SettingsError as error:
        raise SystemExit(f"Mend cannot start: {error}")
    app.config.update(config)
    app.config.update(settings.flask_config(app.config))
    logging_setup.configure(json_lines=app.config["MEND_ENV"] == "production"
                            and not app.config.get("TESTING"))
    if app.config["TRUST_PROXY"]:
        hops = app.config["TRUST_PROXY"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    register(app)
    commands.register(app)
    if serving:
        from web.database import require_current_schema
        require_current_schema(app)
        if app.config["RUN_SCHEDULER_IN_PROCESS"]:
            from scheduler.runner import start_in_process
            app.extensions["mend_scheduler"] = start_in_process(app.config)
    return app
