"""The auth context's tables: users (repository and reader), login sessions and API keys."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from customer_api.adapters.sql.tables import MYSQL_TABLE_OPTIONS, UtcDateTime, exact_string, metadata
from customer_api.auth.domain import DuplicateUserEmail, User
from customer_api.shared.aggregate import Aggregate
from customer_api.shared.ids import utcnow

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


# One row per login: the refresh token family. Every token of the login carries its id (``sid``).
auth_sessions = sa.Table(
    "auth_sessions",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("user_id", sa.String(36), nullable=False, index=True),
    # The jti of the one refresh token of this session that may still be used.
    sa.Column("refresh_jti", sa.String(36), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("refreshed_at", UtcDateTime),
    sa.Column("revoked_at", UtcDateTime),
    sa.Column("revoked_reason", sa.String(32)),
    **MYSQL_TABLE_OPTIONS,
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    # SHA-256 of the secret: the secret is 256 random bits, so a slow hash would add nothing.
    sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_by", sa.String(64)),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("revoked_at", UtcDateTime),
    **MYSQL_TABLE_OPTIONS,
)


class SqlSessionStore:
    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def start(self, session_id: str, user_id: str, refresh_jti: str) -> None:
        with self._engine.begin() as connection:
            connection.execute(
                sa.insert(auth_sessions).values(
                    id=session_id, user_id=user_id, refresh_jti=refresh_jti, created_at=utcnow()
                )
            )

    def rotate(self, session_id: str, presented_jti: str, next_jti: str) -> bool:
        """Swap the session's refresh token for the next one if ``presented_jti`` is the current
        one of a live session (atomically: of two requests with one token, one wins)."""
        with self._engine.begin() as connection:
            swapped = connection.execute(
                sa.update(auth_sessions)
                .where(
                    auth_sessions.c.id == session_id,
                    auth_sessions.c.refresh_jti == presented_jti,
                    auth_sessions.c.revoked_at.is_(None),
                )
                .values(refresh_jti=next_jti, refreshed_at=utcnow())
            )
        return swapped.rowcount == 1

    def revoke(self, session_id: str, reason: str) -> None:
        with self._engine.begin() as connection:
            connection.execute(
                sa.update(auth_sessions)
                .where(auth_sessions.c.id == session_id, auth_sessions.c.revoked_at.is_(None))
                .values(revoked_at=utcnow(), revoked_reason=reason)
            )

    def is_active(self, session_id: str) -> bool:
        with self._engine.connect() as connection:
            revoked = connection.execute(
                sa.select(auth_sessions.c.revoked_at).where(auth_sessions.c.id == session_id)
            ).one_or_none()
        return revoked is not None and revoked.revoked_at is None


class SqlApiKeyStore:
    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def add(self, key: dict[str, Any]) -> None:
        with self._engine.begin() as connection:
            connection.execute(sa.insert(api_keys).values(**key))

    def by_hash(self, key_hash: str) -> dict[str, Any] | None:
        query = sa.select(api_keys.c.id, api_keys.c.name, api_keys.c.role).where(
            api_keys.c.key_hash == key_hash, api_keys.c.revoked_at.is_(None)
        )
        with self._engine.connect() as connection:
            row = connection.execute(query).one_or_none()
        return dict(row._mapping) if row is not None else None

    def find(self, *, limit: int, after: tuple[Any, ...] | None) -> list[dict[str, Any]]:
        query = (
            sa.select(api_keys.c.id, api_keys.c.name, api_keys.c.role, api_keys.c.created_at)
            .where(api_keys.c.revoked_at.is_(None))
            .order_by(api_keys.c.id)
            .limit(limit)
        )
        if after is not None:
            query = query.where(api_keys.c.id > after[0])
        with self._engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(query)]

    def revoke(self, key_id: str) -> str | None:
        """Revoke the key; its hash (to clear caches), or None when there is no such live key."""
        with self._engine.begin() as connection:
            row = connection.execute(
                sa.select(api_keys.c.key_hash).where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
            ).one_or_none()
            if row is None:
                return None
            connection.execute(sa.update(api_keys).where(api_keys.c.id == key_id).values(revoked_at=utcnow()))
        return str(row.key_hash)
