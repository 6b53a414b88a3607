"""The relay as operators run it: a thread of the web process, or `flask events relay` workers."""

import json
import time

from flask import Flask
from flask.testing import FlaskClient

from customer_api import create_app
from customer_api.config import Settings
from tests.conftest import login, register


def event_files(settings: Settings) -> list[dict[str, object]]:
    return [json.loads(path.read_text()) for path in sorted(settings.events_dir.rglob("*.json"))]


def test_events_relay_once_publishes_what_is_pending_and_status_reports_it(
    app: Flask, client: FlaskClient, settings: Settings, user_headers: dict[str, str]
) -> None:
    client.post("/v1/customers", json={"name": "Ada", "email": "ada@example.com"}, headers=user_headers)
    runner = app.test_cli_runner()
    before = runner.invoke(args=["events", "status"])
    assert "pending: 2" in before.output  # the user's registration and the customer

    relayed = runner.invoke(args=["events", "relay", "--once"])
    assert relayed.exit_code == 0, relayed.output
    assert "published 2, failed 0" in relayed.output
    assert "pending: 0" in runner.invoke(args=["events", "status"]).output
    assert [event["event_type"] for event in event_files(settings)] == ["customer.created", "user.registered"]


def test_with_event_relay_thread_the_web_process_publishes_on_its_own(settings: Settings) -> None:
    settings = Settings(**{**settings.__dict__, "event_relay": "thread", "event_relay_idle_seconds": 0.05})
    app = create_app(settings)
    register(app, "ada@example.com")
    client = app.test_client()
    headers = login(client, "ada@example.com")
    client.post("/v1/customers", json={"name": "Ada", "email": "ada@example.com"}, headers=headers)
    deadline = time.monotonic() + 10
    while len(event_files(settings)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    app.extensions["customer_api"].relay.stop()
    app.extensions["customer_api"].engine.dispose()
    assert {event["event_type"] for event in event_files(settings)} == {"user.registered", "customer.created"}


def test_metrics_report_the_outbox(client: FlaskClient, app: Flask, user_headers: dict[str, str]) -> None:
    client.post("/v1/customers", json={"name": "Ada", "email": "ada@example.com"}, headers=user_headers)
    before = client.get("/metrics").get_data(as_text=True)
    assert "events_pending 2.0" in before
    app.test_cli_runner().invoke(args=["events", "relay", "--once"])
    after = client.get("/metrics").get_data(as_text=True)
    assert "events_pending 0.0" in after
    assert "events_published_total 2.0" in after
