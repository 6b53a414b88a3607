"""Who may call what: every view declares one rule, ``public``, ``authenticated`` or ``admin_only``.

A test walks the URL map and fails on any view without a rule, so nothing is open by accident.

On the hot path a bearer token costs no cryptography once this process has verified it (see
``VerifiedTokens``), and one cache round trip: the caller's rate-limit count, their login
session's state and what the view declared with ``prefetch`` come back together.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

import jwt
from flask import Flask, current_app, g, request
from flask_jwt_extended import get_jwt, verify_jwt_in_request
from flask_jwt_extended.exceptions import JWTExtendedException, NoAuthorizationError, WrongTokenError
from werkzeug.exceptions import Unauthorized

from customer_api.auth.domain import Role
from customer_api.auth.sessions import cache_key
from customer_api.http.context import services
from customer_api.shared.errors import Forbidden

View = TypeVar("View", bound=Callable[..., Any])
AUTH_RULE = "_auth_rule"
PREFETCH = "_prefetch"
API_KEY_HEADER = "X-API-Key"
# RFC 8725: a token without these is not one of ours, whatever its signature says.
REQUIRED_CLAIMS = ("sub", "jti", "iat", "nbf", "exp", "role", "sid")
TOKENS = "customer_api.verified_tokens"


class VerifiedTokens:
    """The access tokens this process has verified, with their claims, by Authorization header. A
    token seen again is checked for expiry only: its signature, type and claims were verified when
    it was first seen, and a token cannot change. Revocation is the session check's, on every
    request. flask-jwt-extended would decode and verify each one again, which took a sixth of a
    cached read's CPU. Holds ``size`` tokens at most, forgetting the oldest first."""

    def __init__(self, size: int = 4096, clock: Callable[[], float] = time.time) -> None:
        self._claims: dict[str, dict[str, Any]] = {}
        self._size = size
        self._clock = clock
        self._lock = threading.Lock()

    def get(self, header: str) -> dict[str, Any] | None:
        claims = self._claims.get(header)
        if claims is not None and claims["exp"] > self._clock():
            return claims
        return None

    def add(self, header: str, claims: dict[str, Any]) -> None:
        with self._lock:
            self._claims[header] = claims
            while len(self._claims) > self._size:
                del self._claims[next(iter(self._claims))]


def register(app: Flask) -> None:
    app.extensions[TOKENS] = VerifiedTokens()


@dataclass(frozen=True)
class Principal:
    """Who is calling: a user (with the login session of their token) or an API key."""

    user_id: str
    role: Role
    session_id: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


class BearerRequired(Unauthorized):
    def get_headers(self, *args: Any, **kwargs: Any) -> list[tuple[str, str]]:
        return [*super().get_headers(*args, **kwargs), ("WWW-Authenticate", "Bearer")]


def public(view: View) -> View:
    setattr(view, AUTH_RULE, "public")
    return view


def authenticated(view: View) -> View:
    return _guarded(view, "authenticated", admin=False)


def admin_only(view: View) -> View:
    return _guarded(view, "admin", admin=True)


def prefetch(keys: Callable[..., list[str]]) -> Callable[[View], View]:
    """Under ``authenticated`` or ``admin_only``: the guard reads the cache entries
    ``keys(**view_args)`` in its own round trip, and the view takes them with ``prefetched``."""

    def decorate(view: View) -> View:
        setattr(view, PREFETCH, keys)
        return view

    return decorate


def prefetched(keys: list[str]) -> list[Any | None] | None:
    """The cache's values of ``keys`` as the guard read them for this request; ``None`` unless it
    read every one of them (then the caller reads them itself)."""
    found: dict[str, Any] = g.get("prefetched", {})
    return [found[key] for key in keys] if all(key in found for key in keys) else None


def current_principal() -> Principal:
    principal: Principal = g.principal
    return principal


def _guarded(view: View, rule: str, *, admin: bool) -> View:
    keys_of: Callable[..., list[str]] | None = getattr(view, PREFETCH, None)

    @wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        g.principal = _authenticate(keys_of(**kwargs) if keys_of else [])
        if admin and not g.principal.is_admin:
            raise Forbidden("this operation is for admins only")
        return view(*args, **kwargs)

    setattr(guarded, AUTH_RULE, rule)
    return guarded  # type: ignore[return-value]


def _authenticate(wanted: list[str]) -> Principal:
    """The caller, counted against their rate limit (admins have their own); when the credentials
    are refused, the client IP's is counted instead. Reads ``wanted`` into ``g.prefetched``."""
    settings, rate_limits = services().settings, services().rate_limits
    try:
        principal = _credentials()
    except BearerRequired:
        rate_limits.hit(settings.rate_limit_default, "anonymous", request.remote_addr or "unknown")
        raise
    limit = settings.rate_limit_admin if principal.is_admin else settings.rate_limit_default
    if principal.session_id is None:
        values = rate_limits.hit(limit, "user", principal.user_id, read=wanted)
    else:
        read = [cache_key(principal.session_id), *wanted]
        session, *values = rate_limits.hit(limit, "user", principal.user_id, read=read)
        if not services().sessions.is_active(principal.session_id, cached=session):
            raise BearerRequired("The session of this token has ended; log in again.")
    g.prefetched = dict(zip(wanted, values, strict=True))
    return principal


def _credentials() -> Principal:
    """Who the API key or the access token says is calling (whether the session is live, aside)."""
    secret = request.headers.get(API_KEY_HEADER)
    if secret is not None:
        key = services().api_keys.authenticate(secret)
        if key is None:
            raise BearerRequired("The API key is invalid or revoked.")
        return Principal(user_id=f"api-key:{key['id']}", role=Role(key["role"]))
    claims = _verified_claims()
    return Principal(user_id=claims["sub"], role=Role(claims["role"]), session_id=claims["sid"])


def _verified_claims() -> dict[str, Any]:
    tokens: VerifiedTokens = current_app.extensions[TOKENS]
    header = request.headers.get("Authorization", "")
    claims = tokens.get(header)
    if claims is not None:
        return claims
    try:
        verify_jwt_in_request()
    except jwt.ExpiredSignatureError:
        raise BearerRequired("The access token has expired.") from None
    except (JWTExtendedException, jwt.PyJWTError) as error:
        raise BearerRequired(_why(error)) from None
    claims = get_jwt()
    if not all(claims.get(claim) for claim in REQUIRED_CLAIMS):
        raise BearerRequired("The access token is invalid.")
    tokens.add(header, claims)
    return claims


def _why(error: Exception) -> str:
    if isinstance(error, NoAuthorizationError):
        return "A bearer access token is required."
    if isinstance(error, WrongTokenError):
        return "An access token is required, not a refresh token."
    return "The access token is invalid."
