"""The read side on a real Redis (``TEST_REDIS_URL``), over SQLite and the real MySQL/MariaDB.

The app fixtures of conftest (``app``, ``client``, ``user_headers``, ``admin_headers``) are used with
the ``settings`` below, so every app here caches in Redis. Some tests change a row behind the
service's back: a read that still shows the old value was answered from the cache.

Other parts of the service look things up in the same cache on each request (the login session of
a token): ``warm`` makes those hits before a test counts lookups, so that every miss counted is a
customer's.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from customer_api.adapters.redis import RedisCache, redis_client
from customer_api.adapters.sql.engine import create_engine
from customer_api.config import Settings
from customer_api.shared.cache import CacheError
from tests.conftest import login, register, running_app, settings_for

Headers = dict[str, str]
PREFIX = "customer_api:"


@pytest.fixture
def settings(database_url: str, redis_url: str) -> Settings:
    return settings_for(database_url, cache_provider="redis", redis_url=redis_url)


@pytest.fixture
def raw(redis_url: str) -> Iterator[redis.Redis]:
    """A plain client on the test's Redis database, to look at what the service stored."""
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture
def cache(redis_url: str) -> Iterator[RedisCache]:
    client = redis_client(redis_url, pool_size=4, timeout=2.0, tls_cert_reqs="required")
    yield RedisCache(client)
    client.close()


@pytest.fixture
def second_app(settings: Settings) -> Iterator[Flask]:
    """Another process of the service: its own pools, the same Redis and database."""
    with running_app(settings) as app:
        app.config["TESTING"] = True
        yield app


def entry(raw: redis.Redis, customer_id: str) -> Any:
    value = raw.get(f"{PREFIX}customer:{customer_id}")
    return None if value is None else json.loads(value)


def metric(client: FlaskClient, name: str) -> float:
    text = client.get("/metrics").get_data(as_text=True)
    found = re.search(rf"^{name} (\S+)$", text, re.MULTILINE)
    assert found, f"{name} not in /metrics"
    return float(found.group(1))


def lookups(client: FlaskClient) -> tuple[float, float]:
    return metric(client, "cache_hits_total"), metric(client, "cache_misses_total")


def warm(client: FlaskClient, *headers: Headers) -> None:
    """Make sure what authentication caches is cached (the tokens' sessions), so that it only hits."""
    for each in headers:
        for _ in range(2):
            assert client.get("/v1/auth/me", headers=each).status_code == 200


def create(
    client: FlaskClient, headers: Headers, name: str = "Ada Lovelace", email: str = "ada@example.com"
) -> Any:
    response = client.post("/v1/customers", json={"name": name, "email": email}, headers=headers)
    assert response.status_code == 201, response.json
    return response.json


def rename_behind_the_service(database_url: str, customer_id: str, name: str) -> None:
    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE customers SET name = :name WHERE id = :id"), {"name": name, "id": customer_id}
        )
    engine.dispose()


def names(client: FlaskClient, headers: Headers, query: str = "") -> list[str]:
    response = client.get(f"/v1/customers{query}", headers=headers)
    assert response.status_code == 200, response.json
    return [item["name"] for item in response.json["items"]]


# --- the adapter ---------------------------------------------------------------------------------


@pytest.mark.usefixtures("redis_url")
def test_values_round_trip_as_json_under_the_service_namespace(cache: RedisCache, raw: redis.Redis) -> None:
    value = {"id": "c-1", "version": 1, "address": {"city": "Berlin"}, "phone": None, "tags": [1, 2.5]}
    cache.set("customer:c-1", value, ttl=60)
    cache.set("counter", 7, ttl=60)
    assert cache.get_many(["customer:c-1", "missing", "counter"]) == [value, None, 7]
    assert json.loads(raw.get("customer_api:customer:c-1")) == value
    cache.ping()


