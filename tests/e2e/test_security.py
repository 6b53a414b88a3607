"""Sessions, revocation, token hygiene and API keys, through the HTTP interface."""

import base64
import dataclasses
import json

from flask import Flask
from flask.testing import FlaskClient

from customer_api import create_app
from customer_api.auth.domain import Role
from customer_api.config import Settings
from tests.conftest import PASSWORD, register, running_app

NEW_CUSTOMER = {"name": "Ada", "email": "ada@example.com"}


def log_in(client: FlaskClient, email: str = "user@example.com") -> dict[str, str]:
    response = client.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200
    return dict(response.json)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def refresh(client: FlaskClient, token: str) -> int:
    return client.post("/v1/auth/refresh", json={"refresh_token": token}).status_code


def test_a_refresh_token_works_once_and_its_reuse_ends_the_whole_session(
    app: Flask, client: FlaskClient
) -> None:
    register(app, "user@example.com")
    first = log_in(client)
    second = client.post("/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}).json
    assert client.get("/v1/auth/me", headers=bearer(second["access_token"])).status_code == 200

    assert refresh(client, first["refresh_token"]) == 401  # replayed: stolen, say
    assert client.get("/v1/auth/me", headers=bearer(second["access_token"])).status_code == 401
    assert refresh(client, second["refresh_token"]) == 401
    assert client.get("/v1/auth/me", headers=bearer(log_in(client)["access_token"])).status_code == 200


def test_logout_stops_the_sessions_tokens_at_once_on_every_instance_and_after_a_restart(
    app: Flask, client: FlaskClient, settings: Settings
) -> None:
    register(app, "user@example.com")
    tokens = log_in(client)
    other_session = log_in(client)
    other_instance = create_app(settings)
    try:
        other = other_instance.test_client()
        assert other.get("/v1/auth/me", headers=bearer(tokens["access_token"])).status_code == 200

        assert client.post("/v1/auth/logout", headers=bearer(tokens["access_token"])).status_code == 204
        assert client.get("/v1/auth/me", headers=bearer(tokens["access_token"])).status_code == 401
        assert refresh(client, tokens["refresh_token"]) == 401
        restarted = create_app(settings).test_client()
        assert restarted.get("/v1/auth/me", headers=bearer(tokens["access_token"])).status_code == 401
        assert restarted.get("/v1/auth/me", headers=bearer(other_session["access_token"])).status_code == 200
    finally:
        other_instance.extensions["customer_api"].engine.dispose()


def _segments(token: str) -> list[dict[str, object]]:
    header, payload, _ = token.split(".")
    return [json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))) for part in (header, payload)]


def _encode(part: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()


def test_an_unsigned_or_tampered_token_is_refused(app: Flask, client: FlaskClient) -> None:
    register(app, "user@example.com")
    token = log_in(client)["access_token"]
    header, payload = _segments(token)
    unsigned = f"{_encode({**header, 'alg': 'none'})}.{_encode(payload)}."
    promoted = f"{_encode(header)}.{_encode({**payload, 'role': 'admin'})}.{token.split('.')[2]}"
    for forged in (unsigned, promoted):
        assert client.get("/v1/users", headers=bearer(forged)).status_code == 401
    assert client.get("/v1/auth/me", headers=bearer(token)).status_code == 200


def test_an_access_token_cannot_refresh_and_a_refresh_token_cannot_call_the_api(
    app: Flask, client: FlaskClient
) -> None:
    register(app, "user@example.com")
    tokens = log_in(client)
    assert refresh(client, tokens["access_token"]) == 401
    assert client.get("/v1/auth/me", headers=bearer(tokens["refresh_token"])).status_code == 401


def test_a_client_cannot_give_itself_a_role_or_an_id(
    client: FlaskClient, user_headers: dict[str, str]
) -> None:
    created = client.post("/v1/customers", json={**NEW_CUSTOMER, "role": "admin"}, headers=user_headers)
    assert created.status_code == 422
    assert "role" in created.json["errors"]
    login = client.post(
        "/v1/auth/login", json={"email": "user@example.com", "password": PASSWORD, "role": "admin"}
    )
    assert login.status_code == 422


def test_an_api_key_is_shown_once_works_as_its_role_and_stops_when_revoked(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    made = client.post("/v1/api-keys", json={"name": "billing sync", "role": "user"}, headers=admin_headers)
    assert made.status_code == 201
    assert set(made.json) == {"id", "name", "role", "key", "created_at"}
    key = {"X-API-Key": made.json["key"]}

    listed = client.get("/v1/api-keys", headers=admin_headers).json["items"]
    assert [item["id"] for item in listed] == [made.json["id"]]
    assert made.json["key"] not in json.dumps(listed)

    created = client.post("/v1/customers", json=NEW_CUSTOMER, headers=key)
    assert created.status_code == 201
    assert client.get("/v1/users", headers=key).status_code == 403
    history = client.get(f"/v1/customers/{created.json['id']}/history", headers=key).json
    assert history["items"][0]["actor"] == {"user_id": f"api-key:{made.json['id']}"}

    assert client.delete(f"/v1/api-keys/{made.json['id']}", headers=admin_headers).status_code == 204
    assert client.get("/v1/customers", headers=key).status_code == 401
    assert client.delete(f"/v1/api-keys/{made.json['id']}", headers=admin_headers).status_code == 404
    assert client.get("/v1/customers", headers={"X-API-Key": "cak_not-a-key"}).status_code == 401


def test_only_admins_manage_api_keys(client: FlaskClient, user_headers: dict[str, str]) -> None:
    assert client.post("/v1/api-keys", json={"name": "x"}, headers=user_headers).status_code == 403
    assert client.get("/v1/api-keys", headers=user_headers).status_code == 403


def test_the_master_token_is_an_admin_key_when_set(settings: Settings) -> None:
    with running_app(dataclasses.replace(settings, master_token="m" * 40)) as app:
        client = app.test_client()
        assert client.get("/v1/users", headers={"X-API-Key": "m" * 40}).status_code == 200
        assert client.get("/v1/users", headers={"X-API-Key": "m" * 39}).status_code == 401


def test_without_a_master_token_no_key_is_one(app: Flask, client: FlaskClient) -> None:
    register(app, "admin@example.com", Role.ADMIN)
    assert client.get("/v1/users", headers={"X-API-Key": ""}).status_code == 401


def test_responses_carry_hardening_headers_and_secrets_are_never_cached(
    app: Flask, client: FlaskClient
) -> None:
    register(app, "user@example.com")
    login = client.post("/v1/auth/login", json={"email": "user@example.com", "password": PASSWORD})
    assert login.headers["Cache-Control"] == "no-store"
    assert login.headers["X-Content-Type-Options"] == "nosniff"
    health = client.get("/health")
    assert health.headers["Server"] == "customer-api"
    assert (
        "Access-Control-Allow-Origin"
        not in client.get("/health", headers={"Origin": "https://evil.example"}).headers
    )


def test_cors_answers_the_allowed_origins_only(settings: Settings) -> None:
    with running_app(dataclasses.replace(settings, allowed_origins=("https://app.example",))) as app:
        client = app.test_client()
        preflight = client.options(
            "/v1/customers",
            headers={
                "Origin": "https://app.example",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "Authorization, Content-Type, Idempotency-Key",
            },
        )
        assert preflight.headers["Access-Control-Allow-Origin"] == "https://app.example"
        assert "idempotency-key" in preflight.headers["Access-Control-Allow-Headers"].lower()
        other = client.get("/health", headers={"Origin": "https://evil.example"})
        assert "Access-Control-Allow-Origin" not in other.headers
