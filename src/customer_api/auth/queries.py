"""Read-model handlers of the auth context, and the credential check behind login."""

from __future__ import annotations

from typing import Any

from customer_api.auth.ports import PasswordHasher, UserReader
from customer_api.shared.errors import NotFound
from customer_api.shared.pages import Page, page_of


class InvalidCredentials(Exception):
    """Unknown email or wrong password: deliberately one error for both."""


class UserQueries:
    def __init__(self, reader: UserReader, hasher: PasswordHasher) -> None:
        self._reader = reader
        self._hasher = hasher
        # Verified against when the email is unknown, so that both failures take as long.
        self._decoy_hash = hasher.hash("not-a-password-of-anyone")

    def get(self, user_id: str) -> dict[str, Any]:
        user = self._reader.get(user_id)
        if user is None:
            raise NotFound(f"user {user_id} does not exist")
        return user

    def authenticate(self, email: str, password: str) -> dict[str, Any]:
        found = self._reader.credentials(email.strip().lower())
        password_hash = found["password_hash"] if found else self._decoy_hash
        if not self._hasher.verify(password_hash, password) or found is None:
            raise InvalidCredentials()
        return {key: found[key] for key in ("id", "email", "role")}

    def list(self, *, limit: int, after: tuple[Any, ...] | None) -> Page:
        rows = self._reader.find(limit=limit + 1, after=after)
        return page_of(rows, limit, lambda row: (row["email"],))
