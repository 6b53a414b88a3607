"""Rate limits shared by every process through Redis, and kept per process while Redis is down."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from tests.conftest import login, register, running_app, settings_for
from tests.redis_server import RedisServer


@pytest.fixture
def apps(database_url: str, server: RedisServer) -> Iterator[tuple[Flask, Flask]]:
    settings = settings_for(
        database_url,
        cache_provider="redis",
        redis_url=server.url,
        redis_timeout_seconds=0.2,
        cache_retry_seconds=0.5,
        rate_limit_default="4/minute",
    )
    with running_app(settings) as first, running_app(settings) as second:
        yield first, second


def test_two_processes_share_one_budget_through_redis(apps: tuple[Flask, Flask]) -> None:
    first, second = apps
    register(first, "user@example.com")
    headers = login(first.test_client(), "user@example.com")
    statuses = [
        app.test_client().get("/v1/customers", headers=headers).status_code
        for app in (first, second, first, second, first)
    ]
    assert statuses == [200, 200, 200, 200, 429]


def test_with_redis_down_each_process_keeps_limiting_in_memory(
    apps: tuple[Flask, Flask], server: RedisServer
) -> None:
    first, _ = apps
    register(first, "user@example.com")
    client = first.test_client()
    headers = login(client, "user@example.com")
    server.kill()
    statuses = [client.get("/v1/customers", headers=headers).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]
