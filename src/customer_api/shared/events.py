"""Domain events: facts in the past tense that an aggregate records and the outbox stores."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True)
class Event:
    event_type: ClassVar[str]
    aggregate_type: ClassVar[str]

    aggregate_id: str
    aggregate_version: int
    # The aggregate as it stands after the change.
    data: dict[str, Any]


@dataclass(frozen=True)
class Meta:
    """Who asked for a change and through which request: carried into every event it causes."""

    actor_id: str | None = None
    request_id: str | None = None
