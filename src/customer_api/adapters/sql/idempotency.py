"""The idempotency store in the database: one row per (user, key), kept for the TTL."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from customer_api.adapters.sql.tables import idempotency_keys as keys
from customer_api.http.idempotency import KeyInFlight, KeyReused, StoredResponse
from customer_api.shared.ids import utcnow


class SqlIdempotencyStore:
    def __init__(self, engine: sa.Engine, *, ttl_seconds: int, lock_seconds: int) -> None:
        self._engine = engine
        self._ttl = timedelta(seconds=ttl_seconds)
        self._lock = timedelta(seconds=lock_seconds)

    def claim(self, user_id: str, key: str, fingerprint: str) -> StoredResponse | None:
        now = utcnow()
        claim = {
            "request_hash": fingerprint,
            "status_code": None,
            "response_headers": None,
            "response_body": None,
            "created_at": now,
            "expires_at": now + self._ttl,
        }
        this = sa.and_(keys.c.user_id == user_id, keys.c.key == key)
        # Insert first: locking a row that does not exist yet would take gap locks on MySQL, on
        # which two first requests with one key deadlock each other.
        try:
            with self._engine.begin() as connection:
                connection.execute(sa.insert(keys).values(user_id=user_id, key=key, **claim))
            return None
        except sa.exc.IntegrityError:
            pass
        with self._engine.begin() as connection:
            row = connection.execute(sa.select(keys).where(this).with_for_update()).one_or_none()
            if row is None:
                # Released between our insert and this read: the retry is the client's to make.
                raise KeyInFlight("a request with this Idempotency-Key has just finished; retry")
            abandoned = row.status_code is None and row.created_at + self._lock <= now
            if row.expires_at <= now or abandoned:
                connection.execute(sa.update(keys).where(this).values(**claim))
                return None
        if row.request_hash != fingerprint:
            raise KeyReused()
        if row.status_code is None:
            raise KeyInFlight("a request with this Idempotency-Key is still in progress")
        return StoredResponse(row.status_code, row.response_headers, row.response_body)

    def finish(self, user_id: str, key: str, response: StoredResponse) -> None:
        with self._engine.begin() as connection:
            connection.execute(
                sa.update(keys)
                .where(keys.c.user_id == user_id, keys.c.key == key)
                .values(
                    status_code=response.status,
                    response_headers=response.headers,
                    response_body=response.body,
                )
            )

    def release(self, user_id: str, key: str) -> None:
        with self._engine.begin() as connection:
            connection.execute(sa.delete(keys).where(keys.c.user_id == user_id, keys.c.key == key))
