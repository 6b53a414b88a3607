"""The base of every aggregate: it records the events its changes cause until the unit of work
takes them into the outbox."""

from __future__ import annotations

from customer_api.shared.events import Event


class Aggregate:
    def __init__(self) -> None:
        self._pending: list[Event] = []

    def record(self, event: Event) -> None:
        self._pending.append(event)

    def pull_events(self) -> list[Event]:
        events, self._pending = self._pending, []
        return events
