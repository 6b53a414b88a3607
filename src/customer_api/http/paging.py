"""Keyset pages in and out of the HTTP layer: cursor in the query, ``{"items", "next_cursor"}`` out."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from customer_api.http.context import services
from customer_api.http.cursors import InvalidCursor
from customer_api.shared.errors import InvalidInput
from customer_api.shared.pages import Page


class PageArgs(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 100))
    cursor = fields.String(metadata={"description": "next_cursor of the previous page"})


def decode_cursor(cursor: str | None, scope: str) -> tuple[Any, ...] | None:
    try:
        return services().cursors.decode(cursor, scope)
    except InvalidCursor as error:
        raise InvalidInput({"cursor": [str(error)]}) from None


def page_body(page: Page, scope: str) -> dict[str, Any]:
    return {"items": page.items, "next_cursor": services().cursors.encode(page.next_after, scope)}
