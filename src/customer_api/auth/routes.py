"""Auth and user blueprints: log in, refresh, who am I, and user administration."""

from __future__ import annotations

from typing import Any

import jwt
from flask import request
from flask_jwt_extended import create_access_token, create_refresh_token, decode_token
from flask_jwt_extended.exceptions import JWTExtendedException
from werkzeug.exceptions import Unauthorized

from customer_api.auth.commands import RegisterUser
from customer_api.auth.domain import Role
from customer_api.auth.queries import InvalidCredentials
from customer_api.auth.schemas import (
    ApiKeyPageSchema,
    LoginSchema,
    NewApiKeyResponseSchema,
    NewApiKeySchema,
    NewUserSchema,
    RefreshSchema,
    TokenPairSchema,
    UserPageSchema,
    UserSchema,
)
from customer_api.auth.sessions import RefreshRefused
from customer_api.http.api import Blueprint
from customer_api.http.context import meta, services
from customer_api.http.guards import admin_only, authenticated, current_principal, public
from customer_api.http.paging import PageArgs, decode_cursor, page_body
from customer_api.shared.errors import NotFound
from customer_api.shared.ids import new_id

auth = Blueprint("auth", __name__, url_prefix="/v1/auth", description="Log in and manage tokens.")
users = Blueprint("users", __name__, url_prefix="/v1/users", description="Manage users (admins).")
api_keys = Blueprint(
    "api_keys", __name__, url_prefix="/v1/api-keys", description="Service accounts' API keys (admins)."
)
NO_AUTH = [{}]  # type: ignore[var-annotated]


@auth.route("/login", methods=["POST"])
@public
@auth.arguments(LoginSchema)
@auth.response(200, TokenPairSchema)
@auth.errors(401, 415)
@auth.doc(security=NO_AUTH)
def login(credentials: dict[str, Any]) -> dict[str, Any]:
    """Exchange an email and password for an access and a refresh token."""
    _limit_logins(credentials["email"])
    try:
        user = services().users.authenticate(credentials["email"], credentials["password"])
    except InvalidCredentials:
        raise Unauthorized("Invalid email or password.") from None
    session_id, refresh_jti = services().sessions.start(user["id"])
    return _token_pair(user, session_id, refresh_jti)


@auth.route("/refresh", methods=["POST"])
@public
@auth.arguments(RefreshSchema)
@auth.response(200, TokenPairSchema)
@auth.errors(401, 415)
@auth.doc(security=NO_AUTH)
def refresh(body: dict[str, Any]) -> dict[str, Any]:
    """Exchange a refresh token for a new pair. Each refresh token works once: presenting a used
    one ends its whole session."""
    refused = Unauthorized("The refresh token is invalid, expired or already used.")
    services().rate_limits.hit(services().settings.rate_limit_default, "refresh", request.remote_addr or "-")
    try:
        claims = decode_token(body["refresh_token"])
        if claims.get("type") != "refresh" or not claims.get("sid"):
            raise refused
        next_jti = services().sessions.rotate(claims["sid"], claims["jti"])
        user = services().users.get(claims["sub"])
    except (JWTExtendedException, jwt.PyJWTError, RefreshRefused, NotFound):
        raise refused from None
    return _token_pair(user, claims["sid"], next_jti)


@auth.route("/logout", methods=["POST"])
@authenticated
@auth.response(204)
@auth.errors(401)
def logout() -> None:
    """End this login session: its access and refresh tokens stop working at once."""
    session_id = current_principal().session_id
    if session_id is not None:
        services().sessions.revoke(session_id, "logout")


@auth.route("/me", methods=["GET"])
@authenticated
@auth.response(200, UserSchema)
@auth.errors(401)
def me() -> dict[str, Any]:
    """The user the access token belongs to (or the API key, which has no email)."""
    principal = current_principal()
    if principal.session_id is None:
        return {"id": principal.user_id, "email": None, "role": principal.role.value}
    try:
        return services().users.get(principal.user_id)
    except NotFound:
        raise Unauthorized("The user of this token no longer exists.") from None


@users.route("", methods=["POST"])
@admin_only
@users.arguments(NewUserSchema)
@users.response(201, UserSchema)
@users.errors(401, 403, 409, 415)
def create_user(data: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Create a user (admins only)."""
    user_id = new_id()
    services().bus.handle(RegisterUser(user_id, data["email"], data["password"], Role(data["role"])), meta())
    return services().users.get(user_id), 201


@users.route("", methods=["GET"])
@admin_only
@users.arguments(PageArgs, location="query")
@users.response(200, UserPageSchema)
@users.errors(401, 403)
def list_users(args: dict[str, Any]) -> dict[str, Any]:
    """List users by email (admins only)."""
    page = services().users.list(limit=args["limit"], after=decode_cursor(args.get("cursor"), "users"))
    return page_body(page, "users")


@api_keys.route("", methods=["POST"])
@admin_only
@api_keys.arguments(NewApiKeySchema)
@api_keys.response(201, NewApiKeyResponseSchema)
@api_keys.errors(401, 403, 415)
def create_api_key(data: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Make an API key (admins only). Its secret is in this response and nowhere else, ever."""
    key = services().api_keys.issue(data["name"], Role(data["role"]), current_principal().user_id)
    return key, 201


@api_keys.route("", methods=["GET"])
@admin_only
@api_keys.arguments(PageArgs, location="query")
@api_keys.response(200, ApiKeyPageSchema)
@api_keys.errors(401, 403)
def list_api_keys(args: dict[str, Any]) -> dict[str, Any]:
    """List the live API keys, without their secrets (admins only)."""
    page = services().api_keys.list(limit=args["limit"], after=decode_cursor(args.get("cursor"), "api-keys"))
    return page_body(page, "api-keys")


@api_keys.route("/<key_id>", methods=["DELETE"])
@admin_only
@api_keys.response(204)
@api_keys.errors(401, 403, 404)
def revoke_api_key(key_id: str) -> None:
    """Revoke an API key: it stops working at once (admins only)."""
    services().api_keys.revoke(key_id)


def _limit_logins(email: str) -> None:
    """Per client IP, and per email: guessing one account's password from many addresses is slowed
    down as well as guessing many accounts' from one."""
    settings, rate_limits = services().settings, services().rate_limits
    rate_limits.hit(settings.rate_limit_login, "login", request.remote_addr or "-")
    rate_limits.hit(settings.rate_limit_login_email, "login-email", email.strip().lower())


def _token_pair(user: dict[str, Any], session_id: str, refresh_jti: str) -> dict[str, Any]:
    settings = services().settings
    access_claims = {"role": user["role"], "sid": session_id}
    return {
        "access_token": create_access_token(identity=user["id"], additional_claims=access_claims),
        "refresh_token": create_refresh_token(
            identity=user["id"], additional_claims={"sid": session_id, "jti": refresh_jti}
        ),
        "token_type": "Bearer",
        "expires_in": settings.jwt_access_token_expires,
    }
