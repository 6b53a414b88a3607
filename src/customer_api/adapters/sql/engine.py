"""Engines for SQLite (the embedded default) and MySQL/MariaDB, with driver errors made port errors."""

from __future__ import annotations

import logging
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


def _unavailable_on_operational_error(context: ExceptionContext) -> None:
    """Connection refused or lost, lock timeouts, deadlocks: none is the client's fault, all are
    worth a retry. Integrity and programming errors pass through unchanged."""
    if isinstance(context.sqlalchemy_exception, sa.exc.OperationalError):
        log.error("database unavailable: %s", context.original_exception)
        raise Unavailable("database unavailable") from context.sqlalchemy_exception
