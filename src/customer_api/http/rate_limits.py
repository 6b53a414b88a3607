"""Rate limits: per user when authenticated, per client IP otherwise, in a sliding window.

Counted in the cache (Redis), so that every process shares them, in the same round trip as what the
request reads from the cache next (its login session). While the cache cannot count (it is down, or
off), each process limits in its own memory. Limits are written as flask-limiter writes them
("100/minute"), parsed by ``limits``, its engine; flask-limiter itself decides a request's limit
before the view runs, which is before our guard knows whether the caller is a user, an admin or
nobody.

The window is a sliding-window counter: the requests of the current fixed window, plus those of the
previous one weighted by the share of it the sliding window still covers. Two counters per caller,
one increment per request. Every request counts, a refused one too: a client that keeps calling
while limited stays limited.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import limits
from flask import Flask, Response, g
from werkzeug.exceptions import TooManyRequests

from customer_api.adapters.local import MemoryCache
from customer_api.shared.cache import Cache

EPSILON = 1e-9  # float arithmetic's slack: a request that fits exactly is allowed


@dataclass(frozen=True)
class Window:
    limit: int
    remaining: int
    reset_at: float


class RateLimits:
    def __init__(
        self,
        cache: Cache,
        *,
        enabled: bool = True,
        on_reject: Callable[[str], None] = lambda scope: None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.enabled = enabled
        self._shared = cache
        self._local = MemoryCache()
        self._on_reject = on_reject
        self._clock = clock

    def hit(self, limit: str, scope: str, key: str, *, read: Sequence[str] = ()) -> list[Any | None]:
        """Count one request of ``key`` against ``limit``; raise 429 when it is over. Returns the
        cache's values of ``read``, fetched in the same round trip as the count."""
        if not self.enabled:
            return self._shared.get_many(read) if read else []
        amount, seconds = _parsed(limit)
        now = self._clock()
        window = int(now // seconds)
        counter, previous = (f"rate:{scope}:{key}:{seconds}:{index}" for index in (window, window - 1))
        counted = self._shared.count_and_get(counter, previous, 2 * seconds, read)
        if counted is None:
            count, prior, _ = self._local.count_and_get(counter, previous, 2 * seconds, ())
            values: list[Any | None] = [None] * len(read)
        else:
            count, prior, values = counted
        elapsed = (now - window * seconds) / seconds  # the share of the current window gone by
        used = prior * (1 - elapsed) + count
        if used <= amount + EPSILON:
            self._describe(Window(amount, max(0, amount - math.ceil(used - EPSILON)), (window + 1) * seconds))
            return values
        retry_after = max(1, math.ceil(_wait(amount, count, prior, elapsed) * seconds - EPSILON))
        self._describe(Window(amount, 0, now + retry_after))
        self._on_reject(scope)
        message = f"Rate limit of {limit} exceeded; retry in {retry_after}s."
        raise TooManyRequests(message, retry_after=retry_after)

    @staticmethod
    def _describe(window: Window) -> None:
        if "rate_limit" not in g or window.remaining < g.rate_limit.remaining:
            g.rate_limit = window  # the headers describe the tightest limit this request met


def _wait(amount: int, count: int, prior: int, elapsed: float) -> float:
    """How long (in windows) until one more request would be within ``amount``: while the previous
    window's requests slide out, or, if this window's alone are too many, while they do in the next."""
    room = amount - 1 - count  # for the previous window's weighted share
    if room >= 0:
        return max(0.0, 1 - room / prior - elapsed)
    return 1 - elapsed + max(0.0, 1 - (amount - 1) / count)


@cache
def _parsed(limit: str) -> tuple[int, int]:
    item = limits.parse(limit)
    return item.amount, item.get_expiry()


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
