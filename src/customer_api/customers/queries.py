"""Queries of the customer context and the read-model handlers that answer them.

They read through the ``CustomerReader`` port only: plain dicts, never the aggregate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from customer_api.customers.ports import CustomerReader
from customer_api.shared.errors import NotFound
from customer_api.shared.pages import Page, page_of

SORTS = ("created_at", "-created_at", "name", "-name")


@dataclass(frozen=True)
class GetCustomer:
    customer_id: str
    include_deleted: bool = False


@dataclass(frozen=True)
class ListCustomers:
    limit: int = 50
    sort: str = "created_at"
    after: tuple[Any, str] | None = None
    email: str | None = None
    name: str | None = None
    include_deleted: bool = False


@dataclass(frozen=True)
class GetCustomerHistory:
    customer_id: str
    limit: int = 50
    after_sequence: int | None = None
    include_deleted: bool = False


class CustomerQueries:
    def __init__(self, reader: CustomerReader) -> None:
        self._reader = reader

    def get(self, query: GetCustomer) -> dict[str, Any]:
        customer = self._reader.get(query.customer_id, include_deleted=query.include_deleted)
        if customer is None:
            raise NotFound(f"customer {query.customer_id} does not exist")
        return customer

    def list(self, query: ListCustomers) -> Page:
        rows = self._reader.find(
            limit=query.limit + 1,
            sort=query.sort,
            after=query.after,
            email=query.email,
            name_prefix=query.name,
            include_deleted=query.include_deleted,
        )
        sort_field = query.sort.lstrip("-")
        return page_of(rows, query.limit, lambda row: (row[sort_field], row["id"]))

    def history(self, query: GetCustomerHistory) -> Page:
        self.get(GetCustomer(query.customer_id, include_deleted=query.include_deleted))
        rows = self._reader.history(
            query.customer_id, limit=query.limit + 1, after_sequence=query.after_sequence
        )
        return page_of(rows, query.limit, lambda row: (row["sequence"],))
