"""Liveness and readiness. Liveness says the process answers; readiness says whether it can serve."""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa
from flask import Blueprint

from customer_api.adapters.sql.tables import events
from customer_api.http.context import services
from customer_api.http.guards import public
from customer_api.http.problems import RETRY_AFTER_SECONDS
from customer_api.shared.errors import Unavailable
from customer_api.shared.ids import utcnow

blp = Blueprint("health", __name__)


@blp.get("/health")
@public
def live() -> dict[str, str]:
    return {"status": "ok"}


@blp.get("/health/ready")
@public
def ready() -> tuple[dict[str, Any], int, dict[str, str]]:
    checks = {"database": _database(), "events": _events()}
    if checks["database"]["status"] != "ok":
        return {"status": "down", "checks": checks}, 503, {"Retry-After": RETRY_AFTER_SECONDS}
    return {"status": "ok", "checks": checks}, 200, {}


def _database() -> dict[str, Any]:
    started = time.perf_counter()
    try:
        with services().engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except Unavailable:
        return {"status": "down", "latency_ms": _ms_since(started)}
    return {"status": "ok", "latency_ms": _ms_since(started)}


def _events() -> dict[str, Any]:
    """How far the outbox is behind: events committed but not yet published."""
    query = sa.select(sa.func.count(), sa.func.min(events.c.occurred_at)).where(
        events.c.published_at.is_(None)
    )
    try:
        with services().engine.connect() as connection:
            pending, oldest = connection.execute(query).one()
    except Unavailable:
        return {"status": "unknown", "pending": None, "oldest_pending_seconds": None}
    age = round((utcnow() - oldest).total_seconds(), 3) if oldest else 0
    return {"status": "ok", "pending": pending, "oldest_pending_seconds": age}


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)
