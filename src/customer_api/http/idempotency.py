"""``Idempotency-Key`` on creating POSTs: a replay returns the first response and creates nothing.

Keys are scoped to the authenticated user and kept ``IDEMPOTENCY_TTL_SECONDS`` (24 h). While the
first request with a key runs, the same key is 409; with a different body, 422.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, Protocol, TypeVar

from flask import Response, make_response, request

from customer_api.http.context import services
from customer_api.http.guards import current_principal
from customer_api.shared.errors import Conflict, InvalidInput

HEADER = "Idempotency-Key"
VALID_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
REPLAYED_HEADERS = ("Content-Type", "Location", "ETag")
View = TypeVar("View", bound=Callable[..., Any])


@dataclass(frozen=True)
class StoredResponse:
    status: int
    headers: dict[str, str]
    body: str


class KeyInFlight(Conflict):
    pass


class KeyReused(InvalidInput):
    def __init__(self) -> None:
        super().__init__({HEADER: ["This key was used with a different request body."]})


class IdempotencyStore(Protocol):
    def claim(self, user_id: str, key: str, fingerprint: str) -> StoredResponse | None:
        """Claim ``key`` for a new request (``None``) or return the response it already has.

        Raises ``KeyInFlight`` while another request holds it, ``KeyReused`` for another body."""

    def finish(self, user_id: str, key: str, response: StoredResponse) -> None: ...

    def release(self, user_id: str, key: str) -> None:
        """Forget the claim, so that a retry runs again (the request failed)."""


def idempotent(view: View) -> View:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(HEADER)
        if key is None:
            return make_response(view(*args, **kwargs))
        if not VALID_KEY.match(key):
            raise InvalidInput({HEADER: ["Must be 1 to 255 visible ASCII characters."]})
        store = services().idempotency
        user_id = current_principal().user_id
        stored = store.claim(user_id, key, _fingerprint())
        if stored is not None:
            return _replay(stored)
        try:
            response = make_response(view(*args, **kwargs))
        except BaseException:
            store.release(user_id, key)
            raise
        if response.status_code >= 500:
            store.release(user_id, key)
        else:
            store.finish(user_id, key, _stored(response))
        return response

    return wrapper  # type: ignore[return-value]


def _fingerprint() -> str:
    """The same request: same method, path and JSON body (key order and spacing aside)."""
    raw = request.get_data(cache=True)
    try:
        body = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        body = raw
    return hashlib.sha256(f"{request.method} {request.path}\n".encode() + body).hexdigest()


def _stored(response: Response) -> StoredResponse:
    headers = {name: response.headers[name] for name in REPLAYED_HEADERS if name in response.headers}
    return StoredResponse(response.status_code, headers, response.get_data(as_text=True))


def _replay(stored: StoredResponse) -> Response:
    response = Response(stored.body, status=stored.status, headers=stored.headers)
    response.headers["Idempotent-Replayed"] = "true"
    return response
