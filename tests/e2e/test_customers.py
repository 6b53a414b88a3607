"""End-to-end tests of the customer endpoints, through the HTTP client, against API.md."""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.conftest import count_rows, login, register

Headers = dict[str, str]

CUSTOMER_KEYS = {"id", "name", "email", "phone", "address", "version", "created_at", "updated_at"}
PROBLEM_KEYS = {"type", "title", "status", "detail", "instance", "request_id"}
HISTORY_KEYS = {
    "event_id",
    "event_type",
    "aggregate_version",
    "occurred_at",
    "actor",
    "request_id",
    "changed",
}
RFC3339_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"

ADDRESS = {
    "line1": "Unter den Linden 1",
    "line2": "Hinterhaus",
    "city": "Berlin",
    "region": "Berlin",
    "postal_code": "10117",
    "country": "DE",
}


# --- helpers -------------------------------------------------------------------------------------


def create(client: FlaskClient, headers: Headers, **fields: Any) -> TestResponse:
    """POST a customer (Ada unless told otherwise) and insist that it was created."""
    body = {"name": "Ada Lovelace", "email": "ada@example.com", **fields}
    response = client.post("/v1/customers", json=body, headers=headers)
    assert response.status_code == 201, response.json
    return response


def url(customer_id: str) -> str:
    return f"/v1/customers/{customer_id}"


def with_headers(headers: Headers, **extra: str) -> Headers:
    return {**headers, **{name.replace("_", "-"): value for name, value in extra.items()}}


def assert_problem(response: TestResponse, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body: dict[str, Any] = response.get_json(force=True)
    assert set(body) >= PROBLEM_KEYS, body
    assert body["status"] == status
    assert body["request_id"] == response.headers["X-Request-ID"]
    return body


def assert_validation_error(response: TestResponse, *fields: str) -> dict[str, Any]:
    body = assert_problem(response, 422)
    assert isinstance(body.get("errors"), dict), body
    for field in fields:
        assert field in body["errors"], body["errors"]
    return body


def events(database_url: str) -> int:
    return count_rows(database_url, "events")


def customers(database_url: str) -> int:
    return count_rows(database_url, "customers")


def user_id_of(client: FlaskClient, headers: Headers) -> str:
    response = client.get("/v1/auth/me", headers=headers)
    assert response.status_code == 200
    user_id: str = response.json["id"]
    return user_id


def walk(client: FlaskClient, headers: Headers, path: str, **query: Any) -> list[list[dict[str, Any]]]:
    """Every page of a collection, following next_cursor until it is null."""
    pages: list[list[dict[str, Any]]] = []
    cursor = None
    for _ in range(100):
        params = {**query, **({"cursor": cursor} if cursor else {})}
        response = client.get(path, query_string=params, headers=headers)
        assert response.status_code == 200, response.json
        assert set(response.json) == {"items", "next_cursor"}
        pages.append(response.json["items"])
        cursor = response.json["next_cursor"]
        if cursor is None:
            return pages
    raise AssertionError("next_cursor never became null")


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for item in items]


@pytest.fixture
def other_user_headers(app: Flask, client: FlaskClient) -> Headers:
    register(app, "other@example.com")
    return login(client, "other@example.com")


# --- create and read ----------------------------------------------------------------------------


def test_creating_a_customer_answers_201_with_location_etag_and_the_customer(
    client: FlaskClient, user_headers: Headers
) -> None:
    response = client.post(
        "/v1/customers",
        json={
            "name": "Ada Lovelace",
            "email": "ada@example.com",
            "phone": "+442071234567",
            "address": ADDRESS,
        },
        headers=user_headers,
    )

    assert response.status_code == 201
    assert response.mimetype == "application/json"
    body = response.json
    assert set(body) == CUSTOMER_KEYS
    assert UUID.match(body["id"])
    assert response.headers["Location"] == f"/v1/customers/{body['id']}"
    assert response.headers["ETag"] == '"1"'
    assert body["name"] == "Ada Lovelace"
    assert body["email"] == "ada@example.com"
    assert body["phone"] == "+442071234567"
    assert body["address"] == ADDRESS
    assert body["version"] == 1
    assert RFC3339_UTC.match(body["created_at"])
    assert body["updated_at"] == body["created_at"]


def test_a_customer_without_phone_or_address_has_them_as_null(
    client: FlaskClient, user_headers: Headers
) -> None:
    body = create(client, user_headers).json

    assert set(body) == CUSTOMER_KEYS
    assert body["phone"] is None
    assert body["address"] is None


def test_an_address_without_its_optional_lines_shows_them_as_null(
    client: FlaskClient, user_headers: Headers
) -> None:
    address = {"line1": "1 Main St", "city": "Springfield", "country": "US"}

    body = create(client, user_headers, address=address).json

    assert body["address"] == {**address, "line2": None, "region": None, "postal_code": None}


def test_the_name_is_trimmed_and_the_email_stored_lower_case(
    client: FlaskClient, user_headers: Headers
) -> None:
    body = create(client, user_headers, name="  Ada Lovelace \t", email="Ada.Lovelace@Example.COM").json

    assert body["name"] == "Ada Lovelace"
    assert body["email"] == "ada.lovelace@example.com"
    read = client.get(url(body["id"]), headers=user_headers)
    assert read.json["name"] == "Ada Lovelace"
    assert read.json["email"] == "ada.lovelace@example.com"


def test_reading_a_customer_returns_the_body_of_the_write_with_its_etag(
    client: FlaskClient, user_headers: Headers
) -> None:
    created = create(client, user_headers, phone="+4930123456", address=ADDRESS)

    read = client.get(created.headers["Location"], headers=user_headers)

    assert read.status_code == 200
    assert read.json == created.json
    assert read.headers["ETag"] == '"1"'


def test_a_name_of_200_characters_is_accepted(client: FlaskClient, user_headers: Headers) -> None:
    body = create(client, user_headers, name="n" * 200).json

    assert body["name"] == "n" * 200


