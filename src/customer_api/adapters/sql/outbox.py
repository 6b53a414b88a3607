"""Writes domain events to the ``events`` table, inside the transaction of the change they record."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from customer_api.adapters.sql.tables import events as events_table
from customer_api.shared.events import Event, Meta
from customer_api.shared.ids import new_id, utcnow

SCHEMA_VERSION = 1


def outbox_rows(events: list[Event], meta: Meta) -> list[dict[str, Any]]:
    now = utcnow()
    return [
        {
            "event_id": new_id(),
            "event_type": event.event_type,
            "schema_version": SCHEMA_VERSION,
            "aggregate_type": event.aggregate_type,
            "aggregate_id": event.aggregate_id,
            "aggregate_version": event.aggregate_version,
            "occurred_at": now,
            "actor_id": meta.actor_id,
            "request_id": meta.request_id,
            "data": event.data,
            "changed": list(changed) if (changed := getattr(event, "changed", None)) is not None else None,
        }
        for event in events
    ]


def write_outbox(connection: sa.Connection, events: list[Event], meta: Meta) -> None:
    if events:
        connection.execute(sa.insert(events_table), outbox_rows(events, meta))
