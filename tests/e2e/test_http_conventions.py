"""End-to-end tests of the conventions API.md promises for every endpoint."""

from __future__ import annotations

import dataclasses
import datetime
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_jwt_extended import create_access_token
from werkzeug.test import TestResponse

from customer_api.config import Settings
from tests.conftest import count_rows, register, running_app

Headers = dict[str, str]

PROBLEM_KEYS = {"type", "title", "status", "detail", "instance", "request_id"}
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
ADA = {"name": "Ada Lovelace", "email": "ada@example.com"}
MIB = 1024 * 1024


def assert_problem(response: TestResponse, status: int, path: str | None = None) -> dict[str, Any]:
    """An RFC 9457 problem document with every member API.md lists."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body: dict[str, Any] = json.loads(response.get_data(as_text=True))
    assert set(body) >= PROBLEM_KEYS, body
    assert body["status"] == status
    assert body["type"] == "about:blank" or "://" in body["type"] or body["type"].startswith("urn:")
    assert isinstance(body["title"], str)
    assert body["title"]
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert body["request_id"] == response.headers["X-Request-ID"]
    if path is not None:
        assert body["instance"] == path
    return body


def with_headers(headers: Headers, **extra: str) -> Headers:
    return {**headers, **{name.replace("_", "-"): value for name, value in extra.items()}}


def bearer(token: str) -> Headers:
    return {"Authorization": f"Bearer {token}"}


# --- problem details -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/nope", "/v1/nope", "/v1/customers/a/b/c", "/v2/customers"])
def test_an_unknown_route_is_a_404_problem(client: FlaskClient, path: str) -> None:
    assert_problem(client.get(path), 404, path)


def test_an_unknown_route_is_a_404_problem_with_a_token_too(
    client: FlaskClient, user_headers: Headers
) -> None:
    assert_problem(client.post("/v1/nope", json={}, headers=user_headers), 404, "/v1/nope")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("put", "/v1/customers", {"GET", "POST"}),
        ("delete", "/v1/customers", {"GET", "POST"}),
        ("post", "/v1/customers/00000000-0000-4000-8000-000000000000", {"GET", "PUT", "PATCH", "DELETE"}),
        ("get", "/v1/auth/login", {"POST"}),
        ("post", "/health", {"GET"}),
    ],
)
def test_a_wrong_method_is_a_405_problem_that_keeps_allow(
    client: FlaskClient, user_headers: Headers, method: str, path: str, allowed: set[str]
) -> None:
    response = getattr(client, method)(path, headers=user_headers)

    assert_problem(response, 405, path)
    offered = {part.strip() for part in response.headers["Allow"].split(",")}
    assert allowed <= offered, offered


def test_a_validation_problem_carries_errors_by_field(client: FlaskClient, user_headers: Headers) -> None:
    response = client.post("/v1/customers", json={"name": "Ada", "email": "nope"}, headers=user_headers)

    body = assert_problem(response, 422, "/v1/customers")
    assert list(body["errors"]) == ["email"]
    assert isinstance(body["errors"]["email"], list)
    assert all(isinstance(message, str) and message for message in body["errors"]["email"])


def test_a_validation_problem_reports_every_invalid_field_at_once(
    client: FlaskClient, user_headers: Headers
) -> None:
    response = client.post(
        "/v1/customers", json={"name": "", "email": "nope", "phone": "123"}, headers=user_headers
    )

    body = assert_problem(response, 422, "/v1/customers")
    assert set(body["errors"]) == {"name", "email", "phone"}


def test_only_validation_problems_carry_errors(client: FlaskClient, user_headers: Headers) -> None:
    not_found = client.get("/v1/customers/00000000-0000-4000-8000-000000000000", headers=user_headers)
    unauthorized = client.get("/v1/customers")

    assert "errors" not in assert_problem(not_found, 404)
    assert "errors" not in assert_problem(unauthorized, 401)


def test_a_conflict_is_a_409_problem(client: FlaskClient, user_headers: Headers) -> None:
    client.post("/v1/customers", json=ADA, headers=user_headers)

    assert_problem(client.post("/v1/customers", json=ADA, headers=user_headers), 409, "/v1/customers")


def test_a_forbidden_request_is_a_403_problem(client: FlaskClient, user_headers: Headers) -> None:
    path = "/v1/users"
    assert_problem(client.get(path, headers=user_headers), 403, path)


# --- authentication ------------------------------------------------------------------------------


def test_a_missing_token_is_401(client: FlaskClient) -> None:
    assert_problem(client.get("/v1/customers"), 401, "/v1/customers")
    assert_problem(client.get("/v1/auth/me"), 401, "/v1/auth/me")


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer garbage",
        "Bearer ",
        "Bearer a.b.c",
        "Basic dXNlcjpwYXNz",
        "garbage",
        # A well-formed HS256 token signed with another secret.
        "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
        "eyJzdWIiOiIxMjMiLCJyb2xlIjoiYWRtaW4iLCJ0eXBlIjoiYWNjZXNzIiwiZXhwIjo0MTAyNDQ0ODAwfQ."
        "c2lnbmF0dXJlLW9mLWFub3RoZXItc2VjcmV0LXh4eHh4eHh4eHh4eHg",
    ],
)
def test_a_garbage_token_is_401(client: FlaskClient, authorization: str) -> None:
    response = client.get("/v1/customers", headers={"Authorization": authorization})

    assert_problem(response, 401, "/v1/customers")


def access_token(app: Flask, email: str, expires_in: datetime.timedelta) -> str:
    """A user's access token made as login makes one (a live session), expiring as told."""
    user_id = register(app, email)
    session_id, _ = app.extensions["customer_api"].sessions.start(user_id)
    with app.app_context():
        token: str = create_access_token(
            identity=user_id,
            additional_claims={"role": "user", "sid": session_id},
            expires_delta=expires_in,
        )
    return token