def test_a_duplicate_email_is_409_whatever_its_case(
    client: FlaskClient, user_headers: Headers, database_url: str
) -> None:
    create(client, user_headers, email="ada@example.com")
    before = events(database_url)

    response = client.post(
        "/v1/customers", json={"name": "Other Ada", "email": "ADA@Example.com"}, headers=user_headers
    )

    assert_problem(response, 409)
    assert customers(database_url) == 1
    assert events(database_url) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"name": "", "email": "a@example.com"}, "name", id="empty-name"),
        pytest.param({"name": "   ", "email": "a@example.com"}, "name", id="blank-name"),
        pytest.param({"name": "n" * 201, "email": "a@example.com"}, "name", id="name-201-chars"),
        pytest.param({"email": "a@example.com"}, "name", id="missing-name"),
        pytest.param({"name": "Ada"}, "email", id="missing-email"),
        pytest.param({"name": "Ada", "email": "not-an-email"}, "email", id="bad-email"),
        pytest.param({"name": "Ada", "email": "ada@"}, "email", id="email-without-domain"),
        pytest.param(
            {"name": "Ada", "email": "a" * 64 + "@" + ("b" * 63 + ".") * 3 + "com"},
            "email",
            id="email-over-254-chars",
        ),
        pytest.param({"name": "Ada", "email": "a@example.com", "phone": "030 123456"}, "phone", id="phone"),
        pytest.param({"name": "Ada", "email": "a@example.com", "phone": "+1"}, "phone", id="phone-short"),
        pytest.param(
            {"name": "Ada", "email": "a@example.com", "phone": "+1234567890123456"}, "phone", id="phone-long"
        ),
        pytest.param(
            {"name": "Ada", "email": "a@example.com", "address": {"line1": "x", "country": "DE"}},
            "address",
            id="address-without-city",
        ),
        pytest.param(
            {"name": "Ada", "email": "a@example.com", "address": {**ADDRESS, "country": "XX"}},
            "address",
            id="unassigned-country",
        ),
        pytest.param({"name": "Ada", "email": "a@example.com", "nickname": "A"}, "nickname", id="unknown"),
        pytest.param({"name": 42, "email": "a@example.com"}, "name", id="name-not-a-string"),
    ],
)
def test_an_invalid_customer_is_422_with_errors_by_field(
    client: FlaskClient, user_headers: Headers, database_url: str, body: dict[str, Any], field: str
) -> None:
    before = events(database_url)

    response = client.post("/v1/customers", json=body, headers=user_headers)

    assert_validation_error(response, field)
    assert customers(database_url) == 0
    assert events(database_url) == before


def test_an_address_error_names_the_offending_address_field(
    client: FlaskClient, user_headers: Headers
) -> None:
    response = client.post(
        "/v1/customers",
        json={"name": "Ada", "email": "a@example.com", "address": {**ADDRESS, "country": "XX"}},
        headers=user_headers,
    )

    errors = assert_validation_error(response, "address")["errors"]
    assert "country" in errors["address"], errors


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id", UNKNOWN_ID),
        ("version", 7),
        ("created_at", "2020-01-01T00:00:00Z"),
        ("updated_at", "2020-01-01T00:00:00Z"),
    ],
)
def test_a_client_cannot_set_server_owned_fields_on_create(
    client: FlaskClient, user_headers: Headers, database_url: str, field: str, value: object
) -> None:
    response = client.post(
        "/v1/customers", json={"name": "Ada", "email": "a@example.com", field: value}, headers=user_headers
    )

    assert_validation_error(response, field)
    assert customers(database_url) == 0


@pytest.mark.parametrize("method", ["put", "patch"])
@pytest.mark.parametrize("field", ["id", "version", "created_at"])
def test_a_client_cannot_set_server_owned_fields_on_update(
    client: FlaskClient, user_headers: Headers, method: str, field: str
) -> None:
    created = create(client, user_headers).json
    body = {"name": "Ada", "email": "ada@example.com", field: created[field]}

    response = getattr(client, method)(url(created["id"]), json=body, headers=user_headers)

    assert_validation_error(response, field)
    assert client.get(url(created["id"]), headers=user_headers).json == created


# --- replace -------------------------------------------------------------------------------------


def test_put_replaces_the_customer_and_omitted_optional_fields_become_null(
    client: FlaskClient, user_headers: Headers
) -> None:
    created = create(client, user_headers, phone="+4930123456", address=ADDRESS).json

    response = client.put(
        url(created["id"]),
        json={"name": " Grace Hopper ", "email": "Grace@Example.com"},
        headers=user_headers,
    )

    assert response.status_code == 200
    assert response.headers["ETag"] == '"2"'
    body = response.json
    assert set(body) == CUSTOMER_KEYS
    assert body["id"] == created["id"]
    assert body["name"] == "Grace Hopper"
    assert body["email"] == "grace@example.com"
    assert body["phone"] is None
    assert body["address"] is None
    assert body["version"] == 2
    assert body["created_at"] == created["created_at"]
    assert RFC3339_UTC.match(body["updated_at"])
    assert body["updated_at"] > created["updated_at"]
    assert client.get(url(created["id"]), headers=user_headers).json == body


def test_put_needs_the_whole_customer(client: FlaskClient, user_headers: Headers) -> None:
    created = create(client, user_headers).json

    response = client.put(url(created["id"]), json={"name": "Grace"}, headers=user_headers)

    assert_validation_error(response, "email")
    assert client.get(url(created["id"]), headers=user_headers).json == created


def test_put_to_an_email_another_customer_has_is_409(
    client: FlaskClient, user_headers: Headers, database_url: str
) -> None:
    create(client, user_headers, email="ada@example.com")
    grace = create(client, user_headers, name="Grace", email="grace@example.com").json
    before = events(database_url)

    response = client.put(
        url(grace["id"]), json={"name": "Grace", "email": "ADA@example.com"}, headers=user_headers
    )

    assert_problem(response, 409)
    assert client.get(url(grace["id"]), headers=user_headers).json == grace
    assert events(database_url) == before


def test_put_keeping_its_own_email_is_no_conflict(client: FlaskClient, user_headers: Headers) -> None:
    created = create(client, user_headers).json

    response = client.put(
        url(created["id"]), json={"name": "Ada King", "email": "ada@example.com"}, headers=user_headers
    )

    assert response.status_code == 200
    assert response.json["name"] == "Ada King"


# --- merge patch ---------------------------------------------------------------------------------


