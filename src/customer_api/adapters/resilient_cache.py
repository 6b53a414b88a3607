"""A circuit breaker around the cache: a cache that does not answer costs each request nothing.

After an error the cache is skipped for ``retry_seconds`` (reads miss, writes are queued), then the
next call probes it. An outage is logged once when it starts and once when it ends. Writes that
could not reach the cache (``set_if_newer``, ``bump``; the newest per key) are replayed on recovery,
so entries written before the outage do not outlive it. Reads filling a miss are not queued.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

from customer_api.shared.cache import Cache, CacheError

log = logging.getLogger(__name__)
MAX_QUEUED_WRITES = 10_000


class ResilientCache:
    def __init__(
        self,
        inner: Cache,
        *,
        retry_seconds: float,
        on_lookup: Callable[[int, int], None] = lambda hits, misses: None,
        on_error: Callable[[], None] = lambda: None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._inner = inner
        self._retry_seconds = retry_seconds
        self._on_lookup = on_lookup
        self._on_error = on_error
        self._clock = clock
        self._open_until: float | None = None
        # Replayed in order on recovery; a newer write to a key replaces its older one.
        self._queued: OrderedDict[str, Callable[[], object]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def available(self) -> bool:
        return self._open_until is None

    def get_many(self, keys: Sequence[str]) -> list[Any | None]:
        values: list[Any | None] = self._call(lambda: self._inner.get_many(keys)) or [None] * len(keys)
        self._count_lookups(values)
        return values

    def count_and_get(
        self, counter: str, previous: str, ttl: int, keys: Sequence[str]
    ) -> tuple[int, int, list[Any | None]] | None:
        """Not counted while the cache is down (the caller counts elsewhere); ``keys`` miss."""
        counted: tuple[int, int, list[Any | None]] | None = self._call(
            lambda: self._inner.count_and_get(counter, previous, ttl, keys)
        )
        self._count_lookups(counted[2] if counted else [None] * len(keys))
        return counted

    def set(self, key: str, value: Any, ttl: int) -> None:
        # A read model filling a miss: if it cannot, the next read simply misses again.
        self._call(lambda: self._inner.set(key, value, ttl))

    def set_if_newer(self, key: str, value: dict[str, Any], ttl: int) -> bool:
        return bool(self._write(key, lambda: self._inner.set_if_newer(key, value, ttl)))

    def fill(self, key: str, value: dict[str, Any], ttl: int) -> None:
        self._call(lambda: self._inner.fill(key, value, ttl))

    def bump(self, counter: str, stamp_key: str, stamp: float) -> None:
        self._write(counter, lambda: self._inner.bump(counter, stamp_key, stamp))

    def set_if_newer_and_bump(
        self, key: str, value: dict[str, Any], ttl: int, counter: str, stamp_key: str, stamp: float
    ) -> bool:
        stored = self._call(
            lambda: self._inner.set_if_newer_and_bump(key, value, ttl, counter, stamp_key, stamp)
        )
        if not self.available:  # replayed as the two writes they are, each the newest of its key
            self._queue(key, lambda: self._inner.set_if_newer(key, value, ttl))
            self._queue(counter, lambda: self._inner.bump(counter, stamp_key, stamp))
        return bool(stored)

    def ping(self) -> None:
        """Readiness: while the breaker is open the cache counts as down, without waiting on it."""
        if not self.available:
            raise CacheError("the cache did not answer recently; retrying shortly")
        try:
            self._inner.ping()
        except CacheError as error:
            self._trip(error)
            raise

    def _count_lookups(self, values: list[Any | None]) -> None:
        if values:
            hits = sum(value is not None for value in values)
            self._on_lookup(hits, len(values) - hits)

    def _write(self, key: str, write: Callable[[], Any]) -> Any:
        """A change the readers must see: if the cache misses it now, it is replayed on recovery."""
        result = self._call(write)
        if not self.available:
            self._queue(key, write)
        return result

    def _queue(self, key: str, write: Callable[[], Any]) -> None:
        self._queued.pop(key, None)
        self._queued[key] = write
        if len(self._queued) > MAX_QUEUED_WRITES:
            self._queued.popitem(last=False)
            log.error("too many cache writes queued in the outage; some entries may stay stale for their TTL")

    def _call(self, operation: Callable[[], Any]) -> Any:
        if self._open_until is not None:
            if self._clock() < self._open_until:
                return None
            with self._lock:  # one probe at a time
                return self._probe(operation)
        try:
            return operation()
        except CacheError as error:
            self._trip(error)
            return None

    def _probe(self, operation: Callable[[], Any]) -> Any:
        if self._open_until is None or self._clock() < self._open_until:
            return None
        try:
            while self._queued:
                key = next(iter(self._queued))
                self._queued[key]()
                del self._queued[key]
            result = operation()
        except CacheError:
            self._on_error()
            self._open_until = self._clock() + self._retry_seconds
            return None
        self._open_until = None
        log.warning("cache is back; serving from it again")
        return result

    def _trip(self, error: CacheError) -> None:
        self._on_error()
        with self._lock:
            if self._open_until is None:
                log.error(
                    "cache unavailable, serving reads from the database; retrying every %.1fs: %s",
                    self._retry_seconds,
                    error,
                )
            self._open_until = self._clock() + self._retry_seconds