def test_an_expired_token_is_401(app: Flask, client: FlaskClient) -> None:
    token = access_token(app, "late@example.com", datetime.timedelta(seconds=-1))

    response = client.get("/v1/customers", headers=bearer(token))

    assert_problem(response, 401, "/v1/customers")


def test_a_fresh_token_made_the_same_way_is_accepted(app: Flask, client: FlaskClient) -> None:
    """The counterpart of the expired-token test: only the expiry makes the difference."""
    token = access_token(app, "early@example.com", datetime.timedelta(minutes=5))

    assert client.get("/v1/customers", headers=bearer(token)).status_code == 200


def test_a_refresh_token_is_not_an_access_token(app: Flask, client: FlaskClient) -> None:
    register(app, "user@example.com")
    tokens = client.post(
        "/v1/auth/login", json={"email": "user@example.com", "password": "correct horse battery"}
    ).json

    response = client.get("/v1/customers", headers=bearer(tokens["refresh_token"]))

    assert_problem(response, 401, "/v1/customers")
    assert client.get("/v1/customers", headers=bearer(tokens["access_token"])).status_code == 200


def test_a_token_from_another_secret_is_401(app: Flask, client: FlaskClient, settings: Settings) -> None:
    user_id = register(app, "user@example.com")
    with running_app(dataclasses.replace(settings, jwt_secret_key="x" * 48)) as other, other.app_context():
        token = create_access_token(identity=user_id, additional_claims={"role": "admin"})

    assert_problem(client.get("/v1/customers", headers=bearer(token)), 401)


# --- request bodies ------------------------------------------------------------------------------


def test_a_body_without_content_type_is_415(
    client: FlaskClient, user_headers: Headers, database_url: str
) -> None:
    response = client.post("/v1/customers", data=json.dumps(ADA), headers=user_headers)

    assert_problem(response, 415, "/v1/customers")
    assert count_rows(database_url, "customers") == 0


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "application/xml", "application/merge-patch+json"],
)
def test_a_post_body_that_is_not_application_json_is_415(
    client: FlaskClient, user_headers: Headers, database_url: str, content_type: str
) -> None:
    response = client.post(
        "/v1/customers", data=json.dumps(ADA), content_type=content_type, headers=user_headers
    )

    assert_problem(response, 415, "/v1/customers")
    assert count_rows(database_url, "customers") == 0


def test_a_put_or_patch_body_that_is_not_json_is_415(client: FlaskClient, user_headers: Headers) -> None:
    created = client.post("/v1/customers", json=ADA, headers=user_headers).json
    path = f"/v1/customers/{created['id']}"

    assert_problem(
        client.put(path, data=json.dumps(ADA), content_type="text/plain", headers=user_headers), 415
    )
    assert_problem(client.put(path, data=json.dumps(ADA), headers=user_headers), 415)
    assert_problem(
        client.patch(path, data='{"name": "X"}', content_type="text/plain", headers=user_headers), 415
    )
    assert_problem(client.patch(path, data='{"name": "X"}', headers=user_headers), 415)
    assert client.get(path, headers=user_headers).json == created


