"""The auth context's table, repository and reader."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from customer_api.adapters.sql.tables import MYSQL_TABLE_OPTIONS, UtcDateTime, exact_string, metadata
from customer_api.auth.domain import DuplicateUserEmail, User
from customer_api.shared.aggregate import Aggregate

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("email", exact_string(254), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    **MYSQL_TABLE_OPTIONS,
)


class SqlUserRepository:
    def __init__(self, connection: sa.Connection, track: Callable[[Aggregate], None]) -> None:
        self._connection = connection
        self._track = track

    def add(self, user: User) -> None:
        try:
            self._connection.execute(
                sa.insert(users).values(
                    id=user.id,
                    email=user.email,
                    password_hash=user.password_hash,
                    role=user.role.value,
                    created_at=user.created_at,
                )
            )
        except sa.exc.IntegrityError:
            raise DuplicateUserEmail(f"a user with email {user.email} exists") from None
        self._track(user)


class SqlUserReader:
    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def get(self, user_id: str) -> dict[str, Any] | None:
        return self._one(sa.select(users.c.id, users.c.email, users.c.role).where(users.c.id == user_id))

    def credentials(self, email: str) -> dict[str, Any] | None:
        return self._one(
            sa.select(users.c.id, users.c.email, users.c.role, users.c.password_hash).where(
                users.c.email == email
            )
        )

    def find(self, *, limit: int, after: tuple[Any, ...] | None) -> list[dict[str, Any]]:
        query = sa.select(users.c.id, users.c.email, users.c.role).order_by(users.c.email).limit(limit)
        if after is not None:
            query = query.where(users.c.email > after[0])
        with self._engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(query)]

    def _one(self, query: sa.Select[Any]) -> dict[str, Any] | None:
        with self._engine.connect() as connection:
            row = connection.execute(query).one_or_none()
        return dict(row._mapping) if row is not None else None
