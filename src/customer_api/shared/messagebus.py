"""The message bus: each command type goes to exactly one handler, inside a fresh unit of work."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from customer_api.shared.events import Event, Meta
from customer_api.shared.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

CommandHandler = Callable[[Any, UnitOfWork], None]
EventHandler = Callable[[Any], None]


class MessageBus:
    def __init__(
        self,
        uow_factory: Callable[[Meta], UnitOfWork],
        command_handlers: Mapping[type, CommandHandler],
        event_handlers: Mapping[type, Sequence[EventHandler]] | None = None,
    ) -> None:
        self._uow_factory = uow_factory
        self._handlers = dict(command_handlers)
        self._event_handlers = dict(event_handlers or {})

    def handle(self, command: object, meta: Meta | None = None) -> list[Event]:
        """Run the command's handler; return the events its unit of work committed. Their ``data``
        is the state the change produced, which a caller can show without reading it back (and
        so without seeing a later writer's state instead)."""
        handler = self._handlers[type(command)]
        uow = self._uow_factory(meta or Meta())
        handler(command, uow)
        for event in uow.committed_events:
            log.info("%s %s v%s committed", event.event_type, event.aggregate_id, event.aggregate_version)
            self.dispatch(event)
        return uow.committed_events

    def dispatch(self, event: Event) -> None:
        """Run the event's handlers. The change has committed whatever they do: a failing one is
        logged, never passed on to the client."""
        for handler in self._event_handlers.get(type(event), ()):
            try:
                handler(event)
            except Exception:
                log.exception(
                    "event handler %s failed on %s %s", handler, event.event_type, event.aggregate_id
                )