@pytest.mark.usefixtures("redis_url")
def test_set_if_newer_refuses_an_older_or_equal_version(cache: RedisCache, raw: redis.Redis) -> None:
    assert cache.set_if_newer("customer:c-1", {"version": 2, "name": "two"}, ttl=60) is True
    assert cache.set_if_newer("customer:c-1", {"version": 1, "name": "one"}, ttl=60) is False
    assert cache.set_if_newer("customer:c-1", {"version": 2, "name": "two again"}, ttl=60) is False
    assert entry(raw, "c-1") == {"version": 2, "name": "two"}
    assert cache.set_if_newer("customer:c-1", {"version": 3, "deleted": True}, ttl=60) is True
    assert cache.set_if_newer("customer:c-1", {"version": 2, "name": "late reader"}, ttl=60) is False
    assert entry(raw, "c-1") == {"version": 3, "deleted": True}
    assert cache.set_if_newer("customer:c-1", {"version": 10, "name": "ten"}, ttl=60) is True
    assert entry(raw, "c-1") == {"version": 10, "name": "ten"}


@pytest.mark.usefixtures("redis_url")
def test_set_if_newer_replaces_an_entry_that_is_not_a_versioned_object(
    cache: RedisCache, raw: redis.Redis
) -> None:
    raw.set("customer_api:customer:c-1", "not json")
    assert cache.set_if_newer("customer:c-1", {"version": 1}, ttl=60) is True
    raw.set("customer_api:customer:c-2", json.dumps({"no": "version"}))
    assert cache.set_if_newer("customer:c-2", {"version": 1}, ttl=60) is True
    assert entry(raw, "c-1") == entry(raw, "c-2") == {"version": 1}


