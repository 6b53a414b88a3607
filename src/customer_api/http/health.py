"""Operational endpoints: liveness (the process answers), readiness (it can serve), metrics."""

from __future__ import annotations

import logging
import time
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response
from prometheus_client import CONTENT_TYPE_LATEST

from customer_api.http.context import services
from customer_api.http.guards import public
from customer_api.http.problems import RETRY_AFTER_SECONDS
from customer_api.shared.cache import CacheError
from customer_api.shared.errors import Unavailable
from customer_api.shared.outbox import PublishError

log = logging.getLogger(__name__)

blp = Blueprint("health", __name__)


@blp.get("/health")
@public
def live() -> dict[str, str]:
    return {"status": "ok"}


@blp.get("/health/ready")
@public
def ready() -> tuple[dict[str, Any], int, dict[str, str]]:
    checks = {"database": _database(), "cache": _cache(), "events": _events()}
    if checks["database"]["status"] != "ok":
        return {"status": "down", "checks": checks}, 503, {"Retry-After": RETRY_AFTER_SECONDS}
    degraded = any(check["status"] != "ok" for check in checks.values())
    return {"status": "degraded" if degraded else "ok", "checks": checks}, 200, {}


def _database() -> dict[str, Any]:
    started = time.perf_counter()
    try:
        with services().engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except Unavailable:
        return {"status": "down", "latency_ms": _ms_since(started)}
    return {"status": "ok", "latency_ms": _ms_since(started)}


def _cache() -> dict[str, Any]:
    """The service works without its cache, only slower: a cache that does not answer is degraded."""
    provider = services().settings.cache_provider
    started = time.perf_counter()
    try:
        services().cache.ping()
    except CacheError as error:
        log.warning("readiness: cache unavailable: %s", error)
        return {"status": "degraded", "provider": provider, "latency_ms": _ms_since(started)}
    return {"status": "ok", "provider": provider, "latency_ms": _ms_since(started)}


def _events() -> dict[str, Any]:
    """How far the outbox is behind, and whether the event store answers (degraded if not)."""
    try:
        stats = services().outbox.stats()
    except Unavailable:
        return {"status": "unknown", "pending": None, "oldest_pending_seconds": None}
    try:
        services().publisher.check()
        status = "ok"
    except PublishError as error:
        status = "degraded"
        log.warning("readiness: event store unavailable: %s", error)
    return {
        "status": status,
        "pending": stats.pending,
        "oldest_pending_seconds": stats.oldest_pending_seconds,
    }


@blp.get("/metrics")
@public
def metrics() -> Response:
    return Response(services().metrics.exposition(), mimetype=CONTENT_TYPE_LATEST)


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)
