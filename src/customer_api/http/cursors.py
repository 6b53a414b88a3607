"""Opaque pagination cursors: the keyset position, bound to the collection and sort that produced
it, signed so that a forged or altered cursor is refused (422) rather than trusted."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any


class InvalidCursor(ValueError):
    pass


class CursorCodec:
    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(b"cursor:" + secret.encode()).digest()

    def encode(self, position: tuple[Any, ...] | None, scope: str) -> str | None:
        if position is None:
            return None
        payload = json.dumps([scope, list(position)], separators=(",", ":")).encode()
        return _b64(self._sign(payload) + payload)

    def decode(self, cursor: str | None, scope: str) -> tuple[Any, ...] | None:
        """The position in ``cursor``, which must have been made for ``scope``."""
        if cursor is None:
            return None
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            signature, payload = raw[:16], raw[16:]
            if not hmac.compare_digest(signature, self._sign(payload)):
                raise InvalidCursor("cursor is not one this service issued")
            made_for, position = json.loads(payload)
        except (ValueError, TypeError) as error:
            raise InvalidCursor(
                str(error) if isinstance(error, InvalidCursor) else "malformed cursor"
            ) from None
        if made_for != scope:
            raise InvalidCursor("cursor belongs to another collection or sort order")
        return tuple(position)

    def _sign(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()[:16]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
