"""The cache port: JSON values by key, in front of the read models.

Entries of one resource carry its ``version``, and ``set_if_newer`` never replaces a newer entry by
an older one, so a slow reader filling a miss cannot undo the writer's fresher entry.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol


class CacheError(Exception):
    """The cache did not answer; callers serve from the database instead."""


class Cache(Protocol):
    def get_many(self, keys: Sequence[str]) -> list[Any | None]:
        """The values of ``keys`` in one round trip; ``None`` for each one missing."""

    def set(self, key: str, value: Any, ttl: int) -> None: ...

    def set_if_newer(self, key: str, value: dict[str, Any], ttl: int) -> bool:
        """Store ``value`` unless the entry there has a ``version`` at least as high: a write that
        readers must see (if the cache is down, it is replayed when it is back)."""

    def fill(self, key: str, value: dict[str, Any], ttl: int) -> None:
        """Cache what a read found, as ``set_if_newer`` does; if the cache is down, forget it."""

    def bump(self, counter: str, stamp_key: str, stamp: float) -> None:
        """Increment ``counter`` and store ``stamp`` at ``stamp_key``, in one round trip."""

    def set_if_newer_and_bump(
        self, key: str, value: dict[str, Any], ttl: int, counter: str, stamp_key: str, stamp: float
    ) -> bool:
        """``set_if_newer`` and ``bump`` in one round trip (what a write tells the read side)."""

    def count_and_get(
        self, counter: str, previous: str, ttl: int, keys: Sequence[str]
    ) -> tuple[int, int, list[Any | None]] | None:
        """Increment ``counter`` (which lives ``ttl`` seconds from its first increment, or longer),
        and read the count at ``previous`` (0 if none) and the values of ``keys``, in one round trip:
        a rate-limit window and what the request needs from the cache next. ``None`` when nothing is
        counted (the cache is off or down)."""

    def ping(self) -> None: ...
