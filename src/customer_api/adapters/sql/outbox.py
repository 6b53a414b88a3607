"""The ``events`` table as an outbox: written inside the transaction of the change each event records,
read by the relay that publishes them."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from customer_api.adapters.sql.tables import events as events_table
from customer_api.shared.events import Event, Meta
from customer_api.shared.ids import new_id, rfc3339, utcnow
from customer_api.shared.outbox import Envelope, PublishError
from customer_api.shared.relay import BatchResult, OutboxStats

log = logging.getLogger(__name__)

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


INSERT_EVENT = sa.insert(events_table)


def write_outbox(connection: sa.Connection, events: list[Event], meta: Meta) -> None:
    rows = outbox_rows(events, meta)
    if rows:
        # One event (as most commands make) is one plain INSERT, not an executemany of one.
        connection.execute(INSERT_EVENT, rows[0] if len(rows) == 1 else rows)


class SqlOutbox:
    """The relay's side of the ``events`` table."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def relay_batch(
        self,
        limit: int,
        publish: Callable[[Envelope], None],
        retry_delay: Callable[[int], float],
    ) -> BatchResult:
        result = BatchResult()
        with self._engine.begin() as connection:
            for row in connection.execute(_due_events(utcnow(), limit)).all():
                try:
                    publish(envelope(row))
                except PublishError as error:
                    result.failed += 1
                    result.errors.append(str(error))
                    self._postpone(connection, row, error, retry_delay(row.attempts + 1))
                else:
                    result.published += 1
                    connection.execute(
                        sa.update(events_table)
                        .where(events_table.c.sequence == row.sequence)
                        .values(published_at=utcnow(), next_attempt_at=None)
                    )
        return result

    def stats(self, errors: int = 5) -> OutboxStats:
        pending = events_table.c.published_at.is_(None)
        with self._engine.connect() as connection:
            count, oldest = connection.execute(
                sa.select(sa.func.count(), sa.func.min(events_table.c.occurred_at)).where(pending)
            ).one()
            failing = connection.execute(
                sa.select(
                    events_table.c.event_id,
                    events_table.c.attempts,
                    events_table.c.last_error,
                    events_table.c.next_attempt_at,
                )
                .where(pending, events_table.c.last_error.is_not(None))
                .order_by(events_table.c.sequence)
                .limit(errors)
            ).all()
        age = (utcnow() - oldest).total_seconds() if oldest else 0.0
        return OutboxStats(count, round(age, 3), [dict(row._mapping) for row in failing])

    def replay(self, event_types: Mapping[str, type[Event]]) -> Iterator[Event]:
        """Every stored event of these types, oldest first, as the domain event it was."""
        query = (
            sa.select(events_table)
            .where(events_table.c.event_type.in_(list(event_types)))
            .order_by(events_table.c.sequence)
        )
        with self._engine.connect() as connection:
            for row in connection.execution_options(yield_per=500).execute(query):
                kind = event_types[row.event_type]
                extra = {"changed": tuple(row.changed)} if row.changed is not None else {}
                yield kind(row.aggregate_id, row.aggregate_version, row.data, **extra)

    @staticmethod
    def _postpone(connection: sa.Connection, row: Any, error: PublishError, delay: float) -> None:
        attempts = row.attempts + 1
        log.warning(
            "event %s (%s) not published, attempt %d, error %s; next try in %.1fs: %s",
            row.event_id,
            row.event_type,
            attempts,
            error.code,
            delay,
            error,
        )
        connection.execute(
            sa.update(events_table)
            .where(events_table.c.sequence == row.sequence)
            .values(
                attempts=attempts,
                last_error=str(error)[:1000],
                next_attempt_at=utcnow() + timedelta(seconds=delay),
            )
        )


def _due_events(now: datetime, limit: int) -> sa.Select[Any]:
    """Pending, due events, each the earliest pending one of its aggregate, so that events of one
    aggregate are published in order even with several relays; locked rows are another relay's."""
    earlier = events_table.alias("earlier")
    an_earlier_one_pending = (
        sa.select(earlier.c.sequence)
        .where(
            earlier.c.aggregate_type == events_table.c.aggregate_type,
            earlier.c.aggregate_id == events_table.c.aggregate_id,
            earlier.c.published_at.is_(None),
            earlier.c.sequence < events_table.c.sequence,
        )
        .exists()
    )
    return (
        sa.select(events_table)
        .where(
            events_table.c.published_at.is_(None),
            sa.or_(events_table.c.next_attempt_at.is_(None), events_table.c.next_attempt_at <= now),
            ~an_earlier_one_pending,
        )
        .order_by(events_table.c.sequence)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )


def envelope(row: Any) -> Envelope:
    """The event as published: API.md's envelope, from its row."""
    published: Envelope = {
        "event_id": row.event_id,
        "event_type": row.event_type,
        "schema_version": row.schema_version,
        "aggregate_type": row.aggregate_type,
        "aggregate_id": row.aggregate_id,
        "aggregate_version": row.aggregate_version,
        "sequence": row.sequence,
        "occurred_at": rfc3339(row.occurred_at),
        "actor": {"user_id": row.actor_id},
        "request_id": row.request_id,
        "data": row.data,
    }
    if row.changed is not None:
        published["changed"] = row.changed
    return published
