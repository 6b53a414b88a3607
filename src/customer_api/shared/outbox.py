"""The event log's contract: the envelope every published event carries, where it is stored, and the
port a publisher implements. See "Domain events" in API.md."""

from __future__ import annotations

from typing import Any, Protocol

Envelope = dict[str, Any]


class PublishError(Exception):
    """The event did not reach the store; it stays pending and is retried."""

    def __init__(self, message: str, *, code: str = "unknown") -> None:
        super().__init__(message)
        self.code = code


class EventPublisher(Protocol):
    def publish(self, key: str, envelope: Envelope) -> None:
        """Store ``envelope`` under ``key``; storing the same key again overwrites it.

        Raises ``PublishError``."""

    def check(self) -> None:
        """Raises ``PublishError`` when the store cannot be reached (for readiness)."""


def object_key(prefix: str, envelope: Envelope) -> str:
    """``<prefix>/<aggregate_type>/<yyyy>/<mm>/<dd>/<sequence:012>-<event_id>.json``: deterministic,
    so a retry rewrites the same object and no event is ever stored twice."""
    day = envelope["occurred_at"][:10].replace("-", "/")
    return (
        f"{prefix}/{envelope['aggregate_type']}/{day}/{envelope['sequence']:012d}-{envelope['event_id']}.json"
    )