def test_patch_changes_only_the_given_fields(client: FlaskClient, user_headers: Headers) -> None:
    created = create(client, user_headers, phone="+4930123456", address=ADDRESS).json

    response = client.patch(url(created["id"]), json={"name": "Ada King"}, headers=user_headers)

    assert response.status_code == 200
    assert response.headers["ETag"] == '"2"'
    assert response.json == {
        **created,
        "name": "Ada King",
        "version": 2,
        "updated_at": response.json["updated_at"],
    }
    assert response.json["updated_at"] > created["updated_at"]
    assert client.get(url(created["id"]), headers=user_headers).json == response.json


def test_patch_with_null_clears_the_phone(client: FlaskClient, user_headers: Headers) -> None:
    created = create(client, user_headers, phone="+4930123456").json

    response = client.patch(url(created["id"]), json={"phone": None}, headers=user_headers)

    assert response.status_code == 200
    assert response.json["phone"] is None
    assert response.json["version"] == 2
    assert client.get(url(created["id"]), headers=user_headers).json["phone"] is None


def test_patch_with_null_clears_the_address(client: FlaskClient, user_headers: Headers) -> None:
    created = create(client, user_headers, address=ADDRESS).json

    response = client.patch(url(created["id"]), json={"address": None}, headers=user_headers)

    assert response.status_code == 200
    assert response.json["address"] is None


def test_a_partial_address_merges_into_the_stored_one(client: FlaskClient, user_headers: Headers) -> None:
    created = create(client, user_headers, address=ADDRESS).json

    response = client.patch(
        url(created["id"]), json={"address": {"city": "Potsdam", "region": None}}, headers=user_headers
    )

    assert response.status_code == 200
    assert response.json["address"] == {**ADDRESS, "city": "Potsdam", "region": None}
    assert client.get(url(created["id"]), headers=user_headers).json["address"] == response.json["address"]


def test_a_patched_address_still_needs_its_required_lines(client: FlaskClient, user_headers: Headers) -> None:
    created = create(client, user_headers, address=ADDRESS).json

    response = client.patch(url(created["id"]), json={"address": {"city": None}}, headers=user_headers)

    assert_validation_error(response, "address")
    assert client.get(url(created["id"]), headers=user_headers).json == created


def test_patch_accepts_the_merge_patch_media_type(client: FlaskClient, user_headers: Headers) -> None:
    created = create(client, user_headers).json

    response = client.patch(
        url(created["id"]),
        data='{"phone": "+4930123456"}',
        content_type="application/merge-patch+json",
        headers=user_headers,
    )

    assert response.status_code == 200
    assert response.json["phone"] == "+4930123456"


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"name": None}, "name"),
        ({"email": None}, "email"),
        ({"name": ""}, "name"),
        ({"email": "nope"}, "email"),
        ({"phone": "12345"}, "phone"),
        ({"address": {"country": "XX"}}, "address"),
        ({"nickname": "A"}, "nickname"),
    ],
)
def test_an_invalid_patch_is_422_and_changes_nothing(
    client: FlaskClient, user_headers: Headers, database_url: str, patch: dict[str, Any], field: str
) -> None:
    created = create(client, user_headers, address=ADDRESS).json
    before = events(database_url)

    response = client.patch(url(created["id"]), json=patch, headers=user_headers)

    assert_validation_error(response, field)
    assert client.get(url(created["id"]), headers=user_headers).json == created
    assert events(database_url) == before


def test_patching_the_email_to_another_customers_is_409(
    client: FlaskClient, user_headers: Headers, database_url: str
) -> None:
    create(client, user_headers, email="ada@example.com")
    grace = create(client, user_headers, name="Grace", email="grace@example.com").json
    before = events(database_url)

    response = client.patch(url(grace["id"]), json={"email": "Ada@Example.com"}, headers=user_headers)

    assert_problem(response, 409)
    assert client.get(url(grace["id"]), headers=user_headers).json == grace
    assert events(database_url) == before


# --- conditional requests ------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["put", "patch"])
def test_an_update_with_a_matching_if_match_succeeds(
    client: FlaskClient, user_headers: Headers, method: str
) -> None:
    created = create(client, user_headers).json

    response = getattr(client, method)(
        url(created["id"]),
        json={"name": "Ada King", "email": "ada@example.com"},
        headers=with_headers(user_headers, If_Match='"1"'),
    )

    assert response.status_code == 200
    assert response.json["version"] == 2
    assert response.headers["ETag"] == '"2"'


@pytest.mark.parametrize("method", ["put", "patch"])
def test_an_update_with_a_stale_if_match_is_412_and_changes_nothing(
    client: FlaskClient, user_headers: Headers, database_url: str, method: str
) -> None:
    created = create(client, user_headers).json
    current = client.patch(url(created["id"]), json={"name": "Ada King"}, headers=user_headers).json
    before = events(database_url)

    response = getattr(client, method)(
        url(created["id"]),
        json={"name": "Lost Update", "email": "ada@example.com"},
        headers=with_headers(user_headers, If_Match='"1"'),
    )

    assert_problem(response, 412)
    read = client.get(url(created["id"]), headers=user_headers)
    assert read.json == current
    assert read.json["version"] == 2
    assert read.headers["ETag"] == '"2"'
    assert events(database_url) == before


def test_two_writers_with_the_same_etag_do_not_both_win(client: FlaskClient, user_headers: Headers) -> None:
    created = create(client, user_headers).json
    stale = with_headers(user_headers, If_Match='"1"')

    first = client.patch(url(created["id"]), json={"name": "First"}, headers=stale)
    second = client.patch(url(created["id"]), json={"name": "Second"}, headers=stale)

    assert first.status_code == 200
    assert_problem(second, 412)
    assert client.get(url(created["id"]), headers=user_headers).json["name"] == "First"


def test_delete_with_a_matching_if_match_deletes(client: FlaskClient, user_headers: Headers) -> None:
    created = create(client, user_headers).json

    response = client.delete(url(created["id"]), headers=with_headers(user_headers, If_Match='"1"'))

    assert response.status_code == 204
    assert_problem(client.get(url(created["id"]), headers=user_headers), 404)