def test_application_json_with_a_charset_is_accepted(client: FlaskClient, user_headers: Headers) -> None:
    response = client.post(
        "/v1/customers",
        data=json.dumps(ADA).encode(),
        content_type="application/json; charset=utf-8",
        headers=user_headers,
    )

    assert response.status_code == 201


def test_the_login_body_must_be_json_too(client: FlaskClient) -> None:
    response = client.post(
        "/v1/auth/login",
        data="email=a@example.com&password=x",
        content_type="application/x-www-form-urlencoded",
    )

    assert_problem(response, 415, "/v1/auth/login")


@pytest.mark.parametrize("raw", ['{"name": ', "{'name': 'Ada'}", "not json", '{"name": "Ada",}'])
def test_malformed_json_is_400(
    client: FlaskClient, user_headers: Headers, database_url: str, raw: str
) -> None:
    response = client.post("/v1/customers", data=raw, content_type="application/json", headers=user_headers)

    assert_problem(response, 400, "/v1/customers")
    assert count_rows(database_url, "customers") == 0


def test_a_body_over_1_mib_is_413(client: FlaskClient, user_headers: Headers, database_url: str) -> None:
    raw = json.dumps({"name": "n" * MIB, "email": "ada@example.com"})

    response = client.post("/v1/customers", data=raw, content_type="application/json", headers=user_headers)

    assert_problem(response, 413, "/v1/customers")
    assert count_rows(database_url, "customers") == 0


def test_a_body_just_under_1_mib_is_read(client: FlaskClient, user_headers: Headers) -> None:
    raw = json.dumps({"name": "n" * (MIB - 100), "email": "ada@example.com"})
    assert len(raw) < MIB

    response = client.post("/v1/customers", data=raw, content_type="application/json", headers=user_headers)

    # Read and judged on its merits: the name is too long, not the body.
    body = assert_problem(response, 422)
    assert "name" in body["errors"]


def test_an_unauthenticated_body_over_1_mib_is_refused_too(client: FlaskClient) -> None:
    raw = json.dumps({"email": "a@example.com", "password": "p" * MIB})

    response = client.post("/v1/auth/login", data=raw, content_type="application/json")

    assert_problem(response, 413, "/v1/auth/login")


# --- request ids ---------------------------------------------------------------------------------


@pytest.mark.parametrize("request_id", ["abc-123.x_y", "a", "A" * 128, "0f8e-UPPER.lower_mixed"])
def test_a_sane_request_id_is_echoed(client: FlaskClient, request_id: str) -> None:
    response = client.get("/health", headers={"X-Request-ID": request_id})

    assert response.headers["X-Request-ID"] == request_id


@pytest.mark.parametrize(
    "request_id",
    ["x" * 200, "A" * 129, "has space", "semi;colon", "slash/y", "new\\line", "ünïcode", "", "a,b"],
)
def test_an_insane_request_id_is_replaced_by_a_uuid(client: FlaskClient, request_id: str) -> None:
    response = client.get("/health", headers={"X-Request-ID": request_id})

    assert response.headers["X-Request-ID"] != request_id
    assert UUID.match(response.headers["X-Request-ID"])


def test_without_a_request_id_each_response_gets_a_fresh_uuid(client: FlaskClient) -> None:
    first = client.get("/health").headers["X-Request-ID"]
    second = client.get("/health").headers["X-Request-ID"]

    assert UUID.match(first)
    assert UUID.match(second)
    assert first != second


def test_every_kind_of_response_carries_the_request_id(client: FlaskClient, user_headers: Headers) -> None:
    def sent(name: str) -> Headers:
        return with_headers(user_headers, X_Request_ID=name)

    created = client.post("/v1/customers", json=ADA, headers=sent("r-201"))
    path = created.headers["Location"]
    responses = {
        "r-201": created,
        "r-200": client.get(path, headers=sent("r-200")),
        "r-304": client.get(path, headers={**sent("r-304"), "If-None-Match": created.headers["ETag"]}),
        "r-404": client.get("/v1/nope", headers=sent("r-404")),
        "r-401": client.get("/v1/customers", headers={"X-Request-ID": "r-401"}),
        "r-204": client.delete(path, headers=sent("r-204")),
    }

    for request_id, response in responses.items():
        assert response.status_code == int(request_id[2:])
        assert response.headers["X-Request-ID"] == request_id


