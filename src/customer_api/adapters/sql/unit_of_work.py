"""The SQL unit of work: one connection and one transaction per command."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any, Self

import sqlalchemy as sa

from customer_api.adapters.sql.outbox import write_outbox
from customer_api.shared.aggregate import Aggregate
from customer_api.shared.events import Event, Meta
from customer_api.shared.unit_of_work import UnitOfWork

# name -> factory(connection, track); the composition root says which repositories exist.
RepositoryFactories = Mapping[str, Callable[[sa.Connection, Callable[[Aggregate], None]], Any]]


class SqlUnitOfWork(UnitOfWork):
    def __init__(self, engine: sa.Engine, repositories: RepositoryFactories, meta: Meta) -> None:
        super().__init__(meta)
        self._engine = engine
        self._repositories = repositories

    def __enter__(self) -> Self:
        super().__enter__()
        self._connection = self._engine.connect()
        self._transaction = self._connection.begin()
        for name, factory in self._repositories.items():
            setattr(self, name, factory(self._connection, self.track))
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            super().__exit__(exc_type, exc, tb)
        finally:
            self._connection.close()

    def _commit(self, events: list[Event]) -> None:
        write_outbox(self._connection, events, self.meta)
        self._transaction.commit()

    def rollback(self) -> None:
        if self._transaction.is_active:
            self._transaction.rollback()
