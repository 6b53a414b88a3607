"""The service while its Redis is down, and after it comes back.

Each test runs a ``redis-server`` of its own on a free port (never the machine's shared Redis) and
kills, restarts or pauses it (SIGSTOP: the server keeps its data but answers nothing, so every call
runs into the client's timeout). The app skips the cache for ``RETRY`` seconds after an error.
"""

from __future__ import annotations

import json
import logging
import re
import time
from typing import Any

import pytest
from flask.testing import FlaskClient

from customer_api.config import Settings
from tests.conftest import at, settings_for
from tests.redis_server import RedisServer

Headers = dict[str, str]
RETRY = 0.5
TIMEOUT = 0.2
READS = 20


@pytest.fixture
def settings(database_url: str, server: RedisServer) -> Settings:
    """conftest's ``app`` and ``client``, on this test's own Redis."""
    return settings_for(
        database_url,
        cache_provider="redis",
        redis_url=server.url,
        cache_retry_seconds=RETRY,
        redis_timeout_seconds=TIMEOUT,
    )


@pytest.fixture
def headers(user_headers: Headers) -> Headers:
    return user_headers


def metric(client: FlaskClient, name: str) -> float:
    text = client.get("/metrics").get_data(as_text=True)
    found = re.search(rf"^{name} (\S+)$", text, re.MULTILINE)
    assert found, f"{name} not in /metrics"
    return float(found.group(1))


def create(client: FlaskClient, headers: Headers, name: str, email: str) -> Any:
    response = client.post("/v1/customers", json={"name": name, "email": email}, headers=headers)
    assert response.status_code == 201, response.json
    return response.json


def names(client: FlaskClient, headers: Headers) -> list[str]:
    response = client.get("/v1/customers", headers=headers)
    assert response.status_code == 200, response.json
    return [item["name"] for item in response.json["items"]]


def read_repeatedly(client: FlaskClient, headers: Headers, customer: dict[str, Any]) -> float:
    """GET the customer and the list READS times each; every answer right. The seconds it took."""
    started = time.perf_counter()
    for _ in range(READS):
        one = client.get(f"/v1/customers/{customer['id']}", headers=headers)
        assert one.status_code == 200, one.json
        assert one.json == customer
        assert names(client, headers) == [customer["name"]]
    return time.perf_counter() - started


def readiness(client: FlaskClient) -> tuple[int, Any]:
    response = client.get("/health/ready")
    return response.status_code, response.json


def test_a_killed_redis_costs_nothing_and_is_used_again_once_restarted(
    client: FlaskClient, headers: Headers, server: RedisServer, breaker_log: list[logging.LogRecord]
) -> None:
    customer = create(client, headers, "Ada Lovelace", "ada@example.com")
    assert client.get(f"/v1/customers/{customer['id']}", headers=headers).json == customer
    assert metric(client, "cache_errors_total") == 0

    server.kill()
    elapsed = read_repeatedly(client, headers, customer)
    print(f"\n{READS} GET + {READS} list with Redis killed: {elapsed:.3f}s")
    assert elapsed < 2.0
    errors = metric(client, "cache_errors_total")
    assert errors > 0
    # the breaker tried Redis about once per RETRY seconds, not on each of the ~100 cache calls
    assert errors <= 2 + elapsed / RETRY

    patch = client.patch(f"/v1/customers/{customer['id']}", json={"name": "Ada King"}, headers=headers)
    assert patch.status_code == 200, patch.json
    grace = create(client, headers, "Grace Hopper", "grace@example.com")
    assert client.get(f"/v1/customers/{customer['id']}", headers=headers).json == patch.json
    assert names(client, headers) == ["Ada King", "Grace Hopper"]

    status, body = readiness(client)
    assert status == 200, body
    assert body["status"] == "degraded"
    assert body["checks"]["cache"]["status"] == "degraded"
    assert body["checks"]["cache"]["provider"] == "redis"
    assert body["checks"]["database"]["status"] == "ok"

    outage = at(breaker_log, logging.ERROR)
    assert len(outage) == 1, outage
    assert "cache unavailable" in outage[0]
    assert at(breaker_log, logging.WARNING) == []

    server.start()
    time.sleep(RETRY + 0.1)
    assert client.get(f"/v1/customers/{customer['id']}", headers=headers).json == patch.json
    assert names(client, headers) == ["Ada King", "Grace Hopper"]
    back = at(breaker_log, logging.WARNING)
    assert len(back) == 1, back
    assert "cache is back" in back[0]

    hits, misses = metric(client, "cache_hits_total"), metric(client, "cache_misses_total")
    errors = metric(client, "cache_errors_total")
    for _ in range(5):
        assert client.get(f"/v1/customers/{customer['id']}", headers=headers).json == patch.json
        assert client.get(f"/v1/customers/{grace['id']}", headers=headers).json == grace
        assert names(client, headers) == ["Ada King", "Grace Hopper"]
    assert metric(client, "cache_hits_total") >= hits + 5 * 3
    assert metric(client, "cache_misses_total") == misses
    assert metric(client, "cache_errors_total") == errors
    entry = server.client().get(f"customer_api:customer:{customer['id']}")
    assert entry is not None
    assert json.loads(entry) == patch.json

    status, body = readiness(client)
    assert (status, body["status"], body["checks"]["cache"]["status"]) == (200, "ok", "ok")
    assert len(at(breaker_log, logging.ERROR)) == 1