def test_delete_with_a_stale_if_match_is_412_and_the_customer_stays(
    client: FlaskClient, user_headers: Headers, database_url: str
) -> None:
    created = create(client, user_headers).json
    current = client.patch(url(created["id"]), json={"name": "Ada King"}, headers=user_headers).json
    before = events(database_url)

    response = client.delete(url(created["id"]), headers=with_headers(user_headers, If_Match='"1"'))

    assert_problem(response, 412)
    assert client.get(url(created["id"]), headers=user_headers).json == current
    assert events(database_url) == before


def test_get_with_the_current_etag_in_if_none_match_is_304_without_a_body(
    client: FlaskClient, user_headers: Headers
) -> None:
    created = create(client, user_headers)

    response = client.get(
        created.headers["Location"], headers=with_headers(user_headers, If_None_Match=created.headers["ETag"])
    )

    assert response.status_code == 304
    assert response.headers["ETag"] == '"1"'
    assert response.get_data() == b""


def test_get_with_a_stale_etag_in_if_none_match_returns_the_customer(
    client: FlaskClient, user_headers: Headers
) -> None:
    created = create(client, user_headers).json
    client.patch(url(created["id"]), json={"name": "Ada King"}, headers=user_headers)

    response = client.get(url(created["id"]), headers=with_headers(user_headers, If_None_Match='"1"'))

    assert response.status_code == 200
    assert response.headers["ETag"] == '"2"'
    assert response.json["name"] == "Ada King"


# --- delete and restore --------------------------------------------------------------------------


def test_deleting_a_customer_answers_204_and_hides_it(
    client: FlaskClient, user_headers: Headers, database_url: str
) -> None:
    created = create(client, user_headers).json

    response = client.delete(url(created["id"]), headers=user_headers)

    assert response.status_code == 204
    assert response.get_data() == b""
    assert_problem(client.get(url(created["id"]), headers=user_headers), 404)
    assert customers(database_url) == 1  # soft: the row stays


def test_deleting_a_customer_twice_is_404(client: FlaskClient, user_headers: Headers) -> None:
    created = create(client, user_headers).json
    client.delete(url(created["id"]), headers=user_headers)

    assert_problem(client.delete(url(created["id"]), headers=user_headers), 404)


@pytest.mark.parametrize("method", ["put", "patch"])
def test_a_deleted_customer_cannot_be_updated(
    client: FlaskClient, user_headers: Headers, method: str
) -> None:
    created = create(client, user_headers).json
    client.delete(url(created["id"]), headers=user_headers)

    response = getattr(client, method)(
        url(created["id"]), json={"name": "Ghost", "email": "ada@example.com"}, headers=user_headers
    )

    assert_problem(response, 404)


def test_deleting_a_customer_frees_its_email(client: FlaskClient, user_headers: Headers) -> None:
    first = create(client, user_headers, email="ada@example.com").json
    client.delete(url(first["id"]), headers=user_headers)

    second = create(client, user_headers, name="New Ada", email="ADA@example.com").json

    assert second["id"] != first["id"]
    assert second["email"] == "ada@example.com"


def test_an_admin_restores_a_deleted_customer(
    client: FlaskClient, user_headers: Headers, admin_headers: Headers
) -> None:
    created = create(client, user_headers).json
    client.delete(url(created["id"]), headers=user_headers)

    response = client.post(f"{url(created['id'])}/restore", headers=admin_headers)

    assert response.status_code == 200
    assert response.headers["ETag"] == '"3"'
    assert set(response.json) == CUSTOMER_KEYS
    assert response.json["version"] == 3
    assert response.json["name"] == created["name"]
    assert response.json["email"] == created["email"]
    read = client.get(url(created["id"]), headers=user_headers)
    assert read.status_code == 200
    assert read.json == response.json


def test_a_plain_user_cannot_restore_a_customer(
    client: FlaskClient, user_headers: Headers, database_url: str
) -> None:
    created = create(client, user_headers).json
    client.delete(url(created["id"]), headers=user_headers)
    before = events(database_url)

    response = client.post(f"{url(created['id'])}/restore", headers=user_headers)

    assert_problem(response, 403)
    assert_problem(client.get(url(created["id"]), headers=user_headers), 404)
    assert events(database_url) == before


def test_restoring_a_customer_whose_email_was_taken_meanwhile_is_409(
    client: FlaskClient, user_headers: Headers, admin_headers: Headers, database_url: str
) -> None:
    first = create(client, user_headers, email="ada@example.com").json
    client.delete(url(first["id"]), headers=user_headers)
    create(client, user_headers, name="Usurper", email="ada@example.com")
    before = events(database_url)

    response = client.post(f"{url(first['id'])}/restore", headers=admin_headers)

    assert_problem(response, 409)
    assert_problem(client.get(url(first["id"]), headers=user_headers), 404)
    assert events(database_url) == before


def test_restoring_a_live_customer_is_409(
    client: FlaskClient, user_headers: Headers, admin_headers: Headers, database_url: str
) -> None:
    created = create(client, user_headers).json
    before = events(database_url)

    response = client.post(f"{url(created['id'])}/restore", headers=admin_headers)

    assert_problem(response, 409)
    assert client.get(url(created["id"]), headers=user_headers).json == created
    assert events(database_url) == before


def test_restoring_an_unknown_customer_is_404(client: FlaskClient, admin_headers: Headers) -> None:
    assert_problem(client.post(f"{url(UNKNOWN_ID)}/restore", headers=admin_headers), 404)
    assert_problem(client.post("/v1/customers/not-a-uuid/restore", headers=admin_headers), 404)


@pytest.mark.parametrize("customer_id", ["not-a-uuid", "123", "00000000-0000-4000-8000-00000000000g"])
@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_a_malformed_id_is_404(
    client: FlaskClient, user_headers: Headers, method: str, customer_id: str
) -> None:
    kwargs: dict[str, Any] = {"headers": user_headers}
    if method in ("put", "patch"):
        kwargs["json"] = {"name": "Ada", "email": "ada@example.com"}

    response = getattr(client, method)(url(customer_id), **kwargs)

    body = assert_problem(response, 404)
    assert body["instance"] == url(customer_id)


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_an_unknown_id_is_404(client: FlaskClient, user_headers: Headers, method: str) -> None:
    kwargs: dict[str, Any] = {"headers": user_headers}
    if method in ("put", "patch"):
        kwargs["json"] = {"name": "Ada", "email": "ada@example.com"}

    response = getattr(client, method)(url(UNKNOWN_ID), **kwargs)

    assert_problem(response, 404)