def test_the_request_id_is_in_the_problem_body(client: FlaskClient, user_headers: Headers) -> None:
    response = client.get(
        "/v1/customers/not-a-uuid", headers=with_headers(user_headers, X_Request_ID="trace-me.42")
    )

    body = assert_problem(response, 404)
    assert body["request_id"] == "trace-me.42"


def test_a_replaced_request_id_is_the_one_in_the_problem_body(client: FlaskClient) -> None:
    response = client.get("/v1/customers", headers={"X-Request-ID": "bad id"})

    body = assert_problem(response, 401)
    assert UUID.match(body["request_id"])
    assert body["request_id"] == response.headers["X-Request-ID"]


# --- 500 -----------------------------------------------------------------------------------------


@pytest.fixture
def boom_app(settings: Settings) -> Iterator[Flask]:
    with running_app(settings) as app:

        @app.get("/boom")
        def boom() -> str:
            raise RuntimeError("secret detail: SELECT password_hash FROM users")

        yield app


def test_a_500_is_a_problem_that_shows_no_internals(boom_app: Flask) -> None:
    response = boom_app.test_client().get("/boom", headers={"X-Request-ID": "boom-1"})

    body = assert_problem(response, 500, "/boom")
    text = response.get_data(as_text=True)
    for leak in ("secret detail", "Traceback", "RuntimeError", "SELECT", "password_hash", 'File "'):
        assert leak not in text
    assert body["request_id"] == "boom-1"
    assert response.headers["X-Request-ID"] == "boom-1"


# --- operational endpoints -----------------------------------------------------------------------


def test_health_says_ok(client: FlaskClient) -> None:
    response = client.get("/health")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.json == {"status": "ok"}


def test_readiness_reports_the_database_ok(client: FlaskClient) -> None:
    response = client.get("/health/ready")

    assert response.status_code == 200
    assert response.json["status"] == "ok"
    assert response.json["checks"]["database"]["status"] == "ok"


def test_health_needs_no_token(client: FlaskClient) -> None:
    assert client.get("/health", headers={"Authorization": "Bearer garbage"}).status_code == 200


def test_the_openapi_document_is_valid_json(client: FlaskClient) -> None:
    response = client.get("/openapi.json")

    assert response.status_code == 200
    document = json.loads(response.get_data(as_text=True))
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "Customer API"
    for path in ("/v1/customers", "/v1/customers/{customer_id}", "/v1/customers/{customer_id}/history"):
        assert path in document["paths"], sorted(document["paths"])


def test_the_openapi_document_describes_errors_as_problem_json(client: FlaskClient) -> None:
    document = client.get("/openapi.json").json
    responses: dict[str, Any] = document["components"]["responses"]

    error_responses = {name: response for name, response in responses.items() if "content" in response}
    for name in ("UNAUTHORIZED", "NOT_FOUND", "CONFLICT", "PRECONDITION_FAILED", "UNPROCESSABLE_ENTITY"):
        assert name in error_responses, sorted(responses)
    assert "DEFAULT_ERROR" in error_responses
    for name, response in error_responses.items():
        assert set(response["content"]) == {"application/problem+json"}, (name, response["content"])


def test_every_documented_error_of_a_customer_operation_is_problem_json(client: FlaskClient) -> None:
    document = client.get("/openapi.json").json
    components: dict[str, Any] = document["components"]["responses"]

    def resolved(response: dict[str, Any]) -> dict[str, Any]:
        if "$ref" in response:
            return resolved(components[response["$ref"].rsplit("/", 1)[-1]])
        return response

    seen = 0
    for path, operations in document["paths"].items():
        if not path.startswith("/v1/customers"):
            continue
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for status, response in operation["responses"].items():
                if status.isdigit() and int(status) >= 400:
                    content = resolved(response).get("content", {})
                    assert set(content) == {"application/problem+json"}, (path, status, content)
                    seen += 1
    assert seen >= 10
    customer = document["paths"]["/v1/customers/{customer_id}"]
    assert {"404", "412"} <= set(customer["patch"]["responses"])


@pytest.mark.parametrize("path", ["/apidocs", "/redoc"])
def test_the_api_documentation_pages_answer(client: FlaskClient, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 200
    assert response.mimetype == "text/html"
