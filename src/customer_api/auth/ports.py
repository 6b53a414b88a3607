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
