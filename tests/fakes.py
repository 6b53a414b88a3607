"""In-memory fakes of the ports, for unit tests that run in milliseconds."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from customer_api.auth.domain import DuplicateUserEmail, User
from customer_api.customers.domain import Customer, DuplicateEmail
from customer_api.shared.aggregate import Aggregate
from customer_api.shared.errors import ConcurrentUpdate
from customer_api.shared.events import Event, Meta
from customer_api.shared.unit_of_work import UnitOfWork


class FakeCustomerRepository:
    """Keeps copies, as a database would: a change is visible only once saved."""

    def __init__(self, track: Callable[[Aggregate], None], rows: dict[str, Customer]) -> None:
        self._track = track
        self.rows = rows

    def get(self, customer_id: str) -> Customer | None:
        stored = self.rows.get(customer_id)
        if stored is None:
            return None
        customer = copy.deepcopy(stored)
        self._track(customer)
        return customer

    def add(self, customer: Customer) -> None:
        self._check_email(customer)
        self.rows[customer.id] = _stored(customer)
        self._track(customer)

    def save(self, customer: Customer) -> None:
        if self.rows[customer.id].version != customer.version - 1:
            raise ConcurrentUpdate("changed by another request")
        self._check_email(customer)
        self.rows[customer.id] = _stored(customer)

    def _check_email(self, customer: Customer) -> None:
        if customer.is_deleted:
            return
        for other in self.rows.values():
            if (
                other.id != customer.id
                and not other.is_deleted
                and other.details.email == customer.details.email
            ):
                raise DuplicateEmail(f"email {customer.details.email} is taken")


def _stored(customer: Customer) -> Customer:
    """A copy as a table row holds it: the state, not the events still waiting for the outbox."""
    stored = copy.deepcopy(customer)
    stored.pull_events()
    return stored


class FakeUserRepository:
    def __init__(self, track: Callable[[Aggregate], None], rows: dict[str, User]) -> None:
        self._track = track
        self.rows = rows

    def add(self, user: User) -> None:
        if any(other.email == user.email for other in self.rows.values()):
            raise DuplicateUserEmail(user.email)
        self.rows[user.id] = user
        self._track(user)


class FakeStore:
    """The state shared by every unit of work of one test: the rows and the outbox."""

    def __init__(self) -> None:
        self.customers: dict[str, Customer] = {}
        self.users: dict[str, User] = {}
        self.outbox: list[tuple[Event, Meta]] = []


class FakeUnitOfWork(UnitOfWork):
    """Works on a scratch copy of the store; commit makes it the store's, rollback drops it."""

    def __init__(self, store: FakeStore, meta: Meta | None = None) -> None:
        super().__init__(meta or Meta())
        self.store = store
        self.committed = False

    def __enter__(self) -> FakeUnitOfWork:
        super().__enter__()
        self._customers = dict(self.store.customers)
        self._users = dict(self.store.users)
        self.customers = FakeCustomerRepository(self.track, self._customers)
        self.users = FakeUserRepository(self.track, self._users)
        return self

    def _commit(self, events: list[Event]) -> None:
        self.store.customers = self._customers
        self.store.users = self._users
        self.store.outbox.extend((event, self.meta) for event in events)
        self.committed = True

    def rollback(self) -> None:
        """Nothing reached the store; the scratch copies are dropped with this unit of work."""


class FakePasswordHasher:
    def hash(self, password: str) -> str:
        return f"hashed:{password}"

    def verify(self, password_hash: str, password: str) -> bool:
        return password_hash == f"hashed:{password}"


class FakeCustomerReader:
    """Reads the fake store as the SQL reader reads the table (only what unit tests need)."""

    def __init__(self, store: FakeStore) -> None:
        self.store = store

    def get(self, customer_id: str, *, include_deleted: bool = False) -> dict[str, Any] | None:
        customer = self.store.customers.get(customer_id)
        if customer is None or (customer.is_deleted and not include_deleted):
            return None
        return customer.snapshot()


class FakeUserReader:
    def __init__(self, store: FakeStore) -> None:
        self.store = store

    def get(self, user_id: str) -> dict[str, Any] | None:
        user = self.store.users.get(user_id)
        return {"id": user.id, "email": user.email, "role": user.role.value} if user else None

    def credentials(self, email: str) -> dict[str, Any] | None:
        for user in self.store.users.values():
            if user.email == email:
                return {
                    "id": user.id,
                    "email": user.email,
                    "role": user.role.value,
                    "password_hash": user.password_hash,
                }
        return None
