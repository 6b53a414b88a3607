"""Auth and user blueprints: log in, refresh, who am I, and user administration."""

from __future__ import annotations

from typing import Any

import jwt
from flask_jwt_extended import create_access_token, create_refresh_token, decode_token
from flask_jwt_extended.exceptions import JWTExtendedException
from werkzeug.exceptions import Unauthorized

from customer_api.auth.commands import RegisterUser
from customer_api.auth.domain import Role
from customer_api.auth.queries import InvalidCredentials
from customer_api.auth.schemas import (
    LoginSchema,
    NewUserSchema,
    RefreshSchema,
    TokenPairSchema,
    UserPageSchema,
    UserSchema,
)
from customer_api.http.api import Blueprint
from customer_api.http.context import meta, services
from customer_api.http.guards import admin_only, authenticated, current_principal, public
from customer_api.http.paging import PageArgs, decode_cursor, page_body
from customer_api.shared.errors import NotFound
from customer_api.shared.ids import new_id

auth = Blueprint("auth", __name__, url_prefix="/v1/auth", description="Log in and manage tokens.")
users = Blueprint("users", __name__, url_prefix="/v1/users", description="Manage users (admins).")
NO_AUTH = [{}]  # type: ignore[var-annotated]


@auth.route("/login", methods=["POST"])
@public
@auth.arguments(LoginSchema)
@auth.response(200, TokenPairSchema)
@auth.errors(401, 415)
@auth.doc(security=NO_AUTH)
def login(credentials: dict[str, Any]) -> dict[str, Any]:
    """Exchange an email and password for an access and a refresh token."""
    try:
        user = services().users.authenticate(credentials["email"], credentials["password"])
    except InvalidCredentials:
        raise Unauthorized("Invalid email or password.") from None
    return _token_pair(user)


@auth.route("/refresh", methods=["POST"])
@public
@auth.arguments(RefreshSchema)
@auth.response(200, TokenPairSchema)
@auth.errors(401, 415)
@auth.doc(security=NO_AUTH)
def refresh(body: dict[str, Any]) -> dict[str, Any]:
    """Exchange a refresh token for a new pair."""
    try:
        claims = decode_token(body["refresh_token"])
        if claims.get("type") != "refresh":
            raise Unauthorized("A refresh token is required.")
        user = services().users.get(claims["sub"])
    except (JWTExtendedException, jwt.PyJWTError, NotFound):
        raise Unauthorized("The refresh token is invalid or expired.") from None
    return _token_pair(user)


@auth.route("/me", methods=["GET"])
@authenticated
@auth.response(200, UserSchema)
@auth.errors(401)
def me() -> dict[str, Any]:
    """The user the access token belongs to."""
    try:
        return services().users.get(current_principal().user_id)
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


def _token_pair(user: dict[str, Any]) -> dict[str, Any]:
    settings = services().settings
    return {
        "access_token": create_access_token(identity=user["id"], additional_claims={"role": user["role"]}),
        "refresh_token": create_refresh_token(identity=user["id"]),
        "token_type": "Bearer",
        "expires_in": settings.jwt_access_token_expires,
    }
