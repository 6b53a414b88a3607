"""API keys for service accounts, and the ``MASTER_TOKEN`` for system operations.

A key's secret is shown once, when it is made; only its SHA-256 is stored (the secret has 256 bits of
randomness, so a slow password hash would add nothing but latency on every request).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from customer_api.auth.domain import Role
from customer_api.auth.ports import ApiKeyStore
from customer_api.shared.cache import Cache
from customer_api.shared.errors import NotFound
from customer_api.shared.ids import new_id, rfc3339, utcnow
from customer_api.shared.pages import Page, page_of

SECRET_PREFIX = "cak_"  # noqa: S105 - marks our keys in logs and scanners; not a secret
MASTER = {"id": "master", "role": Role.ADMIN.value}


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _key(key_hash: str) -> str:
    return f"api-key:{key_hash}"


class ApiKeys:
    def __init__(self, store: ApiKeyStore, cache: Cache, *, ttl: int, master_token: str | None) -> None:
        self._store = store
        self._cache = cache
        self._ttl = ttl
        self._master_token = master_token

    def issue(self, name: str, role: Role, created_by: str) -> dict[str, Any]:
        secret = SECRET_PREFIX + secrets.token_urlsafe(32)
        key_id, now = new_id(), utcnow()
        key = {"id": key_id, "name": name, "role": role.value}
        self._store.add({**key, "created_at": now, "key_hash": _digest(secret), "created_by": created_by})
        return {**key, "key": secret, "created_at": rfc3339(now)}

    def authenticate(self, secret: str) -> dict[str, Any] | None:
        """``{"id", "role"}`` of the live key with this secret, or None."""
        if self._master_token and hmac.compare_digest(secret.encode(), self._master_token.encode()):
            return MASTER
        key_hash = _digest(secret)
        [entry] = self._cache.get_many([_key(key_hash)])
        if entry is None:
            found = self._store.by_hash(key_hash)
            if found is None:
                return None  # unknown secrets are not cached: nobody can fill the cache with them
            entry = {"version": 0, "id": found["id"], "role": found["role"]}
            self._cache.fill(_key(key_hash), entry, self._ttl)
        return None if entry.get("revoked") else {"id": entry["id"], "role": entry["role"]}

    def list(self, *, limit: int, after: tuple[Any, ...] | None) -> Page:
        rows = [
            {**row, "created_at": rfc3339(row["created_at"])}
            for row in self._store.find(limit=limit + 1, after=after)
        ]
        return page_of(rows, limit, lambda row: (row["id"],))

    def revoke(self, key_id: str) -> None:
        key_hash = self._store.revoke(key_id)
        if key_hash is None:
            raise NotFound(f"API key {key_id} does not exist")
        self._cache.set_if_newer(_key(key_hash), {"version": 1, "revoked": True}, self._ttl)
