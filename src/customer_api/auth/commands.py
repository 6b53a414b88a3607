"""Commands of the auth context."""

from __future__ import annotations

from dataclasses import dataclass, field

from customer_api.auth.domain import Role


@dataclass(frozen=True)
class RegisterUser:
    user_id: str
    email: str
    password: str = field(repr=False)
    role: Role = Role.USER