def test_customers_need_a_token(client: FlaskClient) -> None:
    assert_problem(client.get("/v1/customers"), 401)
    assert_problem(client.post("/v1/customers", json={"name": "Ada", "email": "ada@example.com"}), 401)
    assert_problem(client.get(url(UNKNOWN_ID)), 401)


def test_any_user_reads_and_writes_a_customer_another_user_created(
    client: FlaskClient, user_headers: Headers, other_user_headers: Headers
) -> None:
    created = create(client, user_headers).json

    assert client.get(url(created["id"]), headers=other_user_headers).json == created
    patched = client.patch(url(created["id"]), json={"name": "Ada King"}, headers=other_user_headers)
    assert patched.status_code == 200
    assert client.delete(url(created["id"]), headers=other_user_headers).status_code == 204


# --- list: pagination ----------------------------------------------------------------------------


def test_the_list_is_a_page_of_customers_with_next_cursor(client: FlaskClient, user_headers: Headers) -> None:
    created = create(client, user_headers).json

    response = client.get("/v1/customers", headers=user_headers)

    assert response.status_code == 200
    assert response.json == {"items": [created], "next_cursor": None}


def test_the_list_pages_by_50_by_default(client: FlaskClient, admin_headers: Headers) -> None:
    made = [create(client, admin_headers, name=f"C{i:02}", email=f"c{i}@example.com").json for i in range(51)]

    first = client.get("/v1/customers", headers=admin_headers)
    assert first.status_code == 200
    assert ids(first.json["items"]) == ids(made[:50])
    assert isinstance(first.json["next_cursor"], str)

    second = client.get(
        "/v1/customers", query_string={"cursor": first.json["next_cursor"]}, headers=admin_headers
    )
    assert ids(second.json["items"]) == ids(made[50:])
    assert second.json["next_cursor"] is None

    everything = client.get("/v1/customers", query_string={"limit": 100}, headers=admin_headers)
    assert ids(everything.json["items"]) == ids(made)
    assert everything.json["next_cursor"] is None


@pytest.mark.parametrize("limit", ["0", "101", "-1", "ten", ""])
def test_a_limit_out_of_range_is_422(client: FlaskClient, user_headers: Headers, limit: str) -> None:
    response = client.get("/v1/customers", query_string={"limit": limit}, headers=user_headers)

    assert_validation_error(response, "limit")


def test_limit_1_and_100_are_accepted(client: FlaskClient, user_headers: Headers) -> None:
    create(client, user_headers, email="a@example.com")
    create(client, user_headers, email="b@example.com")

    one = client.get("/v1/customers", query_string={"limit": 1}, headers=user_headers)
    hundred = client.get("/v1/customers", query_string={"limit": 100}, headers=user_headers)

    assert one.status_code == 200
    assert len(one.json["items"]) == 1
    assert one.json["next_cursor"] is not None
    assert hundred.status_code == 200
    assert len(hundred.json["items"]) == 2
    assert hundred.json["next_cursor"] is None


@pytest.mark.parametrize("sort", ["created_at", "-created_at", "name", "-name"])
def test_walking_every_page_yields_every_customer_exactly_once(
    client: FlaskClient, user_headers: Headers, sort: str
) -> None:
    names = ["Grace", "Ada", "Edsger", "Barbara", "Alan", "Margaret", "Donald"]
    made = [create(client, user_headers, name=name, email=f"{name}@example.com").json for name in names]

    pages = walk(client, user_headers, "/v1/customers", limit=3, sort=sort)

    assert [len(page) for page in pages] == [3, 3, 1]
    walked = [item for page in pages for item in page]
    assert sorted(ids(walked)) == sorted(ids(made))
    assert len(set(ids(walked))) == len(made)


def test_walking_an_exact_multiple_of_the_limit_ends_with_a_null_cursor(
    client: FlaskClient, user_headers: Headers
) -> None:
    made = [create(client, user_headers, name=f"C{i}", email=f"c{i}@example.com").json for i in range(6)]

    pages = walk(client, user_headers, "/v1/customers", limit=3)

    walked = [item for page in pages for item in page]
    assert ids(walked) == ids(made)
    assert all(len(page) <= 3 for page in pages)


@pytest.mark.parametrize("sort", ["created_at", "-created_at", "name", "-name"])
def test_customers_inserted_while_walking_cause_no_duplicates_or_skips(
    client: FlaskClient, user_headers: Headers, sort: str
) -> None:
    made = [create(client, user_headers, name=f"M{i}", email=f"m{i}@example.com").json for i in range(7)]
    seen: list[str] = []
    cursor = None
    inserted = 0
    for page in range(20):
        params: dict[str, Any] = {"limit": 3, "sort": sort, **({"cursor": cursor} if cursor else {})}
        response = client.get("/v1/customers", query_string=params, headers=user_headers)
        assert response.status_code == 200
        seen += ids(response.json["items"])
        cursor = response.json["next_cursor"]
        if cursor is None:
            break
        if page < 2:
            # Between the first pages, customers arrive that sort before, among and after the originals.
            for name in ("A", "M3x", "Z"):
                create(client, user_headers, name=f"{name}{inserted}", email=f"new{inserted}@example.com")
                inserted += 1
    else:
        raise AssertionError("next_cursor never became null")

    assert len(seen) == len(set(seen)), "a customer was listed twice"
    assert set(ids(made)) <= set(seen), "an original customer was skipped"


def test_a_garbled_cursor_is_422(client: FlaskClient, user_headers: Headers) -> None:
    for cursor in ("garbage", "!!!", "e30", "x" * 300):
        response = client.get("/v1/customers", query_string={"cursor": cursor}, headers=user_headers)
        assert_validation_error(response, "cursor")


