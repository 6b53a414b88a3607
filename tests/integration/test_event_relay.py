"""The outbox relay against moto's S3 server over real HTTP, on SQLite and MariaDB."""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from customer_api import create_app
from customer_api.adapters.sql.engine import create_engine
from customer_api.adapters.sql.outbox import outbox_rows
from customer_api.adapters.sql.tables import events
from customer_api.config import Settings
from customer_api.customers.domain import CustomerCreated
from customer_api.shared.events import Meta
from customer_api.shared.ids import new_id
from customer_api.shared.outbox import Envelope, EventPublisher
from customer_api.shared.relay import Backoff, OutboxRelay
from tests.conftest import login, register, settings_for
from tests.s3 import MotoS3

KEY = re.compile(r"^events/customer/\d{4}/\d{2}/\d{2}/(\d{12})-([0-9a-f-]{36})\.json$")
NEW_CUSTOMER = {"name": "Ada", "email": "ada@example.com"}


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[MotoS3]:
    # boto3 reads these itself; moto accepts any.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    server = MotoS3()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def bucket(s3: MotoS3) -> str:
    name = f"events-{new_id()[:8]}"
    s3.client().create_bucket(Bucket=name)
    return name


@pytest.fixture
def settings(database_url: str, s3: MotoS3, bucket: str) -> Settings:
    return settings_for(
        database_url, event_publisher="s3", event_bucket_name=bucket, localstack_url=s3.endpoint
    )


@pytest.fixture
def headers(app: Flask, client: FlaskClient) -> dict[str, str]:
    register(app, "writer@example.com")
    return login(client, "writer@example.com")


def relay_of(app: Flask, publisher: EventPublisher | None = None) -> OutboxRelay:
    """A relay on the app's outbox that retries at once, so tests need not wait out the backoff."""
    services = app.extensions["customer_api"]
    return OutboxRelay(
        services.outbox,
        publisher or services.publisher,
        prefix="events",
        idle_seconds=0.02,
        backoff=Backoff(base_seconds=0, cap_seconds=0),
        on_result=services.metrics.record_batch,
    )


def customer_objects(s3: MotoS3, bucket: str) -> list[dict[str, Any]]:
    return s3.objects(bucket, "events/customer/")


def test_a_write_publishes_exactly_one_object_with_the_right_key_headers_and_body(
    app: Flask, client: FlaskClient, headers: dict[str, str], s3: MotoS3, bucket: str
) -> None:
    created = client.post("/v1/customers", json=NEW_CUSTOMER, headers={**headers, "X-Request-ID": "req-42"})
    relay_of(app).drain()

    [stored] = customer_objects(s3, bucket)
    sequence, event_id = KEY.match(stored["Key"]).groups()  # type: ignore[union-attr]
    obj = s3.client().get_object(Bucket=bucket, Key=stored["Key"])
    assert obj["ContentType"] == "application/json"
    envelope = json.loads(obj["Body"].read())
    me = client.get("/v1/auth/me", headers=headers).json
    assert envelope == {
        "event_id": event_id,
        "event_type": "customer.created",
        "schema_version": 1,
        "aggregate_type": "customer",
        "aggregate_id": created.json["id"],
        "aggregate_version": 1,
        "sequence": int(sequence),
        "occurred_at": envelope["occurred_at"],
        "actor": {"user_id": me["id"]},
        "request_id": "req-42",
        "data": created.json,
    }
    assert stored["Key"].startswith("events/customer/" + envelope["occurred_at"][:10].replace("-", "/"))


def test_an_update_event_names_the_changed_fields_and_a_rejected_write_publishes_nothing(
    app: Flask, client: FlaskClient, headers: dict[str, str], s3: MotoS3, bucket: str
) -> None:
    created = client.post("/v1/customers", json=NEW_CUSTOMER, headers=headers)
    client.patch(f"/v1/customers/{created.json['id']}", json={"phone": "+4915112345"}, headers=headers)
    assert client.post("/v1/customers", json=NEW_CUSTOMER, headers=headers).status_code == 409
    assert client.post("/v1/customers", json={"name": ""}, headers=headers).status_code == 422
    relay_of(app).drain()

    keys = sorted(item["Key"] for item in customer_objects(s3, bucket))
    assert len(keys) == 2
    update = json.loads(s3.client().get_object(Bucket=bucket, Key=keys[1])["Body"].read())
    assert (update["event_type"], update["changed"]) == ("customer.updated", ["phone"])


