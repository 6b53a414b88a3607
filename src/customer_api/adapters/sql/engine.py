"""Engines for SQLite (the embedded default) and MySQL/MariaDB, with driver errors made port errors."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine, ExceptionContext

from customer_api.shared.errors import Unavailable

log = logging.getLogger(__name__)


def create_engine(url: str) -> Engine:
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = _sqlite_engine(parsed)
    else:
        engine = sa.create_engine(
            parsed,
            pool_pre_ping=True,
            pool_recycle=1800,
            pool_size=10,
            max_overflow=20,
            connect_args={"connect_timeout": 5, "read_timeout": 30, "write_timeout": 30},
        )
    sa.event.listen(engine, "handle_error", _unavailable_on_operational_error)
    return engine


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