def test_a_forged_cursor_is_422(client: FlaskClient, user_headers: Headers) -> None:
    for i in range(3):
        create(client, user_headers, name=f"C{i}", email=f"c{i}@example.com")
    cursor = client.get("/v1/customers", query_string={"limit": 1}, headers=user_headers).json["next_cursor"]
    raw = bytearray(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    raw[-3] ^= 0x01  # alter the position, keep the rest
    forged = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    assert forged != cursor

    response = client.get("/v1/customers", query_string={"cursor": forged, "limit": 1}, headers=user_headers)

    assert_validation_error(response, "cursor")


def test_a_cursor_from_one_sort_is_422_with_another(client: FlaskClient, user_headers: Headers) -> None:
    for i in range(3):
        create(client, user_headers, name=f"C{i}", email=f"c{i}@example.com")
    by_name = client.get("/v1/customers", query_string={"limit": 1, "sort": "name"}, headers=user_headers)
    cursor = by_name.json["next_cursor"]
    assert cursor is not None

    for sort in ("-name", "created_at", "-created_at"):
        response = client.get(
            "/v1/customers", query_string={"limit": 1, "sort": sort, "cursor": cursor}, headers=user_headers
        )
        assert_validation_error(response, "cursor")


# --- list: sorting and filtering -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        (None, ["Charlie", "Alpha", "Delta", "Bravo"]),
        ("created_at", ["Charlie", "Alpha", "Delta", "Bravo"]),
        ("-created_at", ["Bravo", "Delta", "Alpha", "Charlie"]),
        ("name", ["Alpha", "Bravo", "Charlie", "Delta"]),
        ("-name", ["Delta", "Charlie", "Bravo", "Alpha"]),
    ],
)
def test_the_list_is_sorted_as_asked(
    client: FlaskClient, user_headers: Headers, sort: str | None, expected: list[str]
) -> None:
    for name in ("Charlie", "Alpha", "Delta", "Bravo"):
        create(client, user_headers, name=name, email=f"{name}@example.com")

    query = {"sort": sort} if sort else {}
    response = client.get("/v1/customers", query_string=query, headers=user_headers)

    assert response.status_code == 200
    assert [item["name"] for item in response.json["items"]] == expected


@pytest.mark.parametrize("sort", ["email", "id", "+name", "--name", "updated_at"])
def test_an_unknown_sort_is_422(client: FlaskClient, user_headers: Headers, sort: str) -> None:
    response = client.get("/v1/customers", query_string={"sort": sort}, headers=user_headers)

    assert_validation_error(response, "sort")


def test_the_email_filter_is_exact_and_case_insensitive(client: FlaskClient, user_headers: Headers) -> None:
    ada = create(client, user_headers, email="ada@example.com").json
    create(client, user_headers, name="Adam", email="ada@example.com.au")
    create(client, user_headers, name="Bada", email="bada@example.com")

    exact = client.get("/v1/customers", query_string={"email": "ADA@Example.COM"}, headers=user_headers)
    partial = client.get("/v1/customers", query_string={"email": "ada@example"}, headers=user_headers)

    assert exact.status_code == 200
    assert exact.json["items"] == [ada]
    assert partial.json["items"] == []


def test_the_name_filter_is_a_case_insensitive_prefix(client: FlaskClient, user_headers: Headers) -> None:
    ada = create(client, user_headers, name="Ada Lovelace", email="ada@example.com").json
    adam = create(client, user_headers, name="adam smith", email="adam@example.com").json
    create(client, user_headers, name="Grace Ada", email="grace@example.com")

    response = client.get("/v1/customers", query_string={"name": "ADA", "sort": "name"}, headers=user_headers)

    assert response.status_code == 200
    assert ids(response.json["items"]) == [ada["id"], adam["id"]]


def test_percent_and_underscore_in_the_name_filter_are_literal(
    client: FlaskClient, user_headers: Headers
) -> None:
    pure = create(client, user_headers, name="100% Pure", email="pure@example.com").json
    create(client, user_headers, name="1000 Things", email="things@example.com")
    snake = create(client, user_headers, name="a_b", email="snake@example.com").json
    create(client, user_headers, name="axb", email="axb@example.com")
    slash = create(client, user_headers, name="back\\slash", email="slash@example.com").json
    create(client, user_headers, name="backslash", email="noslash@example.com")

    def named(prefix: str) -> list[str]:
        response = client.get("/v1/customers", query_string={"name": prefix}, headers=user_headers)
        assert response.status_code == 200
        return ids(response.json["items"])

    assert named("100%") == [pure["id"]]
    assert named("a_") == [snake["id"]]
    assert named("back\\") == [slash["id"]]
    assert named("%") == []
    assert named("_") == []


def test_filters_combine_with_pagination(client: FlaskClient, user_headers: Headers) -> None:
    made = [create(client, user_headers, name=f"Ann {i}", email=f"ann{i}@example.com").json for i in range(5)]
    create(client, user_headers, name="Bob", email="bob@example.com")

    pages = walk(client, user_headers, "/v1/customers", name="ann", limit=2)

    assert [item for page in pages for item in page] == made


def test_deleted_customers_are_not_listed(client: FlaskClient, user_headers: Headers) -> None:
    kept = create(client, user_headers, email="kept@example.com").json
    gone = create(client, user_headers, email="gone@example.com").json
    client.delete(url(gone["id"]), headers=user_headers)

    response = client.get("/v1/customers", headers=user_headers)
    by_email = client.get("/v1/customers", query_string={"email": "gone@example.com"}, headers=user_headers)

    assert response.json["items"] == [kept]
    assert by_email.json["items"] == []


def test_an_admin_lists_deleted_customers_with_include_deleted(
    client: FlaskClient, user_headers: Headers, admin_headers: Headers
) -> None:
    kept = create(client, user_headers, email="kept@example.com").json
    gone = create(client, user_headers, email="gone@example.com").json
    client.delete(url(gone["id"]), headers=user_headers)

    response = client.get("/v1/customers", query_string={"include_deleted": "true"}, headers=admin_headers)
    without = client.get("/v1/customers", headers=admin_headers)

    assert response.status_code == 200
    assert ids(response.json["items"]) == [kept["id"], gone["id"]]
    assert set(response.json["items"][1]) == CUSTOMER_KEYS
    assert response.json["items"][1]["version"] == 2
    assert ids(without.json["items"]) == [kept["id"]]


def test_include_deleted_is_403_for_a_plain_user(client: FlaskClient, user_headers: Headers) -> None:
    response = client.get("/v1/customers", query_string={"include_deleted": "true"}, headers=user_headers)

    assert_problem(response, 403)


# --- history -------------------------------------------------------------------------------------


