"""The message bus: each command type goes to exactly one handler, inside a fresh unit of work."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from customer_api.shared.events import Event, Meta
from customer_api.shared.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

CommandHandler = Callable[[Any, UnitOfWork], None]


class MessageBus:
    def __init__(
        self,
        uow_factory: Callable[[Meta], UnitOfWork],
        command_handlers: Mapping[type, CommandHandler],
    ) -> None:
        self._uow_factory = uow_factory
        self._handlers = dict(command_handlers)

    def handle(self, command: object, meta: Meta | None = None) -> list[Event]:
        """Run the command's handler; return the events its unit of work committed. Their ``data``
        is the state the change produced, which a caller can show without reading it back (and
        so without seeing a later writer's state instead)."""
        handler = self._handlers[type(command)]
        uow = self._uow_factory(meta or Meta())
        handler(command, uow)
        for event in uow.committed_events:
            log.info("%s %s v%s committed", event.event_type, event.aggregate_id, event.aggregate_version)
        return uow.committed_events
