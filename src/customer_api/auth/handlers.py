"""Command handlers of the auth context."""

from __future__ import annotations

from customer_api.auth.commands import RegisterUser
from customer_api.auth.domain import User, check_password
from customer_api.auth.ports import PasswordHasher
from customer_api.shared.ids import utcnow
from customer_api.shared.unit_of_work import UnitOfWork


def register_user(cmd: RegisterUser, uow: UnitOfWork, *, hasher: PasswordHasher) -> None:
    check_password(cmd.password)
    password_hash = hasher.hash(cmd.password)
    with uow:
        uow.users.add(User.register(cmd.user_id, cmd.email, cmd.role, password_hash, utcnow()))
        uow.commit()
