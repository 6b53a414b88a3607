"""Rate limits through the HTTP interface: per user, per admin, per IP, per login email."""

import dataclasses
import re
from collections.abc import Iterator

import pytest
from flask import Flask

from customer_api.auth.domain import Role
from customer_api.config import Settings
from tests.conftest import PASSWORD, login, register, running_app


@pytest.fixture
def limited(settings: Settings) -> Iterator[Flask]:
    with running_app(
        dataclasses.replace(
            settings,
            rate_limit_default="3/minute",
            rate_limit_admin="5/minute",
            rate_limit_login="4/minute",
            rate_limit_login_email="2/minute",
        )
    ) as app:
        yield app


def test_a_user_over_the_limit_gets_a_429_problem_with_retry_after_and_rate_limit_headers(
    limited: Flask,
) -> None:
    register(limited, "user@example.com")
    client = limited.test_client()
    headers = login(client, "user@example.com")
    answers = [client.get("/v1/customers", headers=headers) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    first, refused = answers[0], answers[3]
    assert (first.headers["RateLimit-Limit"], first.headers["RateLimit-Remaining"]) == ("3", "2")
    assert 0 < int(first.headers["RateLimit-Reset"]) <= 60
    assert int(first.headers["X-RateLimit-Reset"]) > 1_700_000_000  # epoch seconds
    assert refused.content_type == "application/problem+json"
    assert refused.json["status"] == 429
    # Up to two windows: the refused request's window has to slide out as well (see rate_limits.py).
    assert 1 <= int(refused.headers["Retry-After"]) <= 120
    assert refused.headers["RateLimit-Remaining"] == "0"
    assert re.search(r'^rate_limit_rejections_total\{scope="user"\} 1\.0$', client.get("/metrics").text, re.M)


def test_limits_are_per_user_and_admins_have_their_own(limited: Flask) -> None:
    register(limited, "a@example.com")
    register(limited, "b@example.com")
    register(limited, "admin@example.com", Role.ADMIN)
    client = limited.test_client()
    a, b, admin = (login(client, f"{who}@example.com") for who in ("a", "b", "admin"))
    assert [client.get("/v1/customers", headers=a).status_code for _ in range(4)][-1] == 429
    assert client.get("/v1/customers", headers=b).status_code == 200
    assert [client.get("/v1/customers", headers=admin).status_code for _ in range(5)] == [200] * 5
    assert client.get("/v1/customers", headers=admin).status_code == 429


def test_login_is_limited_per_ip_and_per_email(limited: Flask) -> None:
    register(limited, "user@example.com")
    client = limited.test_client()
    wrong = {"email": "user@example.com", "password": "wrong password"}
    assert [client.post("/v1/auth/login", json=wrong).status_code for _ in range(3)] == [401, 401, 429]
    other = client.post("/v1/auth/login", json={"email": "other@example.com", "password": PASSWORD})
    assert other.status_code == 401
    assert client.post("/v1/auth/login", json={"email": "x@example.com", "password": "x"}).status_code == 429


def test_refused_credentials_count_against_the_client_ip(limited: Flask) -> None:
    client = limited.test_client()
    statuses = [
        client.get("/v1/customers", headers={"Authorization": "Bearer x"}).status_code for _ in range(4)
    ]
    assert statuses == [401, 401, 401, 429]


def test_the_client_ip_comes_from_x_forwarded_for_only_behind_trusted_proxies(settings: Settings) -> None:
    def refusals(app: Flask, forwarded_for: str) -> list[int]:
        client = app.test_client()
        headers = {"Authorization": "Bearer x", "X-Forwarded-For": forwarded_for}
        environ = {"REMOTE_ADDR": "10.0.0.1"}  # the load balancer
        return [
            client.get("/v1/customers", headers=headers, environ_base=environ).status_code for _ in range(4)
        ]

    limited = dataclasses.replace(settings, rate_limit_default="3/minute")
    with running_app(dataclasses.replace(limited, trusted_proxy_hops=1)) as behind_one:
        # Each client its own budget, by the address the load balancer saw (the last one it appended).
        assert refusals(behind_one, "203.0.113.7") == [401, 401, 401, 429]
        assert refusals(behind_one, "203.0.113.8") == [401, 401, 401, 429]
        # A first hop the client wrote itself changes nothing.
        assert refusals(behind_one, "6.6.6.6, 203.0.113.7") == [429] * 4

    with running_app(limited) as direct:
        assert refusals(direct, "203.0.113.7") == [401, 401, 401, 429]
        # The header is not believed: one peer, one budget.
        assert refusals(direct, "203.0.113.8") == [429] * 4


def test_rate_limits_can_be_turned_off(settings: Settings) -> None:
    with running_app(
        dataclasses.replace(settings, rate_limit_enabled=False, rate_limit_default="1/minute")
    ) as app:
        register(app, "user@example.com")
        client = app.test_client()
        headers = login(client, "user@example.com")
        assert [client.get("/v1/customers", headers=headers).status_code for _ in range(3)] == [200] * 3
        assert "RateLimit-Limit" not in client.get("/v1/customers", headers=headers).headers