def test_the_history_lists_every_change_oldest_first_with_actor_and_request_id(
    client: FlaskClient, user_headers: Headers, admin_headers: Headers
) -> None:
    user_id = user_id_of(client, user_headers)
    admin_id = user_id_of(client, admin_headers)
    created = client.post(
        "/v1/customers",
        json={"name": "Ada", "email": "ada@example.com"},
        headers=with_headers(user_headers, X_Request_ID="req-create"),
    ).json
    client.patch(
        url(created["id"]),
        json={"phone": "+4930123456", "name": "Ada King"},
        headers=with_headers(user_headers, X_Request_ID="req-patch"),
    )
    client.delete(url(created["id"]), headers=with_headers(user_headers, X_Request_ID="req-delete"))
    client.post(
        f"{url(created['id'])}/restore", headers=with_headers(admin_headers, X_Request_ID="req-restore")
    )

    response = client.get(f"{url(created['id'])}/history", headers=user_headers)

    assert response.status_code == 200
    assert response.json["next_cursor"] is None
    items = response.json["items"]
    assert all(set(item) == HISTORY_KEYS for item in items), items
    assert [item["event_type"] for item in items] == [
        "customer.created",
        "customer.updated",
        "customer.deleted",
        "customer.restored",
    ]
    assert [item["aggregate_version"] for item in items] == [1, 2, 3, 4]
    assert [item["actor"] for item in items] == [
        {"user_id": user_id},
        {"user_id": user_id},
        {"user_id": user_id},
        {"user_id": admin_id},
    ]
    assert [item["request_id"] for item in items] == ["req-create", "req-patch", "req-delete", "req-restore"]
    assert sorted(items[1]["changed"]) == ["name", "phone"]
    assert len({item["event_id"] for item in items}) == 4
    assert all(UUID.match(item["event_id"]) for item in items)
    assert all(RFC3339_UTC.match(item["occurred_at"]) for item in items)
    occurred = [item["occurred_at"] for item in items]
    assert occurred == sorted(occurred)


def test_the_history_of_a_put_names_the_fields_it_changed(client: FlaskClient, user_headers: Headers) -> None:
    created = create(client, user_headers, phone="+4930123456").json
    client.put(url(created["id"]), json={"name": "Grace", "email": "grace@example.com"}, headers=user_headers)

    items = client.get(f"{url(created['id'])}/history", headers=user_headers).json["items"]

    assert items[1]["event_type"] == "customer.updated"
    assert sorted(items[1]["changed"]) == ["email", "name", "phone"]


def test_the_history_is_paginated(client: FlaskClient, user_headers: Headers) -> None:
    created = create(client, user_headers).json
    for i in range(4):
        client.patch(url(created["id"]), json={"name": f"Ada {i}"}, headers=user_headers)

    pages = walk(client, user_headers, f"{url(created['id'])}/history", limit=2)

    assert [[item["aggregate_version"] for item in page] for page in pages] == [[1, 2], [3, 4], [5]]


def test_a_history_limit_out_of_range_or_a_garbled_cursor_is_422(
    client: FlaskClient, user_headers: Headers
) -> None:
    created = create(client, user_headers).json
    history = f"{url(created['id'])}/history"

    assert_validation_error(client.get(history, query_string={"limit": 0}, headers=user_headers), "limit")
    assert_validation_error(client.get(history, query_string={"limit": 101}, headers=user_headers), "limit")
    assert_validation_error(
        client.get(history, query_string={"cursor": "junk"}, headers=user_headers), "cursor"
    )


def test_a_history_cursor_of_one_customer_is_422_for_another(
    client: FlaskClient, user_headers: Headers
) -> None:
    ada = create(client, user_headers).json
    grace = create(client, user_headers, name="Grace", email="grace@example.com").json
    client.patch(url(ada["id"]), json={"name": "Ada King"}, headers=user_headers)
    cursor = client.get(f"{url(ada['id'])}/history", query_string={"limit": 1}, headers=user_headers).json[
        "next_cursor"
    ]
    assert cursor is not None

    response = client.get(
        f"{url(grace['id'])}/history", query_string={"cursor": cursor}, headers=user_headers
    )

    assert_validation_error(response, "cursor")


def test_a_deleted_customers_history_is_404_for_a_user_and_readable_by_an_admin(
    client: FlaskClient, user_headers: Headers, admin_headers: Headers
) -> None:
    created = create(client, user_headers).json
    client.delete(url(created["id"]), headers=user_headers)

    assert_problem(client.get(f"{url(created['id'])}/history", headers=user_headers), 404)
    response = client.get(f"{url(created['id'])}/history", headers=admin_headers)
    assert response.status_code == 200
    assert [item["event_type"] for item in response.json["items"]] == ["customer.created", "customer.deleted"]


def test_the_history_of_an_unknown_or_malformed_id_is_404(
    client: FlaskClient, user_headers: Headers, admin_headers: Headers
) -> None:
    for headers in (user_headers, admin_headers):
        assert_problem(client.get(f"{url(UNKNOWN_ID)}/history", headers=headers), 404)
        assert_problem(client.get("/v1/customers/nope/history", headers=headers), 404)


# --- events --------------------------------------------------------------------------------------


def test_every_accepted_write_adds_exactly_one_event(
    client: FlaskClient, user_headers: Headers, admin_headers: Headers, database_url: str
) -> None:
    before = events(database_url)
    created = create(client, user_headers).json
    assert events(database_url) == before + 1

    client.put(url(created["id"]), json={"name": "Ada", "email": "ada@example.com"}, headers=user_headers)
    assert events(database_url) == before + 2

    client.patch(url(created["id"]), json={"phone": "+4930123456"}, headers=user_headers)
    assert events(database_url) == before + 3

    client.delete(url(created["id"]), headers=user_headers)
    assert events(database_url) == before + 4

    restored = client.post(f"{url(created['id'])}/restore", headers=admin_headers)
    assert restored.status_code == 200
    assert events(database_url) == before + 5


def test_reads_add_no_events(client: FlaskClient, user_headers: Headers, database_url: str) -> None:
    created = create(client, user_headers).json
    before = events(database_url)

    client.get(url(created["id"]), headers=user_headers)
    client.get("/v1/customers", headers=user_headers)
    client.get(f"{url(created['id'])}/history", headers=user_headers)

    assert events(database_url) == before


