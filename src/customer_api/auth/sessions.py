"""Login sessions: each login is a family of tokens that share a session id (``sid``).

A refresh token works once: refreshing swaps it for the next one. Presenting one already used means
it was stolen or replayed, so the whole session is revoked (RFC 9700 4.14.2). Logout revokes it too.
The database is the record; the cache answers "is this session live?" on the request path, and a
revocation is written to it as a newer version, so no cached "live" can outlast it.
"""

from __future__ import annotations

import logging
from typing import Any

from customer_api.auth.ports import SessionStore
from customer_api.shared.cache import Cache
from customer_api.shared.ids import new_id

log = logging.getLogger(__name__)


class RefreshRefused(Exception):
    """The refresh token is not the current one of a live session."""


def cache_key(session_id: str) -> str:
    """Where the cache says whether the session is live (read by the guard with its rate limit)."""
    return f"session:{session_id}"


UNREAD = object()


class Sessions:
    def __init__(self, store: SessionStore, cache: Cache, *, ttl: int) -> None:
        self._store = store
        self._cache = cache
        self._ttl = ttl

    def start(self, user_id: str) -> tuple[str, str]:
        """A new session: its id and the jti of its first refresh token."""
        session_id, refresh_jti = new_id(), new_id()
        self._store.start(session_id, user_id, refresh_jti)
        return session_id, refresh_jti

    def rotate(self, session_id: str, presented_jti: str) -> str:
        """The jti of the session's next refresh token. Raises ``RefreshRefused``."""
        next_jti = new_id()
        if self._store.rotate(session_id, presented_jti, next_jti):
            return next_jti
        if self._store.is_active(session_id):
            log.warning("refresh token reused: revoking session %s", session_id)
            self.revoke(session_id, "refresh-reuse")
        raise RefreshRefused()

    def revoke(self, session_id: str, reason: str) -> None:
        self._store.revoke(session_id, reason)
        self._cache.set_if_newer(cache_key(session_id), {"version": 1, "active": False}, self._ttl)

    def is_active(self, session_id: str, *, cached: Any = UNREAD) -> bool:
        """``cached``: the cache's entry at ``cache_key(session_id)``, if the caller read it already."""
        entry = self._cache.get_many([cache_key(session_id)])[0] if cached is UNREAD else cached
        if entry is not None:
            return bool(entry["active"])
        active = self._store.is_active(session_id)
        self._cache.fill(cache_key(session_id), {"version": 0 if active else 1, "active": active}, self._ttl)
        return active
