"""The auth context's ports."""

from __future__ import annotations

from typing import Any, Protocol

from customer_api.auth.domain import User


class UserRepository(Protocol):
    def add(self, user: User) -> None:
        """Raises ``DuplicateUserEmail``."""


class UserReader(Protocol):
    def get(self, user_id: str) -> dict[str, Any] | None:
        """``{"id", "email", "role"}``."""

    def credentials(self, email: str) -> dict[str, Any] | None:
        """``{"id", "email", "role", "password_hash"}`` of the user with this email."""

    def find(self, *, limit: int, after: tuple[Any, ...] | None) -> list[dict[str, Any]]: ...


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool: ...


class SessionStore(Protocol):
    def start(self, session_id: str, user_id: str, refresh_jti: str) -> None: ...

    def rotate(self, session_id: str, presented_jti: str, next_jti: str) -> bool: ...

    def revoke(self, session_id: str, reason: str) -> None: ...

    def is_active(self, session_id: str) -> bool: ...


class ApiKeyStore(Protocol):
    def add(self, key: dict[str, Any]) -> None: ...

    def by_hash(self, key_hash: str) -> dict[str, Any] | None: ...

    def find(self, *, limit: int, after: tuple[Any, ...] | None) -> list[dict[str, Any]]: ...

    def revoke(self, key_id: str) -> str | None: ...
