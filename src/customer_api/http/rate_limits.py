"""Rate limits: per user when authenticated, per client IP otherwise, in a moving window.

Counted in Redis so that every process shares them; while Redis does not answer, each process keeps
limiting in its own memory (and tries Redis again a few seconds later). Built on ``limits``, the
engine under flask-limiter: flask-limiter decides a request's limit before the view runs, which is
before our guard knows whether the caller is a user, an admin or nobody.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import limits
import redis
from flask import Flask, Response, g
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter
from werkzeug.exceptions import TooManyRequests

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Window:
    limit: int
    remaining: int
    reset_at: float


class RateLimits:
    def __init__(
        self,
        storage_url: str | None,
        *,
        enabled: bool = True,
        timeout: float = 0.5,
        retry_seconds: float = 5.0,
        on_reject: Callable[[str], None] = lambda scope: None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.enabled = enabled
        self._shared = None
        if storage_url:
            storage = storage_from_string(storage_url, socket_timeout=timeout, socket_connect_timeout=timeout)
            self._shared = MovingWindowRateLimiter(storage)
        self._retry_seconds = retry_seconds
        self._local = MovingWindowRateLimiter(MemoryStorage())
        self._shared_down_until = 0.0
        self._on_reject = on_reject
        self._clock = clock

    def hit(self, limit: str, scope: str, key: str) -> None:
        """Count one request of ``key`` against ``limit``; raise 429 when it is over."""
        if not self.enabled:
            return
        item = _parsed(limit)
        allowed, stats = self._count(item, scope, key)
        window = Window(item.amount, stats.remaining, stats.reset_time)
        if "rate_limit" not in g or window.remaining < g.rate_limit.remaining:
            g.rate_limit = window  # the headers describe the tightest limit this request met
        if not allowed:
            self._on_reject(scope)
            retry_after = max(1, math.ceil(stats.reset_time - self._clock()))
            raise TooManyRequests(
                f"Rate limit of {limit} exceeded; retry in {retry_after}s.", retry_after=retry_after
            )

    def _count(self, item: limits.RateLimitItem, scope: str, key: str) -> tuple[bool, limits.WindowStats]:
        if self._shared is not None and self._clock() >= self._shared_down_until:
            try:
                counted = self._shared.hit(item, scope, key), self._shared.get_window_stats(item, scope, key)
            except (redis.RedisError, OSError) as error:
                if not self._shared_down_until:
                    log.error("rate limits: Redis unavailable, limiting per process in memory: %s", error)
                self._shared_down_until = self._clock() + self._retry_seconds
            else:
                if self._shared_down_until:
                    log.warning("rate limits: Redis is back; limits are shared again")
                    self._shared_down_until = 0.0
                return counted
        return self._local.hit(item, scope, key), self._local.get_window_stats(item, scope, key)


@cache
def _parsed(limit: str) -> limits.RateLimitItem:
    return limits.parse(limit)


def register(app: Flask) -> None:
    """Every response that counted against a limit says where its caller stands."""

    @app.after_request
    def _headers(response: Response) -> Response:
        window: Window | None = g.get("rate_limit")
        if window is not None:
            seconds = max(0, math.ceil(window.reset_at - time.time()))
            response.headers["RateLimit-Limit"] = str(window.limit)
            response.headers["RateLimit-Remaining"] = str(window.remaining)
            response.headers["RateLimit-Reset"] = str(seconds)
            response.headers["X-RateLimit-Limit"] = str(window.limit)
            response.headers["X-RateLimit-Remaining"] = str(window.remaining)
            response.headers["X-RateLimit-Reset"] = str(math.ceil(window.reset_at))
        return response
