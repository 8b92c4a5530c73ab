"""Fixtures, layered: app (a temporary SQLite file) -> client -> logged-in clients per role."""
import re

import pytest

from app import create_app
from sms.library import read_library
from storage import migrations, sms_templates, users
from storage.connection import connect
from web.auth import hash_password

# The delivery tests' fixtures: the fake Twilio, a light database, a Twilio gateway.
pytest_plugins = ("tests.delivery_support",)

PASSWORD = "correct horse battery staple"
ACCOUNTS = {
    "worker": ("worker@example.org", "Sam Worker", "worker"),
    "other_worker": ("other@example.org", "Jo Other", "worker"),
    "reviewer": ("reviewer@example.org", "Rita Reviewer", "reviewer"),
    "second_reviewer": ("reviewer2@example.org", "Ravi Reviewer", "reviewer"),
    "admin": ("admin@example.org", "Ada Admin", "admin"),
}
PASSWORD_HASH = hash_password(PASSWORD)  # hashed once: argon2 is slow on purpose
CSRF_PATTERN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def prepare_database(path, accounts=ACCOUNTS):
    """Migrate, load the starter library and create one account per role."""
    db = connect(path)
    migrations.upgrade(db)
    templates, problems = read_library("templates_sms")
    assert problems == []
    sms_templates.sync_library(db, templates)
    ids = {}
    for key, (email, name, role) in accounts.items():
        ids[key] = users.create(db, email=email, name=name, role=role,
                                password_hash=PASSWORD_HASH)
    db.close()
    return ids


@pytest.fixture
def database_path(tmp_path):
    return str(tmp_path / "mend.db")


@pytest.fixture
def user_ids(database_path):
    return prepare_database(database_path)


@pytest.fixture
def app_config(database_path):
    return {
        "TESTING": True,
        "MEND_ENV": "development",
        "SECRET_KEY": "test-secret-key",
        "DATABASE_PATH": database_path,
        "SEND_WINDOW": "00:00-24:00",
        "RUN_SCHEDULER_IN_PROCESS": False,
        "SMS_BACKEND": "console",
    }


@pytest.fixture
def app(app_config, user_ids):
    return create_app(app_config)


@pytest.fixture
def db(app):
    connection = connect(app.config["DATABASE_PATH"])
    yield connection
    connection.close()


@pytest.fixture
def client(app):
    return app.test_client()


def csrf_token(client, page):
    response = client.get(page)
    match = CSRF_PATTERN.search(response.get_data(as_text=True))
    assert match, f"no CSRF token on {page}"
    return match.group(1)


def post_form(client, url, data, page=None, **kwargs):
    """POST like a browser: fetch the form's page for a CSRF token first."""
    return client.post(url, data={**data, "csrf_token": csrf_token(client, page or url)},
                       **kwargs)


def log_in(client, email, password=PASSWORD):
    return post_form(client, "/login", {"email": email, "password": password})


def client_for(app, role_key):
    client = app.test_client()
    response = log_in(client, ACCOUNTS[role_key][0])
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


@pytest.fixture
def worker(app):
    return client_for(app, "worker")


@pytest.fixture
def other_worker(app):
    return client_for(app, "other_worker")


@pytest.fixture
def reviewer(app):
    return client_for(app, "reviewer")


@pytest.fixture
def admin(app):
    return client_for(app, "admin")


def add_contact(client, name="Alex", phone="07911 123456", consent="in_person", **extra):
    data = {"preferred_name": name, "phone": phone, "consent_method": consent,
            "number_confirmed": "y", **extra}
    if "key_worker_id" not in data:
        page = client.get("/contacts/new").get_data(as_text=True)
        match = (re.search(r'name="key_worker_id" value="(\d+)"', page)
                 or re.search(r'<select id="key_worker_id"[^>]*>\s*<option[^>]*value="(\d+)"', page))
        data["key_worker_id"] = match.group(1)
    return post_form(client, "/contacts/new", data)


def contact_id_from(response):
    return int(re.search(r"/contacts/(\d+)", response.headers["Location"]).group(1))
