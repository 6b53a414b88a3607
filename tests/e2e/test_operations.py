"""What an operator relies on: health under a dead database, request metrics, JSON logs, Sentry."""

from __future__ import annotations

import gzip
import json
import logging
import secrets
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import sentry_sdk
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from customer_api import create_app
from customer_api.http.guards import public
from customer_api.logs import JsonLogFormatter, RequestContextFilter
from tests.conftest import PASSWORD, attached, login, register, settings_for

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


def samples(client: FlaskClient, name: str) -> dict[frozenset[tuple[str, str]], float]:
    """The values of one sample name in a scrape of /metrics, keyed by their labels."""
    text = client.get("/metrics").get_data(as_text=True)
    return {
        frozenset(sample.labels.items()): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name
    }


def labels(**values: str) -> frozenset[tuple[str, str]]:
    return frozenset(values.items())


# --- health --------------------------------------------------------------------------------------


@pytest.fixture
def app_without_database() -> Iterator[Flask]:
    """An app whose database is a closed port: it must start all the same (no connection at start)."""
    app = create_app(settings_for("mysql+pymysql://root@127.0.0.1:1/x"))
    yield app
    app.extensions["customer_api"].engine.dispose()


def test_liveness_is_ok_while_the_database_is_down(app_without_database: Flask) -> None:
    response = app_without_database.test_client().get("/health")

    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_readiness_is_503_with_retry_after_while_the_database_is_down(app_without_database: Flask) -> None:
    response = app_without_database.test_client().get("/health/ready")

    assert response.status_code == 503
    assert response.headers["Retry-After"].isdigit()
    assert response.json["status"] == "down"
    database = response.json["checks"]["database"]
    assert database["status"] == "down"
    assert database["latency_ms"] < 5000
    assert response.json["checks"]["events"]["status"] == "unknown"
    assert response.json["checks"]["cache"]["status"] == "ok"


def test_metrics_answer_while_the_database_is_down(app_without_database: Flask) -> None:
    client = app_without_database.test_client()
    client.get("/health/ready")

    served = samples(client, "request_count_total")

    assert served[labels(method="GET", endpoint="health.ready", http_status="503")] == 1
    assert samples(client, "events_pending") == {}  # unknown, so not reported as 0


# --- metrics -------------------------------------------------------------------------------------


def test_requests_are_counted_by_method_endpoint_and_status(client: FlaskClient) -> None:
    for _ in range(3):
        client.get("/health")
    client.get("/no/such/route")
    client.post("/health")
    client.open("/health", method="BREW")

    served = samples(client, "request_count_total")

    assert served[labels(method="GET", endpoint="health.live", http_status="200")] == 3
    assert served[labels(method="GET", endpoint="unmatched", http_status="404")] == 1
    assert served[labels(method="POST", endpoint="unmatched", http_status="405")] == 1
    assert served[labels(method="other", endpoint="unmatched", http_status="405")] == 1


def test_request_latency_is_a_histogram_by_method_and_endpoint(client: FlaskClient) -> None:
    for _ in range(4):
        client.get("/health")

    counts = samples(client, "request_latency_seconds_count")
    infinite = samples(client, "request_latency_seconds_bucket")

    assert counts[labels(method="GET", endpoint="health.live")] == 4
    assert infinite[labels(method="GET", endpoint="health.live", le="+Inf")] == 4


def test_a_rejected_request_is_counted_with_its_status(client: FlaskClient) -> None:
    client.get("/v1/customers")

    served = samples(client, "request_count_total")

    assert served[labels(method="GET", endpoint="customers.Customers", http_status="401")] == 1


def test_the_cache_and_event_metrics_are_on_the_same_page(client: FlaskClient) -> None:
    for name in ("cache_hits_total", "cache_misses_total", "cache_errors_total", "events_pending"):
        assert samples(client, name), f"{name} missing"


# --- logs ----------------------------------------------------------------------------------------