def test_set_if_newer_is_atomic_under_concurrent_writers(redis_url: str, raw: redis.Redis) -> None:
    cache = RedisCache(redis_client(redis_url, pool_size=16, timeout=2.0, tls_cert_reqs="required"))
    versions = list(range(1, 201))
    random.Random(7).shuffle(versions)
    chunks = [versions[start::8] for start in range(8)]

    def write(chunk: list[int]) -> None:
        for version in chunk:
            cache.set_if_newer("customer:race", {"version": version}, ttl=60)

    threads = [threading.Thread(target=write, args=(chunk,)) for chunk in chunks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert entry(raw, "race") == {"version": 200}


def test_a_busy_connection_pool_makes_callers_wait_rather_than_fail(redis_url: str) -> None:
    """REDIS_CONNECTION_POOL_SIZE bounds the connections of a process. More concurrent callers than
    that (threads of a gthread worker) must queue for a connection: an error would look like an
    outage to the circuit breaker, which would then stop using the cache for every request."""
    client = redis_client(redis_url, pool_size=2, timeout=2.0, tls_cert_reqs="required")
    cache = RedisCache(client)
    cache.set("k", 1, ttl=60)
    errors: list[Exception] = []
    start = threading.Barrier(8)

    def read() -> None:
        start.wait()
        for _ in range(50):
            try:
                cache.get_many(["k"])
            except CacheError as error:
                errors.append(error)

    threads = [threading.Thread(target=read) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    client.close()
    assert errors == [], f"{len(errors)} of 400 lookups failed, first: {errors[0]!r}"


@pytest.mark.usefixtures("redis_url")
def test_entries_expire_after_their_ttl(cache: RedisCache, raw: redis.Redis) -> None:
    cache.set_if_newer("customer:c-1", {"version": 1}, ttl=1)
    cache.set("page", {"items": []}, ttl=1)
    cache.set_if_newer("customer:c-2", {"version": 1}, ttl=300)
    assert 0 < raw.pttl("customer_api:customer:c-1") <= 1000
    assert 0 < raw.pttl("customer_api:page") <= 1000
    assert 299_000 < raw.pttl("customer_api:customer:c-2") <= 300_000
    time.sleep(1.2)
    assert cache.get_many(["customer:c-1", "page", "customer:c-2"]) == [None, None, {"version": 1}]
    # an expired entry is no obstacle to an older version
    assert cache.set_if_newer("customer:c-1", {"version": 0}, ttl=60) is True


@pytest.mark.usefixtures("redis_url")
def test_bump_increments_the_counter_and_stamps_the_time_without_expiry(
    cache: RedisCache, raw: redis.Redis
) -> None:
    cache.bump("customers:generation", "customers:last_write", 1700000000.25)
    cache.bump("customers:generation", "customers:last_write", 1700000001.5)
    assert cache.get_many(["customers:generation", "customers:last_write"]) == [2, 1700000001.5]
    assert raw.ttl("customer_api:customers:generation") == -1
    assert raw.ttl("customer_api:customers:last_write") == -1


@pytest.mark.usefixtures("redis_url")
def test_set_if_newer_and_bump_is_both_in_one_call_and_bumps_even_when_the_entry_is_newer(
    cache: RedisCache, raw: redis.Redis
) -> None:
    write = "customers:generation", "customers:last_write"
    assert cache.set_if_newer_and_bump("customer:c-1", {"version": 2, "name": "two"}, 60, *write, 1.5)
    assert not cache.set_if_newer_and_bump("customer:c-1", {"version": 1, "name": "one"}, 60, *write, 2.5)
    assert entry(raw, "c-1") == {"version": 2, "name": "two"}
    assert 0 < raw.ttl("customer_api:customer:c-1") <= 60
    assert cache.get_many(["customers:generation", "customers:last_write"]) == [2, 2.5]
    assert raw.ttl("customer_api:customers:generation") == -1


def commands(raw: redis.Redis) -> dict[str, int]:
    """The commands the Redis server ran since the last CONFIG RESETSTAT, with their counts."""
    stats = raw.info("commandstats")
    return {
        name.removeprefix("cmdstat_"): int(stat["calls"])
        for name, stat in stats.items()
        if name not in ("cmdstat_config|resetstat", "cmdstat_config", "cmdstat_info")
    }


def test_a_cached_authenticated_read_is_one_redis_round_trip(
    client: FlaskClient, user_headers: dict[str, str], raw: redis.Redis
) -> None:
    created = client.post(
        "/v1/customers", json={"name": "Ada", "email": "ada@example.com"}, headers=user_headers
    )
    url = f"/v1/customers/{created.json['id']}"
    raw.config_resetstat()
    read = client.get(url, headers=user_headers)
    assert read.status_code == 200
    assert read.json["name"] == "Ada"
    # One script: the rate-limit counter, then the previous window's count, the login session and
    # the customer in one MGET. Nothing else, and no second MGET.
    calls = commands(raw)
    assert calls.pop("expire", 1) == 1  # only when the request opens a new window
    assert calls == {"evalsha": 1, "incr": 1, "mget": 1}


@pytest.mark.usefixtures("redis_url")
def test_count_and_get_counts_with_a_ttl_and_reads_the_previous_count_and_the_keys(
    cache: RedisCache, raw: redis.Redis
) -> None:
    cache.set("session:s-1", {"version": 0, "active": True}, ttl=60)
    assert cache.count_and_get("rate:w2", "rate:w1", 120, ["session:s-1", "nope"]) == (
        1,
        0,
        [{"version": 0, "active": True}, None],
    )
    assert cache.count_and_get("rate:w2", "rate:w1", 120, []) == (2, 0, [])
    assert cache.count_and_get("rate:w3", "rate:w2", 120, []) == (1, 2, [])
    assert 0 < raw.ttl("customer_api:rate:w3") <= 120


def test_a_redis_that_does_not_answer_raises_the_ports_error() -> None:
    client = redis_client("redis://127.0.0.1:1/0", pool_size=1, timeout=0.2, tls_cert_reqs="required")
    dead = RedisCache(client)
    for call in (
        lambda: dead.get_many(["k"]),
        lambda: dead.set("k", 1, ttl=60),
        lambda: dead.set_if_newer("k", {"version": 1}, ttl=60),
        lambda: dead.bump("gen", "last", 1.0),
        lambda: dead.set_if_newer_and_bump("k", {"version": 1}, 60, "gen", "last", 1.0),
        lambda: dead.count_and_get("rate:w2", "rate:w1", 120, ["k"]),
        dead.ping,
    ):
        with pytest.raises(CacheError):
            call()


# --- by id, through HTTP -------------------------------------------------------------------------


def test_a_customer_is_read_from_the_database_once_then_from_redis(
    client: FlaskClient, user_headers: Headers, raw: redis.Redis, database_url: str
) -> None:
    customer = create(client, user_headers)
    raw.flushdb()  # a cold cache
    warm(client, user_headers)
    hits, misses = lookups(client)

    first = client.get(f"/v1/customers/{customer['id']}", headers=user_headers)
    assert first.status_code == 200
    assert first.json == customer
    assert lookups(client)[1] == misses + 1
    assert entry(raw, customer["id"]) == customer
    assert 0 < raw.ttl(f"{PREFIX}customer:{customer['id']}") <= 60

    rename_behind_the_service(database_url, customer["id"], "Changed In SQL")
    for _ in range(3):
        hits, _ = lookups(client)
        again = client.get(f"/v1/customers/{customer['id']}", headers=user_headers)
        assert again.json == customer  # from Redis: the database says otherwise
        assert again.headers["ETag"] == first.headers["ETag"]
        now_hits, now_misses = lookups(client)
        assert now_hits >= hits + 1
        assert now_misses == misses + 1
    assert metric(client, "cache_errors_total") == 0


def test_the_cache_ttl_setting_is_the_entries_ttl(
    database_url: str, redis_url: str, raw: redis.Redis
) -> None:
    settings = settings_for(database_url, cache_provider="redis", redis_url=redis_url, customer_cache_ttl=1)
    with running_app(settings) as app:
        register(app, "ttl@example.com")
        client = app.test_client()
        headers = login(client, "ttl@example.com")
        customer = create(client, headers)
        assert 0 < raw.pttl(f"{PREFIX}customer:{customer['id']}") <= 1000
        rename_behind_the_service(database_url, customer["id"], "After Expiry")
        assert client.get(f"/v1/customers/{customer['id']}", headers=headers).json["name"] == "Ada Lovelace"
        time.sleep(1.2)
        assert client.get(f"/v1/customers/{customer['id']}", headers=headers).json["name"] == "After Expiry"


def test_every_kind_of_write_replaces_the_cached_customer(
    client: FlaskClient, user_headers: Headers, admin_headers: Headers, raw: redis.Redis
) -> None:
    customer = create(client, user_headers)
    url = f"/v1/customers/{customer['id']}"
    warm(client, user_headers, admin_headers)
    hits, misses = lookups(client)
    assert client.get(url, headers=user_headers).json == customer

    put = client.put(url, json={"name": "Grace Hopper", "email": "grace@example.com"}, headers=user_headers)
    assert put.status_code == 200, put.json
    after_put = client.get(url, headers=user_headers)
    assert after_put.json == put.json
    assert after_put.headers["ETag"] == put.headers["ETag"]
    assert after_put.json["version"] == 2

    patch = client.patch(url, json={"phone": "+4930123456"}, headers=user_headers)
    assert patch.status_code == 200, patch.json
    assert client.get(url, headers=user_headers).json == patch.json
    assert patch.json["version"] == 3

    assert client.delete(url, headers=user_headers).status_code == 204
    assert entry(raw, customer["id"]) == {"version": 4, "deleted": True}
    assert client.get(url, headers=user_headers).status_code == 404
    assert client.delete(url, headers=user_headers).status_code == 404

    restored = client.post(f"{url}/restore", headers=admin_headers)
    assert restored.status_code == 200, restored.json
    assert restored.json["version"] == 5
    assert client.get(url, headers=user_headers).json == restored.json
    assert entry(raw, customer["id"]) == restored.json

    # every read above was answered by the entry its write left in Redis
    now_hits, now_misses = lookups(client)
    assert now_misses == misses
    assert now_hits >= hits + 5


def test_a_list_page_is_cached_and_retired_by_every_write(
    client: FlaskClient, user_headers: Headers, raw: redis.Redis, database_url: str
) -> None:
    ada = create(client, user_headers)
    assert names(client, user_headers) == ["Ada Lovelace"]
    assert raw.keys(f"{PREFIX}customers:page:*"), "the page was not cached"

    rename_behind_the_service(database_url, ada["id"], "Ada Renamed In SQL")
    assert names(client, user_headers) == ["Ada Lovelace"]  # the cached page

    grace = create(client, user_headers, "Grace Hopper", "grace@example.com")
    assert names(client, user_headers) == ["Ada Renamed In SQL", "Grace Hopper"]

    patch = client.patch(
        f"/v1/customers/{grace['id']}", json={"name": "Grace B. Hopper"}, headers=user_headers
    )
    assert patch.status_code == 200
    assert names(client, user_headers) == ["Ada Renamed In SQL", "Grace B. Hopper"]

    put = client.put(
        f"/v1/customers/{ada['id']}",
        json={"name": "Ada King", "email": "ada@example.com"},
        headers=user_headers,
    )
    assert put.status_code == 200
    assert names(client, user_headers) == ["Ada King", "Grace B. Hopper"]
    assert names(client, user_headers, "?name=ada") == ["Ada King"]

    assert client.delete(f"/v1/customers/{ada['id']}", headers=user_headers).status_code == 204
    assert names(client, user_headers) == ["Grace B. Hopper"]
    assert names(client, user_headers, "?name=ada") == []


# --- several processes share one Redis -----------------------------------------------------------


def test_a_write_through_one_process_is_read_through_another(
    app: Flask, client: FlaskClient, user_headers: Headers, second_app: Flask, raw: redis.Redis
) -> None:
    other = second_app.test_client()
    customer = create(client, user_headers)
    url = f"/v1/customers/{customer['id']}"
    raw.flushdb()
    assert other.get(url, headers=user_headers).json == customer  # B caches version 1 itself
    assert names(other, user_headers) == ["Ada Lovelace"]  # and the list page
    assert entry(raw, customer["id"]) == customer

    patch = client.patch(url, json={"name": "Ada King"}, headers=user_headers)
    assert patch.status_code == 200
    hits, misses = lookups(other)
    assert other.get(url, headers=user_headers).json == patch.json
    now_hits, now_misses = lookups(other)
    assert (now_hits > hits, now_misses) == (True, misses)  # read from the entry A's write left
    assert names(other, user_headers) == ["Ada King"]

    create(client, user_headers, "Grace Hopper", "grace@example.com")
    assert names(other, user_headers) == ["Ada King", "Grace Hopper"]

    assert client.delete(url, headers=user_headers).status_code == 204
    assert other.get(url, headers=user_headers).status_code == 404
    assert names(other, user_headers) == ["Grace Hopper"]


# --- rebuilding the read models ------------------------------------------------------------------


def test_read_models_rebuild_repopulates_a_flushed_redis_from_the_event_store(
    app: Flask, client: FlaskClient, user_headers: Headers, raw: redis.Redis
) -> None:
    ada = create(client, user_headers)
    grace = create(client, user_headers, "Grace Hopper", "grace@example.com")
    gone = create(client, user_headers, "Marie Curie", "marie@example.com")
    patched = client.patch(
        f"/v1/customers/{grace['id']}", json={"name": "Grace B. Hopper"}, headers=user_headers
    )
    assert client.delete(f"/v1/customers/{gone['id']}", headers=user_headers).status_code == 204
    raw.flushdb()
    # an entry older than the event store, as an outage could leave behind
    raw.set(f"{PREFIX}customer:{grace['id']}", json.dumps(grace))

    result = app.test_cli_runner().invoke(args=["read-models", "rebuild"])

    assert result.exit_code == 0, result.output
    assert re.search(r"\b5\b", result.output), result.output  # 3 created, 1 updated, 1 deleted
    assert entry(raw, ada["id"]) == ada
    assert entry(raw, grace["id"]) == patched.json
    assert entry(raw, gone["id"]) == {"version": 2, "deleted": True}
    for customer_id in (ada["id"], grace["id"], gone["id"]):
        assert 0 < raw.ttl(f"{PREFIX}customer:{customer_id}") <= 60
    warm(client, user_headers)
    hits, misses = lookups(client)
    assert client.get(f"/v1/customers/{grace['id']}", headers=user_headers).json == patched.json
    assert client.get(f"/v1/customers/{gone['id']}", headers=user_headers).status_code == 404
    now_hits, now_misses = lookups(client)
    assert (now_hits >= hits + 2, now_misses) == (True, misses)


def test_read_models_rebuild_on_an_empty_event_store_replays_nothing(app: Flask, raw: redis.Redis) -> None:
    result = app.test_cli_runner().invoke(args=["read-models", "rebuild"])
    assert result.exit_code == 0, result.output
    assert re.search(r"\b0\b", result.output), result.output
    assert raw.keys(f"{PREFIX}customer:*") == []


# --- readiness -----------------------------------------------------------------------------------


def test_readiness_reports_the_redis_cache_ok(client: FlaskClient) -> None:
    response = client.get("/health/ready")
    assert response.status_code == 200, response.json
    cache = response.json["checks"]["cache"]
    assert cache["status"] == "ok"
    assert cache["provider"] == "redis"
    assert cache["latency_ms"] >= 0
