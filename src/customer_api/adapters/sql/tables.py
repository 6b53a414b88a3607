"""The shared metadata, column types, and the tables every context uses (outbox, idempotency)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Dialect

# Stable constraint names, so that migrations name them the same on SQLite and MySQL.
metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

MYSQL_TABLE_OPTIONS: dict[str, Any] = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_unicode_ci"}


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """Stored as naive UTC with microseconds (MySQL's DATETIME(6)); read back as aware UTC."""

    impl = sa.DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(sa.DateTime())

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None else None


def exact_string(length: int) -> sa.types.TypeEngine[str]:
    """A string compared byte for byte on MySQL too, whose default collation would fold case and
    accents ("zoë" = "Zoe"): for emails (already lower-cased) and idempotency keys."""
    return sa.String(length).with_variant(mysql.VARCHAR(length, collation="utf8mb4_bin"), "mysql", "mariadb")


# SQLite gives autoincrement only to a column typed exactly INTEGER PRIMARY KEY.
BigSerial = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
LongText = sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")

events = sa.Table(
    "events",
    metadata,
    sa.Column("sequence", BigSerial, primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.String(36), nullable=False, unique=True),
    sa.Column("event_type", sa.String(64), nullable=False),
    sa.Column("schema_version", sa.SmallInteger, nullable=False),
    sa.Column("aggregate_type", sa.String(32), nullable=False),
    sa.Column("aggregate_id", sa.String(36), nullable=False),
    sa.Column("aggregate_version", sa.Integer, nullable=False),
    sa.Column("occurred_at", UtcDateTime, nullable=False),
    sa.Column("actor_id", sa.String(64)),
    sa.Column("request_id", sa.String(128)),
    sa.Column("data", sa.JSON, nullable=False),
    sa.Column("changed", sa.JSON),
    # Outbox state: published_at stays NULL until the relay has put the event in the bucket.
    sa.Column("published_at", UtcDateTime),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", UtcDateTime),
    sa.Column("last_error", sa.String(1000)),
    # Two writers can never both record version N of one aggregate.
    sa.UniqueConstraint("aggregate_type", "aggregate_id", "aggregate_version"),
    sa.Index(None, "published_at", "sequence"),
    **MYSQL_TABLE_OPTIONS,
)

idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    sa.Column("user_id", sa.String(64), primary_key=True),
    sa.Column("key", exact_string(255), primary_key=True),
    sa.Column("request_hash", sa.String(64), nullable=False),
    # NULL while the first request with the key is still running.
    sa.Column("status_code", sa.SmallInteger),
    sa.Column("response_headers", sa.JSON),
    sa.Column("response_body", LongText),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False, index=True),
    **MYSQL_TABLE_OPTIONS,
)
