"""Engines for SQLite (the embedded default) and MySQL/MariaDB, with driver errors made port errors."""

from __future__ import annotations

import logging
import sqlite3
import time
from functools import partial
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect, Engine, ExceptionContext
from sqlalchemy.pool import ConnectionPoolEntry, PoolResetState

from customer_api.shared.errors import Unavailable

log = logging.getLogger(__name__)

# A pooled connection used this recently is taken to be alive; one idle for longer is pinged before
# use (pool_pre_ping would ping on every checkout: a round trip per request for nothing under load).
PING_AFTER_IDLE_SECONDS = 10.0
# The MySQL protocol's status flag (PyMySQL keeps the server's last status): a transaction is open.
SERVER_STATUS_IN_TRANS = 1


def create_engine(url: str | sa.URL, *, autocommit: bool = False) -> Engine:
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = _sqlite_engine(parsed)
    else:
        engine = sa.create_engine(
            parsed,
            pool_recycle=1800,
            pool_size=10,
            max_overflow=20,
            # Not a ROLLBACK on every return to the pool (a round trip after each COMMIT): see
            # _rollback_if_in_transaction.
            pool_reset_on_return=None,
            **({"isolation_level": "AUTOCOMMIT", "skip_autocommit_rollback": True} if autocommit else {}),
            connect_args={"connect_timeout": 5, "read_timeout": 30, "write_timeout": 30},
        )
        sa.event.listen(engine, "checkout", partial(_ping_if_idle, engine.dialect))
        sa.event.listen(engine, "checkin", _idle_from_now)
        sa.event.listen(engine, "reset", _rollback_if_in_transaction)
    sa.event.listen(engine, "handle_error", _unavailable_on_operational_error)
    return engine


def reading_engine(engine: Engine) -> Engine:
    """An engine for reads of one statement each, on ``engine``'s database. On MySQL its connections
    are in autocommit, so that a read is one round trip, not two (the statement, then a ROLLBACK
    ending the transaction it began); disposed with ``engine``. On SQLite, ``engine`` itself."""
    if engine.dialect.name == "sqlite":
        return engine
    reads = create_engine(engine.url, autocommit=True)
    sa.event.listen(engine, "engine_disposed", lambda _engine: reads.dispose())
    return reads


def _ping_if_idle(dialect: Dialect, dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
    """A connection that sat in the pool for a while (the server may have restarted or dropped it)
    is pinged; a dead one is replaced by a new connection, as SQLAlchemy's pessimistic handling
    does. One used within PING_AFTER_IDLE_SECONDS is not: if it died meanwhile, that request
    fails with a 503 and the pool replaces every connection as old as it."""
    idle_since = record.info.get("idle_since")
    if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
        return
    try:
        dialect.do_ping(dbapi_connection)
    except Exception as error:
        raise sa.exc.DisconnectionError(str(error)) from error


def _idle_from_now(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    record.info["idle_since"] = time.monotonic()


def _rollback_if_in_transaction(
    dbapi_connection: Any, _record: ConnectionPoolEntry, state: PoolResetState
) -> None:
    """The pool's reset (a ROLLBACK), only when a transaction may still be open. SQLAlchemy ends
    every transaction it begins (with a COMMIT, or a ROLLBACK as a connection is closed), so its
    connections come back clean; a write left open through the raw driver shows in the driver's
    last status and is rolled back, and so is any connection whose driver keeps no such status.
    PyMySQL's status does not show a transaction that only read: raw-driver reads must end their
    own (nothing here uses the raw driver)."""
    if state.terminate_only or state.transaction_was_reset:
        return
    status = getattr(dbapi_connection, "server_status", None)
    if not isinstance(status, int) or status & SERVER_STATUS_IN_TRANS:
        dbapi_connection.rollback()


def _sqlite_engine(url: sa.URL) -> Engine:
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, connect_args={"timeout": 15})

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        # WAL lets readers run beside the single writer; foreign keys are off by default in SQLite.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.close()

    return engine


# Too many connections, shutdown, lock wait timeout, deadlock, killed, can't connect, gone away,
# lost connection, disconnected for inactivity.
MYSQL_TRANSIENT = {1040, 1053, 1205, 1213, 1927, 2002, 2003, 2006, 2013, 2055, 4031}
SQLITE_TRANSIENT = ("database is locked", "unable to open database file", "disk i/o error")


def _unavailable_on_operational_error(context: ExceptionContext) -> None:
    """Connection refused or lost, lock timeouts, deadlocks: none is the client's fault, all are
    worth a retry, so they become ``Unavailable`` (503). Anything else, a mistaken statement
    included, passes through unchanged."""
    if _transient(context):
        log.error("database unavailable: %s", context.original_exception)
        raise Unavailable("database unavailable") from context.sqlalchemy_exception


def _transient(context: ExceptionContext) -> bool:
    if context.is_disconnect:
        return True
    error = context.original_exception
    if isinstance(error, sqlite3.OperationalError):
        return str(error).lower().startswith(SQLITE_TRANSIENT)
    code = error.args[0] if error is not None and error.args else None
    return isinstance(code, int) and code in MYSQL_TRANSIENT