def test_with_s3_down_writes_succeed_events_wait_and_all_arrive_in_order_once_it_is_back(
    app: Flask, client: FlaskClient, headers: dict[str, str], s3: MotoS3, bucket: str
) -> None:
    relay = relay_of(app)
    s3.stop()
    started = time.perf_counter()
    created = client.post("/v1/customers", json=NEW_CUSTOMER, headers=headers)
    customer = f"/v1/customers/{created.json['id']}"
    for phone in ("+4915100001", "+4915100002"):
        assert client.patch(customer, json={"phone": phone}, headers=headers).status_code == 200
    assert time.perf_counter() - started < 2, "writes must not wait for S3"

    failed = relay.run_once()
    assert (failed.published, failed.failed) >= (0, 1)
    ready = client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json["status"] == "degraded"
    assert ready.json["checks"]["events"]["status"] == "degraded"
    assert ready.json["checks"]["events"]["pending"] >= 3
    metrics = client.get("/metrics").get_data(as_text=True)
    assert re.search(r"^events_publish_failures_total [1-9]", metrics, re.M)
    assert re.search(r"^events_pending [3-9]", metrics, re.M)

    s3.start()
    versions = []
    for _ in range(3):  # one event of an aggregate per batch: the earliest still pending
        assert relay.run_once().published >= 1
        versions.append(sorted(_versions(s3, bucket)))
    assert versions == [[1], [1, 2], [1, 2, 3]]
    assert client.get("/health/ready").json["status"] == "ok"
    assert app.extensions["customer_api"].outbox.stats().pending == 0


def _versions(s3: MotoS3, bucket: str) -> list[int]:
    client = s3.client()
    return [
        json.loads(client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read())["aggregate_version"]
        for item in customer_objects(s3, bucket)
    ]


class CrashAfterUpload:
    """Uploads, then dies before the relay can mark the event published."""

    def __init__(self, inner: EventPublisher) -> None:
        self.inner = inner

    def publish(self, key: str, envelope: Envelope) -> None:
        self.inner.publish(key, envelope)
        raise SystemExit("relay process killed")

    def check(self) -> None:
        self.inner.check()


def test_a_crash_between_upload_and_marking_rewrites_the_same_key_on_retry(
    app: Flask, client: FlaskClient, headers: dict[str, str], s3: MotoS3, bucket: str
) -> None:
    relay_of(app).drain()  # the writer's own registration event
    client.post("/v1/customers", json=NEW_CUSTOMER, headers=headers)
    services = app.extensions["customer_api"]
    with pytest.raises(SystemExit):
        relay_of(app, CrashAfterUpload(services.publisher)).run_once()
    assert services.outbox.stats().pending >= 1
    [first] = customer_objects(s3, bucket)

    relay_of(app).drain()
    [again] = customer_objects(s3, bucket)
    assert again["Key"] == first["Key"]
    assert services.outbox.stats().pending == 0


class CountingPublisher:
    def __init__(self, inner: EventPublisher) -> None:
        self.inner = inner
        self.published: Counter[str] = Counter()
        self._lock = threading.Lock()

    def publish(self, key: str, envelope: Envelope) -> None:
        self.inner.publish(key, envelope)
        with self._lock:
            self.published[envelope["event_id"]] += 1

    def check(self) -> None:
        self.inner.check()


def test_two_relays_at_once_publish_each_of_a_thousand_events_exactly_once(
    app: Flask, database_url: str, s3: MotoS3, bucket: str
) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite has no SKIP LOCKED: run one relay there, as the README says")
    engine = create_engine(database_url)
    rows = outbox_rows([CustomerCreated(new_id(), 1, {"n": n}) for n in range(1000)], Meta(request_id="bulk"))
    with engine.begin() as connection:
        connection.execute(sa.insert(events), rows)
    engine.dispose()

    counting = CountingPublisher(app.extensions["customer_api"].publisher)
    relays = [relay_of(app, counting) for _ in range(2)]
    for relay in relays:
        relay.batch_size = 50
    threads = [threading.Thread(target=relay.drain) for relay in relays]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    assert len(counting.published) == 1000
    assert set(counting.published.values()) == {1}
    assert len(customer_objects(s3, bucket)) == 1000
    assert app.extensions["customer_api"].outbox.stats().pending == 0


def test_a_soak_of_500_writes_from_8_threads_while_s3_flaps_stores_500_objects(
    settings: Settings, s3: MotoS3, bucket: str
) -> None:
    app = create_app(settings)
    register(app, "writer@example.com")
    headers = login(app.test_client(), "writer@example.com")
    relay = relay_of(app)
    relay.start()
    stop_flapping = threading.Event()

    def flap() -> None:
        while not stop_flapping.is_set():
            s3.stop()
            stop_flapping.wait(0.3)
            s3.start()
            stop_flapping.wait(0.3)

    statuses: Counter[int] = Counter()
    lock = threading.Lock()

    def write(worker: int) -> None:
        client = app.test_client()
        for n in range(500 // 8 + (1 if worker < 500 % 8 else 0)):
            body = {"name": f"Soak {worker}-{n}", "email": f"soak-{worker}-{n}@example.com"}
            status = client.post("/v1/customers", json=body, headers=headers).status_code
            with lock:
                statuses[status] += 1

    flapper = threading.Thread(target=flap)
    flapper.start()
    writers = [threading.Thread(target=write, args=(worker,)) for worker in range(8)]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join(300)
    stop_flapping.set()
    flapper.join()
    s3.start()

    deadline = time.monotonic() + 60
    while app.extensions["customer_api"].outbox.stats().pending and time.monotonic() < deadline:
        time.sleep(0.1)
    relay.stop()
    app.extensions["customer_api"].engine.dispose()

    assert statuses == {201: 500}
    keys = [item["Key"] for item in customer_objects(s3, bucket)]
    event_ids = {KEY.match(key).group(2) for key in keys}  # type: ignore[union-attr]
    assert len(keys) == len(event_ids) == 500
