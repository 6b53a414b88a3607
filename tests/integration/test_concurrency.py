"""Concurrent writers through the real app, on SQLite (writers serialise on the file lock) and on
MariaDB/MySQL (row locks and unique indexes decide). Threads start together at a barrier; several
rounds make an interleaving that a single lucky ordering would hide much more likely."""

from __future__ import annotations

import threading
from collections.abc import Callable

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from customer_api.adapters.sql.tables import events
from customer_api.customers.sql import customers

ROUNDS = 5
Request = Callable[[FlaskClient], TestResponse]


def race(app: Flask, requests: list[Request]) -> list[TestResponse]:
    """Send ``requests`` at once, each from its own thread and test client."""
    barrier = threading.Barrier(len(requests))
    responses: list[TestResponse | None] = [None] * len(requests)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        client = app.test_client()
        barrier.wait(timeout=30)
        try:
            responses[index] = requests[index](client)
        except BaseException as error:  # re-raised in the test's thread below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a request hung"
    if errors:
        raise errors[0]
    assert all(response is not None for response in responses)
    return [response for response in responses if response is not None]


def engine_of(app: Flask) -> sa.Engine:
    engine: sa.Engine = app.extensions["customer_api"].engine
    return engine


def event_count(app: Flask, aggregate_id: str) -> int:
    with engine_of(app).connect() as connection:
        return int(
            connection.execute(
                sa.select(sa.func.count()).select_from(events).where(events.c.aggregate_id == aggregate_id)
            ).scalar_one()
        )


def summary(responses: list[TestResponse]) -> list[tuple[int, object]]:
    """Statuses with their bodies, for a failure message that says what happened."""
    return [(response.status_code, response.get_json(silent=True)) for response in responses]


def test_two_writers_with_the_same_etag_exactly_one_wins(
    app: Flask, client: FlaskClient, user_headers: dict[str, str]
) -> None:
    created = client.post(
        "/v1/customers", json={"name": "Ada", "email": "ada@example.com"}, headers=user_headers
    )
    assert created.status_code == 201, created.json
    url = created.headers["Location"]
    customer_id = created.json["id"]

    for round_number in range(ROUNDS):
        version = round_number + 1

        def patch(name: str, version: int = version) -> Request:
            headers = {**user_headers, "If-Match": f'"{version}"'}
            return lambda c: c.patch(url, json={"name": name}, headers=headers)

        responses = race(app, [patch(f"Left {round_number}"), patch(f"Right {round_number}")])

        assert sorted(r.status_code for r in responses) == [200, 412], summary(responses)
        [winner] = [r for r in responses if r.status_code == 200]
        [loser] = [r for r in responses if r.status_code == 412]
        assert winner.json is not None
        assert winner.json["version"] == version + 1
        assert winner.headers["ETag"] == f'"{version + 1}"'
        assert loser.mimetype == "application/problem+json"

        current = client.get(url, headers=user_headers)
        assert current.json is not None
        assert current.json["version"] == version + 1
        assert current.json["name"] == winner.json["name"]
        assert event_count(app, customer_id) == version + 1  # one created + one per winning write

    with engine_of(app).connect() as connection:
        versions = connection.execute(
            sa.select(events.c.aggregate_version)
            .where(events.c.aggregate_id == customer_id)
            .order_by(events.c.sequence)
        ).scalars()
        assert list(versions) == list(range(1, ROUNDS + 2))


def test_two_creates_with_the_same_email_exactly_one_wins(
    app: Flask, client: FlaskClient, user_headers: dict[str, str]
) -> None:
    for round_number in range(ROUNDS):
        email = f"same-{round_number}@example.com"

        def create(name: str, email: str = email) -> Request:
            return lambda c: c.post(
                "/v1/customers", json={"name": name, "email": email}, headers=user_headers
            )

        responses = race(app, [create("Left"), create("Right")])

        assert sorted(r.status_code for r in responses) == [201, 409], summary(responses)
        [winner] = [r for r in responses if r.status_code == 201]
        [loser] = [r for r in responses if r.status_code == 409]
        assert loser.mimetype == "application/problem+json"
        assert winner.json is not None
        with engine_of(app).connect() as connection:
            ids = connection.execute(sa.select(customers.c.id).where(customers.c.email == email)).scalars()
            assert list(ids) == [winner.json["id"]]
        assert event_count(app, winner.json["id"]) == 1

    listed = client.get("/v1/customers?limit=100", headers=user_headers)
    assert listed.json is not None
    assert len(listed.json["items"]) == ROUNDS


def test_the_same_idempotency_key_sent_twice_at_once_creates_one_customer(
    app: Flask, client: FlaskClient, user_headers: dict[str, str]
) -> None:
    """The second request is told the key is in flight (409) or, if the first has finished, gets its
    response replayed (201): never a 5xx, never a second customer."""
    for round_number in range(ROUNDS):
        headers = {**user_headers, "Idempotency-Key": f"create-{round_number}"}
        body = {"name": "Once", "email": f"once-{round_number}@example.com"}

        def create(
            c: FlaskClient, headers: dict[str, str] = headers, body: dict[str, str] = body
        ) -> TestResponse:
            return c.post("/v1/customers", json=body, headers=headers)

        responses = race(app, [create, create])

        statuses = sorted(r.status_code for r in responses)
        assert statuses in ([201, 201], [201, 409]), summary(responses)
        created = [r for r in responses if r.status_code == 201]
        assert len({r.json["id"] for r in created if r.json is not None}) == 1
        if statuses == [201, 201]:
            assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in created) == 1

        with engine_of(app).connect() as connection:
            count = connection.execute(
                sa.select(sa.func.count()).select_from(customers).where(customers.c.email == body["email"])
            ).scalar_one()
        assert count == 1

        replay = client.post("/v1/customers", json=body, headers=headers)
        assert replay.status_code == 201
        assert replay.headers.get("Idempotent-Replayed") == "true"
        assert replay.json == created[0].json


def test_two_unconditional_writers_both_apply_and_neither_gets_412(
    app: Flask, client: FlaskClient, user_headers: dict[str, str]
) -> None:
    """Without If-Match a client states no precondition, so 412 ("a condition you sent evaluated to
    false", RFC 9110 15.5.13) cannot be the answer. Each merge patch applies to the state it finds:
    both succeed, one after the other."""
    created = client.post(
        "/v1/customers", json={"name": "Ada", "email": "ada@example.com"}, headers=user_headers
    )
    assert created.status_code == 201, created.json
    url = created.headers["Location"]

    for round_number in range(ROUNDS):
        version = round_number * 2 + 1

        def patch(name: str) -> Request:
            return lambda c: c.patch(url, json={"name": name}, headers=user_headers)

        responses = race(app, [patch(f"Left {round_number}"), patch(f"Right {round_number}")])

        assert [r.status_code for r in responses] == [200, 200], summary(responses)
        assert sorted(r.json["version"] for r in responses if r.json is not None) == [
            version + 1,
            version + 2,
        ]
        assert event_count(app, created.json["id"]) == version + 2
