"""`flask seed-demo`: demo customers made through the command bus, so events and reads are right."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from customer_api.adapters.sql.engine import create_engine
from customer_api.customers.countries import ASSIGNED_COUNTRY_CODES
from customer_api.customers.domain import PHONE_PATTERN
from tests.conftest import count_rows, empty_tables, login, register


def seed(app: Flask, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=["seed-demo", *args])
    assert result.exit_code == 0, result.output
    return result.output


def customers(client: FlaskClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = client.get("/v1/customers?limit=100&sort=name", headers=headers)
    assert response.status_code == 200
    items: list[dict[str, Any]] = response.json["items"]
    return items


def people(database_url: str) -> list[tuple[Any, ...]]:
    engine = create_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT name, email, phone FROM customers ORDER BY email"))
        found = [tuple(row) for row in rows]
    engine.dispose()
    return found


def test_seed_demo_creates_n_customers_each_with_its_event(app: Flask, database_url: str) -> None:
    output = seed(app, "--customers", "30", "--seed", "7")

    assert "created 30 customers" in output
    assert count_rows(database_url, "customers") == 30
    assert count_rows(database_url, "events") == 30
    engine = create_engine(database_url)
    with engine.connect() as connection:
        kinds = connection.execute(sa.text("SELECT DISTINCT event_type, request_id FROM events")).all()
    engine.dispose()
    assert [tuple(kind) for kind in kinds] == [("customer.created", "seed-demo")]


def test_the_demo_customers_are_valid_varied_and_readable_through_the_api(
    app: Flask, client: FlaskClient
) -> None:
    seed(app, "--customers", "40", "--seed", "11")
    register(app, "viewer@example.com")

    found = customers(client, login(client, "viewer@example.com"))

    assert len(found) == 40
    assert len({customer["email"] for customer in found}) == 40
    with_phone = [c for c in found if c["phone"]]
    with_address = [c for c in found if c["address"]]
    assert 0 < len(with_phone) < 40
    assert 0 < len(with_address) < 40
    assert all(re.match(PHONE_PATTERN, c["phone"]) for c in with_phone)
    assert all(c["address"]["country"] in ASSIGNED_COUNTRY_CODES for c in with_address)
    assert len({c["address"]["country"] for c in with_address}) > 3


def test_the_same_seed_makes_the_same_people(app: Flask, database_url: str) -> None:
    seed(app, "--customers", "15", "--seed", "3")
    first = people(database_url)
    empty_tables(database_url)

    seed(app, "--customers", "15", "--seed", "3")

    assert people(database_url) == first


def test_seeding_again_with_the_same_seed_adds_no_one(app: Flask, database_url: str) -> None:
    seed(app, "--customers", "10", "--seed", "5")

    output = seed(app, "--customers", "10", "--seed", "5")

    assert "created 0 customers; 10 skipped" in output
    assert count_rows(database_url, "customers") == 10
