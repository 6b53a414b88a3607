"""The Alembic revisions, run through the app as ``flask db upgrade`` runs them, on a fresh SQLite file
and on a scratch MariaDB/MySQL database of their own: up, down to base, up again, and the head must
match the tables the code declares."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import downgrade, upgrade

# Imported for their side effect: each context adds its tables to the shared metadata.
import customer_api.auth.sql
import customer_api.customers.sql  # noqa: F401
from customer_api.adapters.sql.tables import metadata
from customer_api.config import PROJECT_ROOT
from tests.conftest import running_app, service_url, settings_for

SCRATCH_DATABASE = "customer_api_migrations_test"
TABLES = {"customers", "events", "idempotency_keys", "users", "auth_sessions", "api_keys"}
HEAD = ScriptDirectory(str(PROJECT_ROOT / "migrations")).get_current_head()


@pytest.fixture
def sqlite_fresh_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'migrations.db'}"


@pytest.fixture
def mysql_fresh_url() -> Iterator[str]:
    """A database of this test's own on the TEST_DATABASE_URL server, dropped afterwards."""
    server_url = sa.make_url(service_url("TEST_DATABASE_URL"))
    server = sa.create_engine(server_url)

    def drop() -> None:
        with server.connect() as connection:
            connection.execute(sa.text(f"DROP DATABASE IF EXISTS {SCRATCH_DATABASE}"))

    try:
        drop()
        with server.connect() as connection:
            connection.execute(
                sa.text(
                    f"CREATE DATABASE {SCRATCH_DATABASE} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
                )
            )
        yield server_url.set(database=SCRATCH_DATABASE).render_as_string(hide_password=False)
    finally:
        drop()
        server.dispose()


@pytest.fixture(params=["sqlite", "mysql"])
def fresh_url(request: pytest.FixtureRequest) -> str:
    url: str = request.getfixturevalue(f"{request.param}_fresh_url")
    return url


@pytest.fixture
def migration_app(fresh_url: str) -> Iterator[Flask]:
    with running_app(settings_for(fresh_url)) as app:
        yield app


def engine_of(app: Flask) -> sa.Engine:
    engine: sa.Engine = app.extensions["customer_api"].engine
    return engine


def table_names(engine: sa.Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names())


def differences(engine: sa.Engine) -> list[Any]:
    """What autogenerate would write into a new revision; the options are those of migrations/env.py,
    plus server defaults."""
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        return list(compare_metadata(context, metadata))


def current_revision(engine: sa.Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def test_the_metadata_knows_every_table() -> None:
    assert set(metadata.tables) == TABLES
    assert HEAD is not None


def test_upgrade_downgrade_upgrade_and_the_head_matches_the_code(migration_app: Flask) -> None:
    engine = engine_of(migration_app)
    assert table_names(engine) == set()

    with migration_app.app_context():
        upgrade()
    assert table_names(engine) == {*TABLES, "alembic_version"}
    assert current_revision(engine) == HEAD
    assert differences(engine) == []

    with migration_app.app_context():
        downgrade(revision="base")
    assert table_names(engine) <= {"alembic_version"}
    assert current_revision(engine) is None

    with migration_app.app_context():
        upgrade()
    assert table_names(engine) == {*TABLES, "alembic_version"}
    assert current_revision(engine) == HEAD
    assert differences(engine) == []

    with migration_app.app_context():
        upgrade()  # at head already: nothing to do, nothing breaks
    assert current_revision(engine) == HEAD


def test_the_migrated_schema_has_what_compare_metadata_does_not_check(migration_app: Flask) -> None:
    """Collations, fractional seconds and JSON checks are beyond autogenerate's comparison; the
    behaviour of the service depends on them, so they are read from the catalogue directly."""
    engine = engine_of(migration_app)
    with migration_app.app_context():
        upgrade()
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            customers_sql = connection.execute(
                sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'customers'")
            ).scalar_one()
            # Case-insensitive sorting and prefix search by name.
            assert re.search(r'\bname VARCHAR\(200\) COLLATE "?NOCASE"?', customers_sql, re.IGNORECASE)
            return
        schema = connection.execute(sa.text("SELECT DATABASE()")).scalar_one()
        collations = dict(
            connection.execute(
                sa.text(
                    "SELECT table_name, table_collation FROM information_schema.tables "
                    "WHERE table_schema = :schema AND table_name <> 'alembic_version'"
                ),
                {"schema": schema},
            ).all()
        )
        assert collations == dict.fromkeys(TABLES, "utf8mb4_unicode_ci")
        precision = dict(
            connection.execute(
                sa.text(
                    "SELECT CONCAT(table_name, '.', column_name), datetime_precision "
                    "FROM information_schema.columns "
                    "WHERE table_schema = :schema AND data_type = 'datetime'"
                ),
                {"schema": schema},
            ).all()
        )
        assert precision == {
            "customers.created_at": 6,
            "customers.updated_at": 6,
            "customers.deleted_at": 6,
            "events.occurred_at": 6,
            "events.published_at": 6,
            "events.next_attempt_at": 6,
            "idempotency_keys.created_at": 6,
            "idempotency_keys.expires_at": 6,
            "users.created_at": 6,
            "auth_sessions.created_at": 6,
            "auth_sessions.refreshed_at": 6,
            "auth_sessions.revoked_at": 6,
            "api_keys.created_at": 6,
            "api_keys.revoked_at": 6,
        }
        sequence = connection.execute(
            sa.text(
                "SELECT data_type, extra FROM information_schema.columns "
                "WHERE table_schema = :schema AND table_name = 'events' AND column_name = 'sequence'"
            ),
            {"schema": schema},
        ).one()
        assert tuple(sequence) == ("bigint", "auto_increment")
    # MariaDB stores JSON as LONGTEXT with a json_valid CHECK; MySQL has a real JSON type. Either way,
    # a value that is not JSON must be refused. A plain engine: this is about the schema, not about
    # how the app's engine reports errors (test_customer_sql covers that).
    plain = sa.create_engine(engine.url)
    try:
        with (
            pytest.raises(sa.exc.DBAPIError, match=r"response_headers|JSON|json"),
            plain.begin() as connection,
        ):
            connection.execute(
                sa.text(
                    "INSERT INTO idempotency_keys "
                    "(user_id, `key`, request_hash, response_headers, created_at, expires_at) "
                    "VALUES ('u', 'k', 'h', 'not json', NOW(6), NOW(6))"
                )
            )
    finally:
        plain.dispose()
