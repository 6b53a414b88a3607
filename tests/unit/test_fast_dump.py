"""``fast_dump`` (http/api.py) must dump exactly what marshmallow's ``dump`` would, for what our views
return and for what they should not but might."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import marshmallow as ma
import pytest

from customer_api.auth.schemas import ApiKeyPageSchema, UserPageSchema
from customer_api.customers.schemas import CustomerPageSchema, CustomerSchema, HistoryPageSchema
from customer_api.http.api import fast_dump

ADDRESS = {
    "line1": "1 Main St",
    "line2": None,
    "city": "Paris",
    "region": None,
    "postal_code": "75001",
    "country": "FR",
}
CUSTOMER = {
    "id": "9e245b7e-f64f-4f26-bbc0-8d7c9088fd5c",
    "name": "Ada",
    "email": "ada@example.com",
    "phone": None,
    "address": ADDRESS,
    "version": 3,
    "created_at": "2026-11-23T00:15:17.438085Z",
    "updated_at": "2026-11-23T00:15:17.438085Z",
}
HISTORY_ENTRY = {
    "event_id": "0b6c4c5e-6c43-4b0e-9a43-3f1f0f5e9a10",
    "event_type": "customer.updated",
    "aggregate_version": 2,
    "occurred_at": "2026-11-23T00:15:17.438085Z",
    "actor": {"user_id": None},
    "request_id": "req-1",
    "changed": ["name", "address"],
}

CASES: list[tuple[type[ma.Schema], Any]] = [
    (CustomerSchema, CUSTOMER),
    (CustomerSchema, {**CUSTOMER, "address": None, "deleted_at": "x", "password_hash": "never shown"}),
    (CustomerSchema, {key: value for key, value in CUSTOMER.items() if key not in ("phone", "address")}),
    (CustomerSchema, {**CUSTOMER, "version": "3", "phone": 33}),  # not what the fields say: marshmallow's way
    (CustomerSchema, {**CUSTOMER, "address": {**ADDRESS, "extra": 1}}),
    (CustomerSchema, SimpleNamespace(**CUSTOMER)),  # not a dict: marshmallow's way
    (CustomerPageSchema, {"items": [CUSTOMER, {**CUSTOMER, "address": None}], "next_cursor": None}),
    (CustomerPageSchema, {"items": [], "next_cursor": "abc"}),
    (HistoryPageSchema, {"items": [HISTORY_ENTRY, {**HISTORY_ENTRY, "changed": None}], "next_cursor": None}),
    (UserPageSchema, {"items": [], "next_cursor": None}),
    (ApiKeyPageSchema, {"items": [], "next_cursor": None}),
]


@pytest.mark.parametrize(("schema_class", "obj"), CASES)
def test_fast_dump_gives_what_marshmallow_gives_key_for_key_in_order(
    schema_class: type[ma.Schema], obj: Any
) -> None:
    schema = schema_class()
    expected = schema.dump(obj)
    dumped = fast_dump(schema)(obj)
    assert dumped == expected
    assert list(dumped) == list(expected)


def test_many_dumps_each_item_as_marshmallow_does() -> None:
    schema = CustomerSchema(many=True)
    objects = [CUSTOMER, {**CUSTOMER, "address": None}]
    assert fast_dump(schema)(objects) == schema.dump(objects)
