"""Response headers that keep browsers and caches from doing what an API never wants, and CORS for
the origins ``ALLOWED_ORIGINS`` names (none by default)."""

from __future__ import annotations

from flask import Flask, Response, request
from flask_cors import CORS

# Responses that carry tokens or secrets: no cache anywhere may keep them.
SECRET_BEARING_PREFIXES = ("/v1/auth/", "/v1/api-keys")
CLIENT_HEADERS = [
    "Authorization",
    "Content-Type",
    "Idempotency-Key",
    "If-Match",
    "If-None-Match",
    "X-API-Key",
    "X-Request-ID",
]
EXPOSED_HEADERS = ["ETag", "Location", "Retry-After", "X-Request-ID", "Idempotent-Replayed"]


def register(app: Flask, allowed_origins: tuple[str, ...]) -> None:
    if allowed_origins:
        CORS(
            app,
            origins=list(allowed_origins),
            allow_headers=CLIENT_HEADERS,
            expose_headers=EXPOSED_HEADERS,
            max_age=600,
        )

    @app.after_request
    def _harden(response: Response) -> Response:
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"
        # Replaces the WSGI server's own, which names its version.
        response.headers["Server"] = "customer-api"
        if request.path.startswith(SECRET_BEARING_PREFIXES):
            response.headers["Cache-Control"] = "no-store"
        return response
