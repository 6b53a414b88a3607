"""Request and response schemas of the customer context.

Schemas check shape (types, required and unknown fields) and document the limits; the domain
enforces the rules on the values (``customers/domain.py``), all at once, so each is written once.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from customer_api.customers.domain import ADDRESS_LINE_MAX, NAME_MAX, PHONE_PATTERN
from customer_api.customers.queries import SORTS
from customer_api.http.paging import PageArgs
from customer_api.shared.emails import EMAIL_MAX

Timestamp = fields.String(metadata={"format": "date-time", "example": "2026-11-22T20:08:44.123456Z"})


def _text(
    *, required: bool = False, nullable: bool = True, max_length: int = ADDRESS_LINE_MAX
) -> fields.String:
    return fields.String(required=required, allow_none=nullable, metadata={"maxLength": max_length})


class AddressSchema(Schema):
    line1 = _text(required=True, nullable=False)
    line2 = _text()
    city = _text(required=True, nullable=False)
    region = _text()
    postal_code = _text(max_length=32)
    country = fields.String(
        required=True,
        metadata={"description": "ISO 3166-1 alpha-2", "example": "DE", "pattern": "^[A-Za-z]{2}$"},
    )


class AddressPatchSchema(Schema):
    """A partial address, merged into the stored one; ``null`` clears a field."""

    line1 = _text()
    line2 = _text()
    city = _text()
    region = _text()
    postal_code = _text(max_length=32)
    country = fields.String(allow_none=True)


class CustomerInSchema(Schema):
    """The whole writable customer: POST and PUT. An omitted optional field becomes null."""

    name = fields.String(required=True, metadata={"maxLength": NAME_MAX, "example": "Ada Lovelace"})
    email = fields.String(
        required=True, metadata={"format": "email", "maxLength": EMAIL_MAX, "example": "ada@example.com"}
    )
    phone = fields.String(allow_none=True, load_default=None, metadata={"pattern": PHONE_PATTERN})
    address = fields.Nested(AddressSchema, allow_none=True, load_default=None)


class CustomerPatchSchema(Schema):
    """A JSON merge patch (RFC 7396) of the writable fields."""

    name = fields.String(metadata={"maxLength": NAME_MAX})
    email = fields.String(metadata={"format": "email", "maxLength": EMAIL_MAX})
    phone = fields.String(allow_none=True, metadata={"pattern": PHONE_PATTERN})
    address = fields.Nested(AddressPatchSchema, allow_none=True)


class AddressOutSchema(Schema):
    line1 = fields.String()
    line2 = fields.String(allow_none=True)
    city = fields.String()
    region = fields.String(allow_none=True)
    postal_code = fields.String(allow_none=True)
    country = fields.String()


class CustomerSchema(Schema):
    id = fields.String(metadata={"format": "uuid"})
    name = fields.String()
    email = fields.String(metadata={"format": "email"})
    phone = fields.String(allow_none=True)
    address = fields.Nested(AddressOutSchema, allow_none=True)
    version = fields.Integer()
    created_at = Timestamp
    updated_at = Timestamp


class ListCustomersArgs(PageArgs):
    sort = fields.String(load_default="created_at", validate=validate.OneOf(list(SORTS)))
    email = fields.String(metadata={"description": "Exact match, case-insensitive"})
    name = fields.String(metadata={"description": "Prefix, case-insensitive; % and _ are literal"})
    include_deleted = fields.Boolean(load_default=False, metadata={"description": "Admins only"})


class CustomerPageSchema(Schema):
    items = fields.List(fields.Nested(CustomerSchema))
    next_cursor = fields.String(allow_none=True)


class ActorSchema(Schema):
    user_id = fields.String(allow_none=True)


class HistoryEntrySchema(Schema):
    event_id = fields.String(metadata={"format": "uuid"})
    event_type = fields.String(metadata={"example": "customer.updated"})
    aggregate_version = fields.Integer()
    occurred_at = Timestamp
    actor = fields.Nested(ActorSchema)
    request_id = fields.String(allow_none=True)
    changed = fields.List(fields.String(), allow_none=True)


class HistoryPageSchema(Schema):
    items = fields.List(fields.Nested(HistoryEntrySchema))
    next_cursor = fields.String(allow_none=True)
