"""Fixtures shared by every layer.

The database fixtures run each test on SQLite and, when ``TEST_DATABASE_URL`` is set, again on that
real MySQL/MariaDB. With ``REQUIRE_SERVICES=1`` (CI) a missing service fails the test instead of
skipping it, so CI can never go green having quietly tested less.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade

from customer_api import create_app
from customer_api.adapters.sql.engine import create_engine
from customer_api.adapters.sql.tables import metadata
from customer_api.auth.commands import RegisterUser
from customer_api.auth.domain import Role
from customer_api.config import Settings
from customer_api.shared.ids import new_id

# Fixtures of their own modules, for every test: `server`, a redis-server the test may stop.
pytest_plugins = ["tests.redis_server"]

TEST_SECRET = "test-secret-that-is-long-enough-for-hs256-keys"
PASSWORD = "correct horse battery"


def service_url(variable: str) -> str:
    """The URL of a real service for this test, or skip (fail under ``REQUIRE_SERVICES=1``)."""
    url = os.environ.get(variable)
    if not url:
        message = f"{variable} is not set"
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail(f"{message}, and REQUIRE_SERVICES=1 forbids skipping")
        pytest.skip(message)
    return url


def settings_for(database_url: str, **overrides: object) -> Settings:
    """Settings for tests: a fixed secret and a cheap argon2 profile (the real one costs ~0.2 s)."""
    values: dict[str, object] = {
        "database_url": database_url,
        "jwt_secret_key": TEST_SECRET,
        "argon2_time_cost": 1,
        "argon2_memory_cost_kib": 8,
        "argon2_parallelism": 1,
        # Limits stay on, too high to trip; tests of the limits themselves set their own.
        "rate_limit_default": "100000/minute",
        "rate_limit_admin": "100000/minute",
        "rate_limit_login": "100000/minute",
        "rate_limit_login_email": "100000/minute",
        # Tests drive the relay themselves, and never write under the repository's var/.
        "event_relay": "off",
        "events_dir": Path(tempfile.mkdtemp(prefix="events-")),
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def migrate(database_url: str) -> None:
    app = create_app(settings_for(database_url))
    with app.app_context():
        upgrade()
    app.extensions["customer_api"].engine.dispose()


def drop_everything(database_url: str) -> None:
    engine = create_engine(database_url)
    existing = sa.MetaData()
    existing.reflect(engine)
    existing.drop_all(engine)
    engine.dispose()


def empty_tables(database_url: str) -> None:
    engine = create_engine(database_url)
    with engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            connection.execute(table.delete())
    engine.dispose()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{Path(tmp_path_factory.mktemp('db')) / 'test.db'}"
    migrate(url)
    return url


@pytest.fixture(scope="session")
def mysql_url() -> str:
    url = service_url("TEST_DATABASE_URL")
    drop_everything(url)  # the database outlives test runs; each run migrates it from nothing
    migrate(url)
    return url


@pytest.fixture(params=["sqlite", "mysql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """A migrated, empty database: SQLite, then the real MySQL/MariaDB."""
    url: str = request.getfixturevalue(f"{request.param}_url")
    empty_tables(url)
    return url


@pytest.fixture
def redis_url() -> str:
    """The real Redis of ``TEST_REDIS_URL``, its database emptied for this test."""
    url = service_url("TEST_REDIS_URL")
    client = redis.Redis.from_url(url)
    client.flushdb()
    client.close()
    return url


@pytest.fixture
def settings(database_url: str) -> Settings:
    return settings_for(database_url)


@contextmanager
def running_app(settings: Settings) -> Iterator[Flask]:
    """The service on ``settings`` (one process of it), its database pools closed afterwards."""
    app = create_app(settings)
    try:
        yield app
    finally:
        app.extensions["customer_api"].engine.dispose()


@pytest.fixture
def app(settings: Settings) -> Iterator[Flask]:
    with running_app(settings) as app:
        app.config["TESTING"] = True
        yield app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def register(app: Flask, email: str, role: Role = Role.USER, password: str = PASSWORD) -> str:
    user_id = new_id()
    app.extensions["customer_api"].bus.handle(RegisterUser(user_id, email, password, role))
    return user_id


def login(client: FlaskClient, email: str, password: str = PASSWORD) -> dict[str, str]:
    response = client.post("/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.json
    return {"Authorization": f"Bearer {response.json['access_token']}"}


@pytest.fixture
def user_headers(app: Flask, client: FlaskClient) -> dict[str, str]:
    """Authorization headers of a plain user."""
    register(app, "user@example.com")
    return login(client, "user@example.com")


@pytest.fixture
def admin_headers(app: Flask, client: FlaskClient) -> dict[str, str]:
    register(app, "admin@example.com", Role.ADMIN)
    return login(client, "admin@example.com")


@contextmanager
def attached(handler: logging.Handler, logger_name: str, level: int) -> Iterator[None]:
    """``handler`` on a logger set to ``level`` for the block (a handler of our own, so that this
    works with pytest's logging plugin disabled too)."""
    logger = logging.getLogger(logger_name)
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(level)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


@pytest.fixture
def breaker_log() -> Iterator[list[logging.LogRecord]]:
    """The cache circuit breaker's log records."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.DEBUG)
    handler.emit = records.append  # type: ignore[method-assign]
    with attached(handler, "customer_api.adapters.resilient_cache", logging.DEBUG):
        yield records


def at(records: list[logging.LogRecord], level: int) -> list[str]:
    return [record.getMessage() for record in records if record.levelno == level]


def count_rows(database_url: str, table: str) -> int:
    engine = create_engine(database_url)
    with engine.connect() as connection:
        count = connection.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar_one()  # noqa: S608
    engine.dispose()
    return int(count)