class JsonLog(logging.Handler):
    """Keeps every log line as the JSON format writes it."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.addFilter(RequestContextFilter())
        self.setFormatter(JsonLogFormatter())
        self.written: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.written.append(self.format(record))

    def lines(self, **matching: Any) -> list[dict[str, Any]]:
        parsed = [json.loads(line) for line in self.written]
        return [line for line in parsed if matching.items() <= line.items()]


@pytest.fixture
def json_log() -> Iterator[JsonLog]:
    handler = JsonLog()
    with attached(handler, "", logging.INFO):  # the root logger
        yield handler


def test_every_line_of_a_request_carries_the_request_id_the_client_sent(
    client: FlaskClient, user_headers: dict[str, str], json_log: JsonLog
) -> None:
    client.post(
        "/v1/customers",
        json={"name": "Ada", "email": "ada@example.com"},
        headers={**user_headers, "X-Request-ID": "client-req-42", "traceparent": TRACEPARENT},
    )

    lines = json_log.lines(request_id="client-req-42")
    assert {line["logger"] for line in lines} >= {"customer_api.shared.messagebus", "customer_api.access"}
    assert all(line["trace_id"] == TRACE_ID and line["service"] == "customer-api" for line in lines)


def test_each_request_has_one_access_line_with_its_outcome_and_user(
    app: Flask, client: FlaskClient, json_log: JsonLog
) -> None:
    user_id = register(app, "reader@example.com")
    headers = login(client, "reader@example.com")
    client.get("/v1/customers?limit=5", headers={**headers, "X-Request-ID": "list-1"})

    [line] = json_log.lines(request_id="list-1")
    assert list(line)[:7] == ["timestamp", "level", "service", "request_id", "trace_id", "message", "logger"]
    assert line["logger"] == "customer_api.access"
    assert line["level"] == "INFO"
    assert line["timestamp"].endswith("Z")
    assert line["trace_id"] == ""
    assert (line["method"], line["path"], line["status"]) == ("GET", "/v1/customers", 200)
    assert line["duration_ms"] >= 0
    assert line["user_id"] == user_id
    assert line["message"].startswith("GET /v1/customers 200 ")


def test_no_line_holds_a_password_a_token_or_a_query_string(
    app: Flask, client: FlaskClient, json_log: JsonLog
) -> None:
    register(app, "careful@example.com")
    tokens = client.post("/v1/auth/login", json={"email": "careful@example.com", "password": PASSWORD}).json
    client.post("/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    client.get(
        "/v1/customers?cursor=secret-cursor", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    client.get("/v1/customers", headers={"Authorization": "Bearer not-a-valid-token-at-all"})

    written = "\n".join(json_log.written)
    assert "/v1/auth/login" in written  # the lines are there...
    for secret in (PASSWORD, tokens["access_token"], tokens["refresh_token"], "secret-cursor", "not-a-valid"):
        assert secret not in written  # ...and hold none of these


# --- Sentry --------------------------------------------------------------------------------------


class FakeSentry(ThreadingHTTPServer):
    """Sentry's ingestion endpoint on loopback: keeps the bodies of the envelopes it is sent."""

    def __init__(self) -> None:
        self.received: list[str] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                received.append(body.decode())
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def dsn(self) -> str:
        return f"http://public@127.0.0.1:{self.server_address[1]}/1"


@pytest.fixture
def fake_sentry() -> Iterator[FakeSentry]:
    server = FakeSentry()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    sentry_sdk.get_client().close()
    sentry_sdk.init(dsn=None)  # the SDK is per process: leave it disabled for the other tests
    server.shutdown()
    server.server_close()


def test_an_unhandled_error_reaches_sentry_tagged_with_the_request_id_and_no_secret(
    sqlite_url: str, fake_sentry: FakeSentry
) -> None:
    app = create_app(settings_for(sqlite_url, sentry_dsn=fake_sentry.dsn))

    def boom() -> str:
        raise RuntimeError("kaboom in a view")

    app.add_url_rule("/boom", view_func=public(boom), methods=["POST"])
    # Made here, so that they are not in the source lines Sentry sends with the stack trace.
    token, password = secrets.token_urlsafe(), secrets.token_urlsafe()
    response = app.test_client().post(
        "/boom",
        json={"password": password, "note": password},
        headers={"X-Request-ID": "sentry-7", "Authorization": f"Bearer {token}"},
    )
    sentry_sdk.flush(timeout=5)
    app.extensions["customer_api"].engine.dispose()

    assert response.status_code == 500
    [event] = [body for body in fake_sentry.received if "kaboom in a view" in body]
    assert '"request_id":"sentry-7"' in event.replace(" ", "")
    assert "Authorization" in event  # the header is named...
    assert token not in event  # ...but not given
    assert password not in event
