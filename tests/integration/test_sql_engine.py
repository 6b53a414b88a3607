"""The MySQL engine's pool, made lean (adapters/sql/engine.py): no ROLLBACK after a COMMIT, no ping of
a connection used a moment ago, reads in autocommit; and still safe: a write left open is rolled
back before its connection is reused, and a connection that died while idle is replaced."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from customer_api.adapters.sql import engine as engine_module
from customer_api.adapters.sql.engine import create_engine, reading_engine


@pytest.fixture
def engine(mysql_url: str) -> Iterator[sa.Engine]:
    engine = create_engine(mysql_url)
    yield engine
    engine.dispose()


def status(connection: sa.Connection, name: str) -> int:
    """A counter of this connection's own session (Com_commit, Com_rollback, ...)."""
    row = connection.exec_driver_sql(f"SHOW SESSION STATUS LIKE '{name}'").one()
    return int(row[1])


def connection_id(connection: sa.Connection) -> int:
    return int(connection.exec_driver_sql("SELECT CONNECTION_ID()").scalar_one())


def test_a_committed_transaction_goes_back_to_the_pool_without_a_rollback(engine: sa.Engine) -> None:
    with engine.connect() as connection:
        before = status(connection, "Com_rollback")
        connection.commit()
    with engine.begin() as connection:
        connection.exec_driver_sql("SELECT 1")
    with engine.connect() as connection:
        assert status(connection, "Com_rollback") == before


def test_a_transaction_left_open_is_rolled_back_before_its_connection_is_reused(engine: sa.Engine) -> None:
    with engine.connect() as connection:
        before = status(connection, "Com_rollback")
        connection.commit()
        # A transaction SQLAlchemy does not know of, as a raw driver's write would leave it open.
        dbapi = connection.connection.dbapi_connection
        assert dbapi is not None
        dbapi.cursor().execute("DELETE FROM customers WHERE id = 'none'")
        assert dbapi.server_status & engine_module.SERVER_STATUS_IN_TRANS  # type: ignore[attr-defined]
    with engine.connect() as connection:
        assert status(connection, "Com_rollback") == before + 1


def test_a_connection_that_died_while_idle_is_replaced_before_use(
    engine: sa.Engine, mysql_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with engine.connect() as connection:
        dead = connection_id(connection)
    killer = sa.create_engine(mysql_url)
    with killer.connect() as other:
        other.exec_driver_sql(f"KILL {dead}")
    killer.dispose()
    monkeypatch.setattr(engine_module, "PING_AFTER_IDLE_SECONDS", 0.0)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT 1").scalar_one() == 1
        assert connection_id(connection) != dead


def test_reads_are_one_statement_each_in_autocommit(engine: sa.Engine) -> None:
    reads = reading_engine(engine)
    with reads.connect() as connection:
        before = status(connection, "Com_rollback")
        assert connection.exec_driver_sql("SELECT @@autocommit").scalar_one() == 1
    with reads.connect() as connection:
        assert status(connection, "Com_rollback") == before
    engine.dispose()  # disposes of the reading engine too
    assert reads.pool.checkedin() == 0
