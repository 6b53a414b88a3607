"""The sliding-window rate limit on a fake clock: its arithmetic, its Retry-After, where it counts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from werkzeug.exceptions import TooManyRequests

from customer_api.adapters.local import MemoryCache, NoCache
from customer_api.http.rate_limits import RateLimits
from customer_api.shared.cache import Cache

WINDOW = 60.0
START = 1_000 * WINDOW  # the start of a window


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def request_context() -> Iterator[None]:
    with Flask(__name__).test_request_context():
        yield


def limits(cache: Cache, clock: Clock) -> RateLimits:
    return RateLimits(cache, clock=clock)


def statuses(rate_limits: RateLimits, count: int, key: str = "u-1") -> list[int]:
    answers = []
    for _ in range(count):
        try:
            rate_limits.hit("4/minute", "user", key)
            answers.append(200)
        except TooManyRequests:
            answers.append(429)
    return answers


def retry_after(rate_limits: RateLimits) -> int:
    with pytest.raises(TooManyRequests) as refused:
        rate_limits.hit("4/minute", "user", "u-1")
    assert refused.value.retry_after is not None
    return int(refused.value.retry_after)


def test_the_limit_is_per_key_within_one_window() -> None:
    rate_limits = limits(MemoryCache(), Clock())
    assert statuses(rate_limits, 5) == [200, 200, 200, 200, 429]
    assert statuses(rate_limits, 1, key="u-2") == [200]


def test_the_previous_window_counts_for_the_share_the_sliding_window_still_covers() -> None:
    clock = Clock()
    rate_limits = limits(MemoryCache(), clock)
    clock.now = START + 0.9 * WINDOW
    assert statuses(rate_limits, 4) == [200, 200, 200, 200]
    clock.now = START + 1.5 * WINDOW  # half of those four still count: two more fit
    assert statuses(rate_limits, 2) == [200, 200]
    # 4 * 0.5 + 3 > 4: refused until the previous window's share has slid out, 30 s on.
    assert retry_after(rate_limits) == 30
    clock.now += 29
    assert statuses(rate_limits, 1) == [429]
    clock.now += 1  # a new window: the last one's 4 requests (refused ones count) weigh in fully
    assert statuses(rate_limits, 1) == [429]


@pytest.mark.parametrize(("after", "status"), [(-1, 429), (0, 200)])
def test_retry_after_is_when_the_next_request_is_allowed_again(after: int, status: int) -> None:
    clock = Clock()
    rate_limits = limits(MemoryCache(), clock)
    assert statuses(rate_limits, 4) == [200, 200, 200, 200]
    # This window's 5 (the refused one counts) are too many for it; in the next, 5 * (1 - 0.4) + 1
    # fits the 4 from 0.4 of the way in: 60 + 24 s on.
    assert retry_after(rate_limits) == 84
    clock.now += 84 + after
    assert statuses(rate_limits, 1) == [status]


def test_the_requests_cache_reads_come_back_with_the_count() -> None:
    cache = MemoryCache()
    cache.set("session:s-1", {"version": 0, "active": True}, ttl=60)
    values = limits(cache, Clock()).hit("4/minute", "user", "u-1", read=["session:s-1", "absent"])
    assert values == [{"version": 0, "active": True}, None]


def test_without_a_cache_that_counts_each_process_counts_in_its_own_memory() -> None:
    rate_limits = limits(NoCache(), Clock())
    assert statuses(rate_limits, 5) == [200, 200, 200, 200, 429]
    assert rate_limits.hit("4/minute", "user", "u-2", read=["session:s-1"]) == [None]


def test_turned_off_nothing_is_counted_but_the_reads_are_made() -> None:
    cache = MemoryCache()
    cache.set("session:s-1", {"version": 0, "active": True}, ttl=60)
    rate_limits = RateLimits(cache, enabled=False, clock=Clock())
    assert statuses(rate_limits, 10) == [200] * 10
    assert rate_limits.hit("4/minute", "user", "u-1", read=["session:s-1"]) == [
        {"version": 0, "active": True}
    ]
