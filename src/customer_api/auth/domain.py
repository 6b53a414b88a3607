"""Users and roles. Pure Python."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from customer_api.shared.aggregate import Aggregate
from customer_api.shared.emails import normalized_email
from customer_api.shared.errors import Conflict, InvalidInput
from customer_api.shared.events import Event
from customer_api.shared.ids import rfc3339

PASSWORD_MIN = 8
PASSWORD_MAX = 1024


class Role(StrEnum):
    ADMIN = "admin"
    USER = "user"


class DuplicateUserEmail(Conflict):
    pass


@dataclass(frozen=True)
class UserRegistered(Event):
    event_type = "user.registered"
    aggregate_type = "user"


class User(Aggregate):
    def __init__(self, id: str, email: str, role: Role, password_hash: str, created_at: datetime) -> None:
        super().__init__()
        self.id = id
        self.email = email
        self.role = role
        self.password_hash = password_hash
        self.created_at = created_at

    @classmethod
    def register(cls, id: str, email: str, role: Role, password_hash: str, now: datetime) -> User:
        normalized = normalized_email(email)
        if normalized is None:
            raise InvalidInput({"email": ["Not a valid email address."]})
        user = cls(id, normalized, role, password_hash, now)
        # The event never carries the password hash.
        user.record(
            UserRegistered(
                id,
                1,
                {"id": id, "email": user.email, "role": role.value, "created_at": rfc3339(now)},
            )
        )
        return user


def check_password(password: str) -> None:
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise InvalidInput({"password": [f"Length must be between {PASSWORD_MIN} and {PASSWORD_MAX}."]})
