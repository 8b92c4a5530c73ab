"""Fixtures, layered: app (a temporary SQLite file) -> client -> logged-in clients per role;
and for the delivery tests, the fake Twilio, a light database and a Twilio gateway.

What the fixtures are built from (accounts, pages, databases, processes) is in
`tests/harness/`, shared with the benchmarks; test modules import it from there."""
import pytest

from app import create_app
from storage.connection import connect
from tests.harness.database import make_database, prepare_database
from tests.harness.delivery import gateway_for
from tests.harness.fake_twilio import FakeTwilio
from tests.harness.pages import client_for


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


@pytest.fixture
def fake_twilio():
    fake = FakeTwilio().start()
    yield fake
    fake.stop()


@pytest.fixture
def delivery_db(tmp_path):
    db, worker_id = make_database(str(tmp_path / "mend.db"))
    db.worker_id = worker_id
    yield db
    db.close()


@pytest.fixture
def gateway(fake_twilio):
    return gateway_for(fake_twilio)
