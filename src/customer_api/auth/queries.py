"""Read-model handlers of the auth context, and the credential check behind login."""

from __future__ import annotations

from functools import cached_property
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

    @cached_property
    def _decoy_hash(self) -> str:
        """Verified against when the email is unknown, so that both failures take as long. Made by
        the first login of the process, whatever its email, rather than by every process at start
        (a CLI command, a new worker), where it cost half of building the app."""
        return self._hasher.hash("not-a-password-of-anyone")

    def get(self, user_id: str) -> dict[str, Any]:
        user = self._reader.get(user_id)
        if user is None:
            raise NotFound(f"user {user_id} does not exist")
        return user

    def authenticate(self, email: str, password: str) -> dict[str, Any]:
        decoy_hash = self._decoy_hash
        found = self._reader.credentials(email.strip().lower())
        password_hash = found["password_hash"] if found else decoy_hash
        if not self._hasher.verify(password_hash, password) or found is None:
            raise InvalidCredentials()
        return {key: found[key] for key in ("id", "email", "role")}

    def list(self, *, limit: int, after: tuple[Any, ...] | None) -> Page:
        rows = self._reader.find(limit=limit + 1, after=after)
        return page_of(rows, limit, lambda row: (row["email"],))
