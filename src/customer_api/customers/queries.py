"""Queries of the customer context and the read-model handlers that answer them.

They read through the ``CustomerReader`` port only (plain dicts, never the aggregate), with the
cache in front: a customer by id is one cache round trip when it hits; a list page two (the list
generation, then the page). The event handlers in ``handlers.py`` keep both fresh after each write.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from customer_api.customers.ports import CustomerReader
from customer_api.shared.cache import Cache
from customer_api.shared.errors import NotFound
from customer_api.shared.pages import Page, page_of

SORTS = ("created_at", "-created_at", "name", "-name")
# Bumped by every customer write: list pages cached under an older generation are never read again.
LIST_GENERATION = "customers:generation"
LAST_WRITE = "customers:last_write"


def customer_key(customer_id: str) -> str:
    return f"customer:{customer_id}"


@dataclass(frozen=True)
class GetCustomer:
    customer_id: str
    include_deleted: bool = False


@dataclass(frozen=True)
class ListCustomers:
    limit: int = 50
    sort: str = "created_at"
    after: tuple[Any, ...] | None = None
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
    def __init__(
        self,
        reader: CustomerReader,
        cache: Cache,
        *,
        ttl: int,
        primary: CustomerReader | None = None,
        replica_lag_seconds: float = 5.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``reader`` may read a replica; then ``primary`` reads the primary, used on a cache
        miss shortly after any write (or when the cache cannot say when the last one was)."""
        self._reader = reader
        self._primary = primary
        self._cache = cache
        self._ttl = ttl
        self._replica_lag = replica_lag_seconds
        self._clock = clock

    def cache_keys(self, query: GetCustomer) -> list[str]:
        """What ``get`` reads from the cache: a caller may read them in a round trip of its own
        (the guard's, with the rate limit) and pass the values as ``cached``."""
        if query.include_deleted:
            return []
        key = customer_key(query.customer_id)
        return [key, LAST_WRITE] if self._primary else [key]

    def get(self, query: GetCustomer, *, cached: list[Any | None] | None = None) -> dict[str, Any]:
        if query.include_deleted:
            return self._found(
                self._primary_or_reader(None).get(query.customer_id, include_deleted=True), query
            )
        key = customer_key(query.customer_id)
        entry, *last_write = cached if cached is not None else self._cache.get_many(self.cache_keys(query))
        if entry is not None:
            return self._found(None if entry.get("deleted") else entry, query)
        reader = self._primary_or_reader(last_write[0] if last_write else None)
        customer = self._found(reader.get(query.customer_id), query)
        self._cache.fill(key, customer, self._ttl)
        return customer

    def list(self, query: ListCustomers) -> Page:
        if query.include_deleted:
            return self._list(query, self._primary_or_reader(None))
        generation, last_write = self._cache.get_many([LIST_GENERATION, LAST_WRITE])
        key = f"customers:page:{generation or 0}:{_digest(query)}"
        [cached] = self._cache.get_many([key])
        if cached is not None:
            return Page(cached["items"], tuple(cached["next_after"]) if cached["next_after"] else None)
        page = self._list(query, self._primary_or_reader(last_write))
        self._cache.set(key, {"items": page.items, "next_after": page.next_after}, self._ttl)
        return page

    def history(self, query: GetCustomerHistory) -> Page:
        self.get(GetCustomer(query.customer_id, include_deleted=query.include_deleted))
        rows = self._primary_or_reader(None).history(
            query.customer_id, limit=query.limit + 1, after_sequence=query.after_sequence
        )
        return page_of(rows, query.limit, lambda row: (row["sequence"],))

    def _list(self, query: ListCustomers, reader: CustomerReader) -> Page:
        rows = reader.find(
            limit=query.limit + 1,
            sort=query.sort,
            after=query.after,
            email=query.email,
            name_prefix=query.name,
            include_deleted=query.include_deleted,
        )
        sort_field = query.sort.lstrip("-")
        return page_of(rows, query.limit, lambda row: (row[sort_field], row["id"]))

    def _primary_or_reader(self, last_write: float | None) -> CustomerReader:
        """The replica only when the last write is known to be older than its lag."""
        if self._primary is None:
            return self._reader
        if last_write is None or self._clock() - last_write < self._replica_lag:
            return self._primary
        return self._reader

    @staticmethod
    def _found(customer: dict[str, Any] | None, query: GetCustomer) -> dict[str, Any]:
        if customer is None:
            raise NotFound(f"customer {query.customer_id} does not exist")
        return customer


def _digest(query: ListCustomers) -> str:
    return hashlib.sha256(json.dumps(asdict(query), sort_keys=True, default=str).encode()).hexdigest()[:32]
