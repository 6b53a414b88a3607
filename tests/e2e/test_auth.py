from flask import Flask
from flask.testing import FlaskClient

from customer_api.auth.domain import Role
from customer_api.http.guards import AUTH_RULE
from tests.conftest import PASSWORD, login, register


def test_login_returns_a_bearer_pair_that_opens_the_api(app: Flask, client: FlaskClient) -> None:
    register(app, "ada@example.com")
    response = client.post("/v1/auth/login", json={"email": "ADA@example.com", "password": PASSWORD})
    assert response.status_code == 200
    assert set(response.json) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert (response.json["token_type"], response.json["expires_in"]) == ("Bearer", 1800)
    me = client.get("/v1/auth/me", headers={"Authorization": f"Bearer {response.json['access_token']}"})
    assert me.status_code == 200
    assert set(me.json) == {"id", "email", "role"}
    assert (me.json["email"], me.json["role"]) == ("ada@example.com", "user")


def test_an_unknown_email_and_a_wrong_password_get_the_same_401(app: Flask, client: FlaskClient) -> None:
    register(app, "ada@example.com")
    wrong = client.post("/v1/auth/login", json={"email": "ada@example.com", "password": "wrong password"})
    unknown = client.post("/v1/auth/login", json={"email": "eve@example.com", "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.content_type == "application/problem+json"
    assert wrong.json["detail"] == unknown.json["detail"]


def test_a_refresh_token_gets_a_new_pair_and_an_access_token_cannot_refresh(
    app: Flask, client: FlaskClient
) -> None:
    register(app, "ada@example.com")
    pair = client.post("/v1/auth/login", json={"email": "ada@example.com", "password": PASSWORD}).json
    refreshed = client.post("/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert refreshed.status_code == 200
    assert set(refreshed.json) == {"access_token", "refresh_token", "token_type", "expires_in"}
    headers = {"Authorization": f"Bearer {refreshed.json['access_token']}"}
    assert client.get("/v1/auth/me", headers=headers).status_code == 200
    assert client.post("/v1/auth/refresh", json={"refresh_token": pair["access_token"]}).status_code == 401
    assert client.post("/v1/auth/refresh", json={"refresh_token": "garbage"}).status_code == 401


def test_an_admin_creates_and_lists_users_and_a_duplicate_email_is_a_conflict(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    body = {"email": "bob@example.com", "password": "long enough", "role": "user"}
    created = client.post("/v1/users", json=body, headers=admin_headers)
    assert created.status_code == 201
    assert set(created.json) == {"id", "email", "role"}
    assert (
        client.post("/v1/users", json={**body, "email": "BOB@example.com"}, headers=admin_headers).status_code
        == 409
    )
    login(client, "bob@example.com", "long enough")

    first = client.get("/v1/users?limit=1", headers=admin_headers)
    assert first.status_code == 200
    second = client.get(f"/v1/users?limit=1&cursor={first.json['next_cursor']}", headers=admin_headers)
    emails = [user["email"] for user in first.json["items"] + second.json["items"]]
    assert emails == ["admin@example.com", "bob@example.com"]
    assert second.json["next_cursor"] is None


def test_a_user_is_validated_before_it_is_created(client: FlaskClient, admin_headers: dict[str, str]) -> None:
    short = client.post(
        "/v1/users", json={"email": "c@example.com", "password": "short"}, headers=admin_headers
    )
    assert short.status_code == 422
    assert "password" in short.json["errors"]
    bad_role = client.post(
        "/v1/users",
        json={"email": "c@example.com", "password": "long enough", "role": "root"},
        headers=admin_headers,
    )
    assert bad_role.status_code == 422
    assert "role" in bad_role.json["errors"]


def test_a_plain_user_may_not_administer_users(client: FlaskClient, user_headers: dict[str, str]) -> None:
    body = {"email": "mallory@example.com", "password": "long enough", "role": "admin"}
    assert client.post("/v1/users", json=body, headers=user_headers).status_code == 403
    assert client.get("/v1/users", headers=user_headers).status_code == 403


def test_every_v1_endpoint_but_login_and_refresh_needs_a_token(app: Flask, client: FlaskClient) -> None:
    register(app, "ada@example.com", Role.ADMIN)
    public = {"/v1/auth/login", "/v1/auth/refresh"}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/v1") or rule.rule in public:
            continue
        path = rule.rule.replace("<customer_id>", "00000000-0000-4000-8000-000000000000")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.open(path, method=method, json={})
            assert response.status_code == 401, f"{method} {rule.rule} answered {response.status_code}"


def test_every_view_declares_its_auth_rule(app: Flask) -> None:
    exempt = {"static", "api-docs.openapi_json", "api-docs.openapi_swagger_ui", "api-docs.openapi_redoc"}
    for endpoint, view in app.view_functions.items():
        if endpoint in exempt:
            continue
        view_class = getattr(view, "view_class", None)
        handlers = [getattr(view_class, m.lower()) for m in view_class.methods] if view_class else [view]
        for handler in handlers:
            assert getattr(handler, AUTH_RULE, None), f"{endpoint} {handler.__name__} has no auth rule"
