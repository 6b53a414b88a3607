"""The customer context's ports: what its handlers need from storage, as Protocols."""

from __future__ import annotations

from typing import Any, Protocol

from customer_api.customers.domain import Customer


class CustomerRepository(Protocol):
    def get(self, customer_id: str) -> Customer | None:
        """The customer, deleted or not; ``None`` when there is no such id."""

    def add(self, customer: Customer) -> None:
        """Raises ``DuplicateEmail``."""

    def save(self, customer: Customer) -> None:
        """Store a customer loaded by ``get`` if nobody else changed it since.

        Raises ``ConcurrentUpdate`` when another writer got there first, ``DuplicateEmail``."""


class CustomerReader(Protocol):
    def get(self, customer_id: str, *, include_deleted: bool = False) -> dict[str, Any] | None: ...

    def find(
        self,
        *,
        limit: int,
        sort: str,
        after: tuple[Any, str] | None,
        email: str | None,
        name_prefix: str | None,
        include_deleted: bool,
    ) -> list[dict[str, Any]]: ...

    def history(
        self, customer_id: str, *, limit: int, after_sequence: int | None
    ) -> list[dict[str, Any]]: ...
