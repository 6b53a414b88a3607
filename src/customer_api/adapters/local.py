"""Embedded defaults that need no server: events as JSON files under ``var/events/``, and the
cache in memory."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from customer_api.shared.outbox import Envelope, PublishError

MEMORY_CACHE_MAX_ENTRIES = 10_000


class FileEventPublisher:
    """The same keys as the S3 publisher, as paths under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def publish(self, key: str, envelope: Envelope) -> None:
        path = self.root / key
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Write then rename: a reader never sees half a file, and a retry overwrites whole.
            partial = path.with_suffix(".json.partial")
            partial.write_text(json.dumps(envelope, indent=2))
            os.replace(partial, path)
        except OSError as error:
            raise PublishError(f"cannot write {path}: {error}", code=type(error).__name__) from error

    def check(self) -> None:
        if self.root.exists() and not os.access(self.root, os.W_OK):
            raise PublishError(f"{self.root} is not writable", code="PermissionError")


class MemoryCache:
    """The cache in this process's memory: the embedded default. Not shared between processes, so
    run several processes only with Redis. Holds at most ``max_entries`` entries (expired ones go
    first, then the oldest); counters are kept apart and never evicted."""

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, max_entries: int = MEMORY_CACHE_MAX_ENTRIES
    ) -> None:
        self._entries: dict[str, tuple[float, str]] = {}
        self._counters: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._clock = clock
        self._max_entries = max_entries

    def get_many(self, keys: Sequence[str]) -> list[Any | None]:
        with self._lock:
            return self._read(keys)

    def set(self, key: str, value: Any, ttl: int) -> None:
        with self._lock:
            self._put(key, value, ttl)

    def set_if_newer(self, key: str, value: dict[str, Any], ttl: int) -> bool:
        with self._lock:
            current = self._get(key)
            if current is not None and current.get("version", 0) >= value["version"]:
                return False
            self._put(key, value, ttl)
            return True

    def fill(self, key: str, value: dict[str, Any], ttl: int) -> None:
        self.set_if_newer(key, value, ttl)

    def bump(self, counter: str, stamp_key: str, stamp: float) -> None:
        with self._lock:
            self._counters[counter] = self._counters.get(counter, 0) + 1
            self._counters[stamp_key] = stamp

    def set_if_newer_and_bump(
        self, key: str, value: dict[str, Any], ttl: int, counter: str, stamp_key: str, stamp: float
    ) -> bool:
        stored = self.set_if_newer(key, value, ttl)
        self.bump(counter, stamp_key, stamp)
        return stored

    def count_and_get(
        self, counter: str, previous: str, ttl: int, keys: Sequence[str]
    ) -> tuple[int, int, list[Any | None]]:
        with self._lock:
            count = (self._get(counter) or 0) + 1
            self._put(counter, count, ttl)
            return count, self._get(previous) or 0, self._read(keys)

    def ping(self) -> None:
        """Memory always answers."""

    def _read(self, keys: Sequence[str]) -> list[Any | None]:
        """The values of ``keys``, counters and entries alike (under the lock)."""
        return [self._counters.get(key, self._get(key)) for key in keys]

    def _get(self, key: str) -> Any | None:
        entry = self._entries.get(key)
        return json.loads(entry[1]) if entry and entry[0] > self._clock() else None

    def _put(self, key: str, value: Any, ttl: int) -> None:
        self._entries.pop(key, None)  # re-inserted last: the newest
        self._entries[key] = (self._clock() + ttl, json.dumps(value))
        if len(self._entries) > self._max_entries:
            now = self._clock()
            for expired in [k for k, (expires, _) in self._entries.items() if expires <= now]:
                del self._entries[expired]
            while len(self._entries) > self._max_entries:
                del self._entries[next(iter(self._entries))]


class NoCache:
    """CACHE_PROVIDER=none: every read goes to the database."""

    def get_many(self, keys: Sequence[str]) -> list[Any | None]:
        return [None] * len(keys)

    def set(self, key: str, value: Any, ttl: int) -> None:
        pass

    def set_if_newer(self, key: str, value: dict[str, Any], ttl: int) -> bool:
        return False

    def fill(self, key: str, value: dict[str, Any], ttl: int) -> None:
        pass

    def bump(self, counter: str, stamp_key: str, stamp: float) -> None:
        pass

    def set_if_newer_and_bump(
        self, key: str, value: dict[str, Any], ttl: int, counter: str, stamp_key: str, stamp: float
    ) -> bool:
        return False

    def count_and_get(self, counter: str, previous: str, ttl: int, keys: Sequence[str]) -> None:
        return None

    def ping(self) -> None:
        pass
