"""RFC 9457 problem details for every 4xx and 5xx, and the one place domain errors become statuses."""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from customer_api.http.api import PROBLEM_JSON
from customer_api.shared.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    PreconditionFailed,
    Unavailable,
)

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = "5"
STATUS_OF: dict[type[DomainError], int] = {
    NotFound: 404,
    Conflict: 409,
    PreconditionFailed: 412,
    Forbidden: 403,
    InvalidInput: 422,
}
# Headers of an HTTPException worth keeping in the problem response (405 must keep Allow).
KEPT_HEADERS = {"allow", "www-authenticate", "retry-after"}


def problem(
    status: int,
    detail: str | None = None,
    *,
    errors: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    title: str | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title or HTTP_STATUS_CODES.get(status, "Error"),
        "status": status,
        "detail": detail or HTTP_STATUS_CODES.get(status, "Error"),
        "instance": request.path,
        "request_id": g.get("request_id"),
    }
    if errors:
        body["errors"] = errors
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    response.headers.update(headers or {})
    return response


def register(app: Flask) -> None:
    app.register_error_handler(HTTPException, _http_exception)
    app.register_error_handler(DomainError, _domain_error)
    app.register_error_handler(Unavailable, _unavailable)
    app.register_error_handler(Exception, _unexpected)


def _http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    if status >= 500:
        return _unexpected(error)
    # webargs' abort() attaches what it knows as error.data.
    data: dict[str, Any] = getattr(error, "data", None) or {}
    headers = {k: v for k, v in error.get_headers() if k.lower() in KEPT_HEADERS}
    headers.update(data.get("headers") or {})
    errors, other_messages = _by_field(data.get("messages"))
    detail = data.get("message") or other_messages or ("Validation failed." if errors else None)
    detail = detail or _first_sentence(error.description)
    return problem(
        status,
        detail,
        errors=errors,
        headers=headers,
    )


def _domain_error(error: DomainError) -> Response:
    status = next(code for kind, code in STATUS_OF.items() if isinstance(error, kind))
    errors = error.errors if isinstance(error, InvalidInput) else None
    detail = "Validation failed." if errors else str(error)
    return problem(status, detail, errors=errors)


def _unavailable(error: Unavailable) -> Response:
    log.warning("answering 503: %s", error)
    return problem(
        503,
        "A required service is unavailable; try again shortly.",
        headers={"Retry-After": RETRY_AFTER_SECONDS},
    )


def _unexpected(error: Exception) -> Response:
    original = getattr(error, "original_exception", None) or error
    log.error("unhandled error on %s %s", request.method, request.path, exc_info=original)
    return problem(500, "The server could not complete the request.")


def _by_field(messages: dict[str, Any] | None) -> tuple[dict[str, Any] | None, str | None]:
    """webargs keys its messages by location ("json", "query", …); clients want them by field.
    A location may instead hold plain sentences ("Invalid JSON body."): those become the detail."""
    by_field: dict[str, Any] = {}
    sentences: list[str] = []
    for location_messages in (messages or {}).values():
        if isinstance(location_messages, dict):
            by_field.update(location_messages)
        else:
            sentences.extend(str(message) for message in location_messages)
    return by_field or None, " ".join(sentences) or None


def _first_sentence(description: str | None) -> str | None:
    return description.split(". ")[0].rstrip(".") + "." if description else None