def test_a_redis_that_stops_answering_costs_each_read_no_timeout(
    client: FlaskClient, headers: Headers, server: RedisServer, breaker_log: list[logging.LogRecord]
) -> None:
    """Paused, the server accepts connections and answers nothing: without the breaker every cache
    call of every request would wait TIMEOUT (at least 2 x READS x 3 x 0.2 s = 24 s here)."""
    customer = create(client, headers, "Ada Lovelace", "ada@example.com")
    assert names(client, headers) == ["Ada Lovelace"]

    server.pause()
    elapsed = read_repeatedly(client, headers, customer)
    print(f"\n{READS} GET + {READS} list with Redis paused: {elapsed:.3f}s")
    assert elapsed < 2.0
    errors = metric(client, "cache_errors_total")
    assert 0 < errors <= 2 + elapsed / RETRY
    status, body = readiness(client)
    assert (status, body["status"], body["checks"]["cache"]["status"]) == (200, "degraded", "degraded")
    assert len(at(breaker_log, logging.ERROR)) == 1

    server.resume()
    time.sleep(RETRY + 0.1)
    client.get(f"/v1/customers/{customer['id']}", headers=headers)  # the probe
    hits = metric(client, "cache_hits_total")
    assert client.get(f"/v1/customers/{customer['id']}", headers=headers).json == customer
    assert metric(client, "cache_hits_total") > hits
    assert len(at(breaker_log, logging.WARNING)) == 1
    status, body = readiness(client)
    assert (status, body["status"]) == (200, "ok")


def test_writes_made_while_redis_stopped_answering_replace_its_old_entries_when_it_answers_again(
    client: FlaskClient, headers: Headers, server: RedisServer
) -> None:
    """The paused server keeps the entries cached before the outage. The writes made during it
    could not reach it; when it answers again, none of those old entries may be served."""
    ada = create(client, headers, "Ada Lovelace", "ada@example.com")
    url = f"/v1/customers/{ada['id']}"
    assert client.get(url, headers=headers).json == ada
    assert names(client, headers) == ["Ada Lovelace"]
    raw = server.client()
    assert json.loads(raw.get(f"customer_api:customer:{ada['id']}") or "null") == ada

    server.pause()
    started = time.perf_counter()
    first = client.patch(url, json={"name": "Ada King"}, headers=headers)
    second = client.patch(url, json={"name": "Ada, Countess of Lovelace"}, headers=headers)
    grace = create(client, headers, "Grace Hopper", "grace@example.com")
    writes = time.perf_counter() - started
    print(f"\n3 writes with Redis paused: {writes:.3f}s")
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json["version"] == 3
    server.resume()

    time.sleep(RETRY + 0.1)
    assert client.get(url, headers=headers).json == second.json
    assert names(client, headers) == ["Ada, Countess of Lovelace", "Grace Hopper"]
    assert client.get(f"/v1/customers/{grace['id']}", headers=headers).json == grace
    assert json.loads(raw.get(f"customer_api:customer:{ada['id']}") or "null") == second.json
    raw.close()