def test_rejected_writes_add_no_events(
    client: FlaskClient, user_headers: Headers, admin_headers: Headers, database_url: str
) -> None:
    ada = create(client, user_headers, email="ada@example.com").json
    create(client, user_headers, name="Grace", email="grace@example.com")
    before = events(database_url)
    stale = with_headers(user_headers, If_Match='"9"')
    rejected = [
        (
            client.post("/v1/customers", json={"name": "", "email": "x@example.com"}, headers=user_headers),
            422,
        ),
        (
            client.post(
                "/v1/customers", json={"name": "A", "email": "GRACE@example.com"}, headers=user_headers
            ),
            409,
        ),
        (
            client.put(
                url(ada["id"]), json={"name": "A", "email": "grace@example.com"}, headers=user_headers
            ),
            409,
        ),
        (client.put(url(ada["id"]), json={"name": "A", "email": "ada@example.com"}, headers=stale), 412),
        (client.patch(url(ada["id"]), json={"phone": "bad"}, headers=user_headers), 422),
        (client.patch(url(ada["id"]), json={"name": "A"}, headers=stale), 412),
        (client.delete(url(ada["id"]), headers=stale), 412),
        (client.post(f"{url(ada['id'])}/restore", headers=admin_headers), 409),
        (client.delete(url(UNKNOWN_ID), headers=user_headers), 404),
    ]

    for response, status in rejected:
        assert_problem(response, status)
    assert events(database_url) == before
    assert client.get(url(ada["id"]), headers=user_headers).json == ada


# --- idempotency ---------------------------------------------------------------------------------


def test_replaying_an_idempotency_key_returns_the_first_response_and_creates_nothing(
    client: FlaskClient, user_headers: Headers, database_url: str
) -> None:
    headers = with_headers(user_headers, Idempotency_Key="create-ada-1")
    body = {"name": "Ada", "email": "ada@example.com"}
    first = client.post("/v1/customers", json=body, headers=headers)
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    before = events(database_url)

    replay = client.post("/v1/customers", json=body, headers=headers)

    assert replay.status_code == 201
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json == first.json
    assert replay.headers["Location"] == first.headers["Location"]
    assert replay.headers["ETag"] == first.headers["ETag"]
    assert replay.mimetype == "application/json"
    assert customers(database_url) == 1
    assert events(database_url) == before


def test_an_idempotent_replay_does_not_depend_on_key_order_or_spacing(
    client: FlaskClient, user_headers: Headers, database_url: str
) -> None:
    headers = with_headers(user_headers, Idempotency_Key="k")
    first = client.post(
        "/v1/customers",
        data='{"name": "Ada", "email": "ada@example.com"}',
        content_type="application/json",
        headers=headers,
    )
    replay = client.post(
        "/v1/customers",
        data='{"email":"ada@example.com","name":"Ada"}',
        content_type="application/json",
        headers=headers,
    )

    assert first.status_code == 201
    assert replay.status_code == 201
    assert replay.headers.get("Idempotent-Replayed") == "true"
    assert replay.json == first.json
    assert customers(database_url) == 1


def test_an_idempotency_key_reused_with_another_body_is_422(
    client: FlaskClient, user_headers: Headers, database_url: str
) -> None:
    headers = with_headers(user_headers, Idempotency_Key="create-1")
    client.post("/v1/customers", json={"name": "Ada", "email": "ada@example.com"}, headers=headers)
    before = events(database_url)

    response = client.post(
        "/v1/customers", json={"name": "Grace", "email": "grace@example.com"}, headers=headers
    )

    assert_problem(response, 422)
    assert customers(database_url) == 1
    assert events(database_url) == before


def test_idempotency_keys_are_scoped_to_the_user(
    client: FlaskClient, user_headers: Headers, other_user_headers: Headers, database_url: str
) -> None:
    first = client.post(
        "/v1/customers",
        json={"name": "Ada", "email": "ada@example.com"},
        headers=with_headers(user_headers, Idempotency_Key="shared-key"),
    )

    other = client.post(
        "/v1/customers",
        json={"name": "Grace", "email": "grace@example.com"},
        headers=with_headers(other_user_headers, Idempotency_Key="shared-key"),
    )

    assert first.status_code == 201
    assert other.status_code == 201
    assert "Idempotent-Replayed" not in other.headers
    assert other.json["id"] != first.json["id"]
    assert other.json["name"] == "Grace"
    assert customers(database_url) == 2


def test_the_same_key_and_body_from_another_user_is_not_a_replay(
    client: FlaskClient, user_headers: Headers, other_user_headers: Headers
) -> None:
    body = {"name": "Ada", "email": "ada@example.com"}
    client.post("/v1/customers", json=body, headers=with_headers(user_headers, Idempotency_Key="k1"))

    other = client.post(
        "/v1/customers", json=body, headers=with_headers(other_user_headers, Idempotency_Key="k1")
    )

    # Run for real, the request meets the first customer's email instead of replaying its response.
    assert_problem(other, 409)
    assert "Idempotent-Replayed" not in other.headers


@pytest.mark.parametrize(
    "key",
    [
        pytest.param("", id="empty"),
        pytest.param("k" * 256, id="256-chars"),
        pytest.param("clé", id="non-ascii"),
        pytest.param("two words", id="space"),
    ],
)
def test_an_invalid_idempotency_key_is_422(
    client: FlaskClient, user_headers: Headers, database_url: str, key: str
) -> None:
    response = client.post(
        "/v1/customers",
        json={"name": "Ada", "email": "ada@example.com"},
        headers=with_headers(user_headers, Idempotency_Key=key),
    )

    assert_problem(response, 422)
    assert customers(database_url) == 0


def test_an_idempotency_key_of_255_visible_ascii_characters_is_accepted(
    client: FlaskClient, user_headers: Headers
) -> None:
    key = ("!~azAZ09" * 40)[:255]
    headers = with_headers(user_headers, Idempotency_Key=key)
    body = {"name": "Ada", "email": "ada@example.com"}

    first = client.post("/v1/customers", json=body, headers=headers)
    replay = client.post("/v1/customers", json=body, headers=headers)

    assert first.status_code == 201
    assert replay.status_code == 201
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json == first.json
