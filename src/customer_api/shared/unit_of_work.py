"""The unit of work: one transaction per command, holding every repository a handler may need.

``with uow: ... uow.commit()``; leaving the block without ``commit`` rolls everything back. On commit
the events recorded by the aggregates the repositories handed out go to the outbox in the same
transaction as the state change, so an event exists if and only if its change committed.
"""

from __future__ import annotations

import abc
from types import TracebackType
from typing import TYPE_CHECKING, Self

from customer_api.shared.aggregate import Aggregate
from customer_api.shared.events import Event, Meta

if TYPE_CHECKING:
    from customer_api.auth.ports import UserRepository
    from customer_api.customers.ports import CustomerRepository


class UnitOfWork(abc.ABC):
    customers: CustomerRepository
    users: UserRepository

    def __init__(self, meta: Meta) -> None:
        self.meta = meta
        self.seen: list[Aggregate] = []
        self.committed_events: list[Event] = []

    def __enter__(self) -> Self:
        self.seen = []
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()

    def track(self, aggregate: Aggregate) -> None:
        self.seen.append(aggregate)

    def commit(self) -> None:
        events = [event for aggregate in self.seen for event in aggregate.pull_events()]
        self._commit(events)
        self.committed_events.extend(events)

    @abc.abstractmethod
    def _commit(self, events: list[Event]) -> None:
        """Write ``events`` to the outbox and commit the transaction."""

    @abc.abstractmethod
    def rollback(self) -> None: ...
