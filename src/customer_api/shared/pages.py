"""A page of a keyset-paginated collection, as every read-model handler returns it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Row = dict[str, Any]


@dataclass(frozen=True)
class Page:
    items: list[Row]
    # The keyset position after the last item when more may follow; None on the last page.
    next_after: tuple[Any, ...] | None


def page_of(rows: list[Row], limit: int, key: Callable[[Row], tuple[Any, ...]]) -> Page:
    """``rows`` was read with ``limit + 1``: the extra row says whether another page follows,
    without a COUNT."""
    items = rows[:limit]
    return Page(items, key(items[-1]) if len(rows) > limit else None)
