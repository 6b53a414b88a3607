"""The memory cache, and the circuit breaker around any cache: unit tests on a fake clock.

``FlakyCache`` is a test double of the ``Cache`` port: a memory cache that records every call and
raises ``CacheError`` while ``down`` is set, as Redis does when it stops answering.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import partial
from typing import Any

import pytest

from customer_api.adapters.local import MemoryCache, NoCache
from customer_api.adapters.resilient_cache import ResilientCache
from customer_api.customers.commands import CreateCustomer, PatchCustomer
from customer_api.customers.domain import EVENT_TYPES
from customer_api.customers.handlers import COMMAND_HANDLERS, refresh_read_model
from customer_api.customers.queries import LIST_GENERATION, CustomerQueries, GetCustomer, customer_key
from customer_api.shared.cache import CacheError
from customer_api.shared.messagebus import MessageBus
from tests.conftest import at
from tests.fakes import FakeCustomerReader, FakeStore, FakeUnitOfWork

RETRY = 5.0


class Clock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class FlakyCache:
    """A cache that fails every call while ``down``, and records each call it receives."""

    def __init__(self) -> None:
        self.store = MemoryCache()
        self.down = False
        self.calls: list[tuple[Any, ...]] = []

    def _enter(self, *call: Any) -> None:
        self.calls.append(call)
        if self.down:
            raise CacheError("Connection refused")

    def get_many(self, keys: Sequence[str]) -> list[Any | None]:
        self._enter("get_many", tuple(keys))
        return self.store.get_many(keys)

    def set(self, key: str, value: Any, ttl: int) -> None:
        self._enter("set", key)
        self.store.set(key, value, ttl)

    def set_if_newer(self, key: str, value: dict[str, Any], ttl: int) -> bool:
        self._enter("set_if_newer", key, value["version"])
        return self.store.set_if_newer(key, value, ttl)

    def fill(self, key: str, value: dict[str, Any], ttl: int) -> None:
        self._enter("fill", key, value["version"])
        self.store.fill(key, value, ttl)

    def bump(self, counter: str, stamp_key: str, stamp: float) -> None:
        self._enter("bump", counter, stamp)
        self.store.bump(counter, stamp_key, stamp)

    def set_if_newer_and_bump(
        self, key: str, value: dict[str, Any], ttl: int, counter: str, stamp_key: str, stamp: float
    ) -> bool:
        self._enter("set_if_newer_and_bump", key, value["version"], counter, stamp)
        return self.store.set_if_newer_and_bump(key, value, ttl, counter, stamp_key, stamp)

    def count_and_get(
        self, counter: str, previous: str, ttl: int, keys: Sequence[str]
    ) -> tuple[int, int, list[Any | None]]:
        self._enter("count_and_get", counter, tuple(keys))
        return self.store.count_and_get(counter, previous, ttl, keys)

    def ping(self) -> None:
        self._enter("ping")


class Counters:
    def __init__(self) -> None:
        self.hits = 0
        self.misses = 0
        self.errors = 0

    def lookup(self, hits: int, misses: int) -> None:
        self.hits += hits
        self.misses += misses

    def error(self) -> None:
        self.errors += 1


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def flaky() -> FlakyCache:
    return FlakyCache()


@pytest.fixture
def counters() -> Counters:
    return Counters()


@pytest.fixture
def cache(flaky: FlakyCache, clock: Clock, counters: Counters) -> ResilientCache:
    return ResilientCache(
        flaky, retry_seconds=RETRY, on_lookup=counters.lookup, on_error=counters.error, clock=clock
    )


def customer(version: int, name: str = "Ada") -> dict[str, Any]:
    return {"id": "c-1", "name": name, "version": version}


# --- MemoryCache ---------------------------------------------------------------------------------


def test_memory_cache_returns_values_in_key_order_and_none_for_missing_keys() -> None:
    memory = MemoryCache()
    memory.set("a", {"x": 1}, ttl=60)
    memory.set("c", [1, 2], ttl=60)
    assert memory.get_many(["c", "b", "a"]) == [[1, 2], None, {"x": 1}]


def test_memory_cache_entries_live_exactly_their_ttl() -> None:
    clock = Clock()
    memory = MemoryCache(clock=clock)
    memory.set("page", {"items": []}, ttl=10)
    memory.set_if_newer("customer:1", customer(1), ttl=20)
    clock.advance(9.999)
    assert memory.get_many(["page", "customer:1"]) == [{"items": []}, customer(1)]
    clock.advance(0.001)
    assert memory.get_many(["page", "customer:1"]) == [None, customer(1)]
    clock.advance(10)
    assert memory.get_many(["customer:1"]) == [None]


def test_memory_cache_returns_copies_that_callers_cannot_change() -> None:
    memory = MemoryCache()
    value = {"version": 1, "tags": ["a"]}
    memory.set_if_newer("k", value, ttl=60)
    value["tags"].append("b")
    [read] = memory.get_many(["k"])
    read["version"] = 99
    assert memory.get_many(["k"]) == [{"version": 1, "tags": ["a"]}]


def test_memory_set_if_newer_keeps_the_newer_version() -> None:
    memory = MemoryCache()
    assert memory.set_if_newer("customer:1", customer(2, "Two"), ttl=60) is True
    assert memory.set_if_newer("customer:1", customer(1, "One"), ttl=60) is False
    assert memory.set_if_newer("customer:1", customer(2, "Other two"), ttl=60) is False
    assert memory.get_many(["customer:1"]) == [customer(2, "Two")]
    assert memory.set_if_newer("customer:1", customer(3, "Three"), ttl=60) is True
    assert memory.get_many(["customer:1"]) == [customer(3, "Three")]


def test_memory_set_if_newer_replaces_an_expired_entry_whatever_its_version() -> None:
    clock = Clock()
    memory = MemoryCache(clock=clock)
    memory.set_if_newer("customer:1", customer(5), ttl=1)
    clock.advance(1)
    assert memory.set_if_newer("customer:1", customer(2), ttl=60) is True
    assert memory.get_many(["customer:1"]) == [customer(2)]


def test_memory_bump_increments_the_counter_and_stamps_the_time_forever() -> None:
    clock = Clock()
    memory = MemoryCache(clock=clock)
    memory.bump("gen", "last", 111.5)
    memory.bump("gen", "last", 222.5)
    memory.bump("gen", "last", 333.5)
    clock.advance(10**9)
    assert memory.get_many(["gen", "last"]) == [3, 333.5]


def test_memory_count_and_get_counts_for_its_ttl_and_reads_the_previous_count_and_keys() -> None:
    clock = Clock()
    memory = MemoryCache(clock=clock)
    memory.set("session:s-1", {"active": True}, ttl=300)
    assert memory.count_and_get("rate:w2", "rate:w1", 120, ["session:s-1"]) == (1, 0, [{"active": True}])
    assert memory.count_and_get("rate:w2", "rate:w1", 120, []) == (2, 0, [])
    assert memory.count_and_get("rate:w3", "rate:w2", 120, []) == (1, 2, [])
    clock.advance(121)
    assert memory.count_and_get("rate:w3", "rate:w2", 120, []) == (1, 0, [])


def test_memory_cache_holds_at_most_its_maximum_whichever_way_entries_arrive() -> None:
    memory = MemoryCache(max_entries=3)
    pages = [f"page:{number}" for number in range(10)]
    for key in pages:
        memory.set(key, {"items": []}, ttl=60)
    assert sum(value is not None for value in memory.get_many(pages)) == 3
    # customers are cached by set_if_newer only (a service that is never asked for a list
    # calls nothing else): the bound must hold for them as well
    customers = [customer_key(str(number)) for number in range(10)]
    for key in customers:
        memory.set_if_newer(key, customer(1), ttl=60)
    assert sum(value is not None for value in memory.get_many(customers + pages)) <= 3


def test_memory_cache_eviction_never_drops_the_list_generation() -> None:
    """A generation that disappears reads as 0, and later bumps count up again from there: list
    pages cached under those generations would be served again although writes retired them."""
    memory = MemoryCache(max_entries=3)
    memory.bump("gen", "last", 1.0)
    memory.bump("gen", "last", 2.0)
    for number in range(3):
        memory.set(f"page:2:{number}", {"items": []}, ttl=60)
    assert memory.get_many(["gen"]) == [2]


def test_no_cache_stores_nothing_and_always_answers() -> None:
    none = NoCache()
    none.set("k", 1, ttl=60)
    assert none.set_if_newer("c", customer(1), ttl=60) is False
    none.bump("gen", "last", 1.0)
    none.ping()
    assert none.count_and_get("rate:w2", "rate:w1", 120, ["k"]) is None  # nothing is counted
    assert none.get_many(["k", "c", "gen"]) == [None, None, None]


# --- ResilientCache: a healthy cache -------------------------------------------------------------


def test_a_healthy_cache_is_used_directly_and_lookups_are_counted(
    cache: ResilientCache, flaky: FlakyCache, counters: Counters
) -> None:
    assert cache.set_if_newer("customer:1", customer(1), ttl=60) is True
    assert cache.set_if_newer("customer:1", customer(1), ttl=60) is False
    cache.set("page", {"items": []}, ttl=60)
    cache.bump("gen", "last", 5.0)
    assert cache.get_many(["customer:1", "nope", "gen"]) == [customer(1), None, 1]
    assert cache.available
    assert (counters.hits, counters.misses, counters.errors) == (2, 1, 0)
    assert [call[0] for call in flaky.calls] == ["set_if_newer", "set_if_newer", "set", "bump", "get_many"]


# --- ResilientCache: an outage -------------------------------------------------------------------


def test_after_an_error_every_call_skips_the_cache_for_retry_seconds(
    cache: ResilientCache, flaky: FlakyCache, clock: Clock, counters: Counters
) -> None:
    cache.set_if_newer("customer:1", customer(1), ttl=60)
    flaky.down = True
    assert cache.get_many(["customer:1"]) == [None]  # the failing call: a miss, not an error
    assert not cache.available
    calls_so_far = len(flaky.calls)

    for _ in range(50):
        assert cache.get_many(["customer:1", "gen"]) == [None, None]
        cache.set("page", {"items": []}, ttl=60)
        assert cache.set_if_newer("customer:1", customer(2), ttl=60) is False
        cache.bump("gen", "last", 1.0)
        clock.advance((RETRY - 0.01) / 50)

    assert cache.count_and_get("rate:w2", "rate:w1", 120, ["customer:1"]) is None  # counted elsewhere
    assert len(flaky.calls) == calls_so_far  # not one call reached the cache while it was open
    assert counters.errors == 1
    assert counters.misses == 1 + 50 * 2 + 1
    assert counters.hits == 0


def test_the_cache_is_probed_by_one_call_after_retry_seconds_and_stays_open_if_still_down(
    cache: ResilientCache, flaky: FlakyCache, clock: Clock, counters: Counters
) -> None:
    flaky.down = True
    cache.get_many(["a"])
    assert len(flaky.calls) == 1
    clock.advance(RETRY)
    assert cache.get_many(["a"]) == [None]  # the probe, which fails
    assert len(flaky.calls) == 2
    assert counters.errors == 2
    for _ in range(10):
        cache.get_many(["a"])
    clock.advance(RETRY - 0.01)
    cache.get_many(["a"])
    assert len(flaky.calls) == 2  # open again for a whole retry_seconds after the failed probe
    clock.advance(0.01)
    cache.get_many(["a"])
    assert len(flaky.calls) == 3


def test_an_outage_is_logged_once_at_error_and_its_end_once_at_warning(
    cache: ResilientCache, flaky: FlakyCache, clock: Clock, breaker_log: list[logging.LogRecord]
) -> None:
    flaky.down = True
    for _ in range(5):
        for _ in range(20):
            cache.get_many(["a"])
            cache.set_if_newer("customer:1", customer(1), ttl=60)
        clock.advance(RETRY)  # and every few calls a probe that fails again
    errors = at(breaker_log, logging.ERROR)
    assert len(errors) == 1, errors
    assert "cache unavailable" in errors[0]
    assert "Connection refused" in errors[0]
    assert at(breaker_log, logging.WARNING) == []

    flaky.down = False
    for _ in range(5):
        cache.get_many(["a"])
    warnings = at(breaker_log, logging.WARNING)
    assert len(warnings) == 1, warnings
    assert "cache is back" in warnings[0]

    flaky.down = True  # a second outage is a new story, logged again
    cache.get_many(["a"])
    assert len(at(breaker_log, logging.ERROR)) == 2


def test_writes_queued_during_an_outage_are_replayed_in_order_before_the_probing_call(
    cache: ResilientCache, flaky: FlakyCache, clock: Clock, counters: Counters
) -> None:
    cache.set_if_newer("customer:1", customer(1, "Old"), ttl=60)
    cache.set_if_newer("customer:2", {"id": "c-2", "version": 4}, ttl=60)
    flaky.down = True
    cache.set_if_newer("customer:1", customer(2, "Tripped"), ttl=60)  # the call that finds it down
    cache.bump("gen", "last", 10.0)
    cache.set("page:0", {"items": ["stale"]}, ttl=60)  # a miss filler: not worth replaying
    cache.set_if_newer("customer:2", {"id": "c-2", "version": 5, "deleted": True}, ttl=60)
    cache.set_if_newer("customer:1", customer(3, "New"), ttl=60)
    cache.bump("gen", "last", 11.0)
    flaky.down = False
    clock.advance(RETRY)
    calls_before = len(flaky.calls)

    values = cache.get_many(["customer:1", "customer:2", "gen", "last", "page:0"])

    # The newest write per key, in the order of those newest writes: one bump is enough to retire
    # every page cached before the outage.
    assert flaky.calls[calls_before:] == [
        ("set_if_newer", "customer:2", 5),
        ("set_if_newer", "customer:1", 3),
        ("bump", "gen", 11.0),
        ("get_many", ("customer:1", "customer:2", "gen", "last", "page:0")),
    ]
    assert values == [customer(3, "New"), {"id": "c-2", "version": 5, "deleted": True}, 1, 11.0, None]
    assert cache.available
    assert counters.errors == 1

    # replayed once only
    cache.get_many(["customer:1"])
    assert len(flaky.calls) == calls_before + 5


def test_a_write_can_be_the_probing_call_and_follows_the_queued_ones(
    cache: ResilientCache, flaky: FlakyCache, clock: Clock
) -> None:
    flaky.down = True
    cache.set_if_newer("customer:1", customer(2), ttl=60)
    flaky.down = False
    clock.advance(RETRY)
    assert cache.set_if_newer("customer:1", customer(3), ttl=60) is True
    assert [call[:3] for call in flaky.calls[-2:]] == [
        ("set_if_newer", "customer:1", 2),
        ("set_if_newer", "customer:1", 3),
    ]
    assert cache.get_many(["customer:1"]) == [customer(3)]


def test_queued_writes_survive_a_failed_probe_and_are_replayed_once_it_recovers(
    cache: ResilientCache, flaky: FlakyCache, clock: Clock
) -> None:
    flaky.down = True
    cache.set_if_newer("customer:1", customer(2), ttl=60)
    cache.bump("gen", "last", 1.0)
    clock.advance(RETRY)
    cache.get_many(["customer:1"])  # a probe: still down
    cache.set_if_newer("customer:1", customer(3), ttl=60)  # queued behind the others
    flaky.down = False
    clock.advance(RETRY)
    assert cache.get_many(["customer:1", "gen"]) == [customer(3), 1]


def test_ping_reports_an_open_breaker_without_waiting_on_the_cache_then_probes_it(
    cache: ResilientCache, flaky: FlakyCache, clock: Clock
) -> None:
    cache.ping()
    flaky.down = True
    cache.get_many(["a"])  # the breaker is open now
    flaky.down = False
    calls = len(flaky.calls)
    with pytest.raises(CacheError):
        cache.ping()
    assert len(flaky.calls) == calls, "a paused cache would make readiness wait for its timeout"
    clock.advance(RETRY)
    cache.get_many(["a"])  # the probe
    cache.ping()
    assert cache.available


# --- the read side through the breaker -----------------------------------------------------------


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


def read_side(store: FakeStore, cache: ResilientCache) -> tuple[MessageBus, CustomerQueries]:
    refresh = partial(refresh_read_model, cache=cache, ttl=60)
    bus = MessageBus(
        lambda meta: FakeUnitOfWork(store, meta),
        COMMAND_HANDLERS,
        {event_type: [refresh] for event_type in EVENT_TYPES.values()},
    )
    return bus, CustomerQueries(FakeCustomerReader(store), cache, ttl=60)


def test_a_write_during_an_outage_reaches_the_cache_on_recovery(
    store: FakeStore, cache: ResilientCache, flaky: FlakyCache, clock: Clock
) -> None:
    bus, queries = read_side(store, cache)
    bus.handle(CreateCustomer("c-1", "Ada", "ada@example.com"))
    assert queries.get(GetCustomer("c-1"))["name"] == "Ada"
    flaky.down = True
    bus.handle(PatchCustomer("c-1", {"name": "Grace"}, expected_versions=None))
    bus.handle(PatchCustomer("c-1", {"name": "Marie"}, expected_versions=None))
    assert queries.get(GetCustomer("c-1"))["name"] == "Marie"  # from the reader, the cache is skipped
    flaky.down = False
    clock.advance(RETRY)
    assert queries.get(GetCustomer("c-1"))["name"] == "Marie"
    assert flaky.store.get_many([customer_key("c-1"), LIST_GENERATION]) == [
        store.customers["c-1"].snapshot(),
        2,  # one bump before the outage, one replayed for the writes during it
    ]


def test_reads_during_an_outage_do_not_push_the_writes_out_of_the_replay_queue(
    store: FakeStore, cache: ResilientCache, flaky: FlakyCache, clock: Clock
) -> None:
    """A hot customer read often during an outage: each miss tries to fill the cache. Those fills
    must not crowd out the write made during the outage, or the entry cached before the outage
    comes back when the cache does (and is served until its TTL ends)."""
    bus, queries = read_side(store, cache)
    bus.handle(CreateCustomer("c-1", "Ada", "ada@example.com"))
    bus.handle(CreateCustomer("c-2", "Hot", "hot@example.com"))
    assert queries.get(GetCustomer("c-1"))["name"] == "Ada"
    flaky.down = True
    bus.handle(PatchCustomer("c-1", {"name": "Grace"}, expected_versions=None))
    for _ in range(10_001):
        queries.get(GetCustomer("c-2"))
    flaky.down = False
    clock.advance(RETRY)
    assert queries.get(GetCustomer("c-1"))["name"] == "Grace"
