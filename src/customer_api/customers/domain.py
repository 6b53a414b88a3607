"""The customer aggregate, its value objects, events and rules. Pure Python."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from customer_api.customers.countries import ASSIGNED_COUNTRY_CODES
from customer_api.shared.aggregate import Aggregate
from customer_api.shared.emails import normalized_email
from customer_api.shared.errors import Conflict, InvalidInput, NotFound, PreconditionFailed
from customer_api.shared.events import Event
from customer_api.shared.ids import rfc3339

NAME_MAX = 200
ADDRESS_LINE_MAX = 200
PHONE_PATTERN = r"^\+[0-9]{2,15}$"
FIELDS = ("name", "email", "phone", "address")
ADDRESS_FIELDS = ("line1", "line2", "city", "region", "postal_code", "country")
REQUIRED_ADDRESS_FIELDS = ("line1", "city", "country")
MISSING = "Missing data for required field."

Address = dict[str, str | None]


class DuplicateEmail(Conflict):
    """Another customer that is not deleted already has this email."""


@dataclass(frozen=True)
class CustomerEvent(Event):
    aggregate_type = "customer"


@dataclass(frozen=True)
class CustomerCreated(CustomerEvent):
    event_type = "customer.created"


@dataclass(frozen=True)
class CustomerUpdated(CustomerEvent):
    event_type = "customer.updated"
    changed: tuple[str, ...] = ()


@dataclass(frozen=True)
class CustomerDeleted(CustomerEvent):
    event_type = "customer.deleted"


@dataclass(frozen=True)
class CustomerRestored(CustomerEvent):
    event_type = "customer.restored"


EVENT_TYPES: dict[str, type[CustomerEvent]] = {
    event.event_type: event for event in (CustomerCreated, CustomerUpdated, CustomerDeleted, CustomerRestored)
}


@dataclass(frozen=True)
class CustomerDetails:
    """What a client may write. Construct with ``CustomerDetails.of``, which normalises and checks."""

    name: str
    email: str
    phone: str | None = None
    address: Address | None = None

    @classmethod
    def of(
        cls,
        name: Any,
        email: Any,
        phone: Any = None,
        address: Mapping[str, Any] | None = None,
    ) -> CustomerDetails:
        errors: dict[str, object] = {}
        name = name.strip() if isinstance(name, str) else ""
        if not 1 <= len(name) <= NAME_MAX:
            errors["name"] = [f"Length must be between 1 and {NAME_MAX}."]
        email = normalized_email(email)
        if email is None:
            errors["email"] = ["Not a valid email address."]
        if phone is not None and not re.match(PHONE_PATTERN, phone):
            errors["phone"] = ["Must be E.164: '+' then 2 to 15 digits."]
        if address is not None:
            address, address_errors = _checked_address(address)
            if address_errors:
                errors["address"] = address_errors
        if errors:
            raise InvalidInput(errors)
        return cls(name=name, email=email, phone=phone, address=address)

    def merged(self, patch: Mapping[str, Any]) -> CustomerDetails:
        """Apply a JSON merge patch (RFC 7396): ``None`` clears, a partial address merges."""
        values: dict[str, Any] = {name: getattr(self, name) for name in FIELDS}
        for name, value in patch.items():
            if name == "address" and isinstance(value, Mapping):
                address = dict(self.address or {})
                address.update(value)
                value = address
            values[name] = value
        return CustomerDetails.of(**values)


class Customer(Aggregate):
    def __init__(
        self,
        id: str,
        details: CustomerDetails,
        *,
        version: int,
        created_at: datetime,
        updated_at: datetime,
        deleted_at: datetime | None = None,
    ) -> None:
        super().__init__()
        self.id = id
        self.details = details
        self.version = version
        self.created_at = created_at
        self.updated_at = updated_at
        self.deleted_at = deleted_at

    @classmethod
    def create(cls, id: str, details: CustomerDetails, now: datetime) -> Customer:
        customer = cls(id, details, version=1, created_at=now, updated_at=now)
        customer.record(CustomerCreated(id, 1, customer.snapshot()))
        return customer

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def check_version(self, expected: frozenset[int] | None) -> None:
        """``expected``: the versions the client's ``If-Match`` names; ``None`` means any."""
        if expected is not None and self.version not in expected:
            raise PreconditionFailed(
                f"customer {self.id} is at version {self.version}, which If-Match does not name"
            )

    def update(self, details: CustomerDetails, now: datetime) -> None:
        self._ensure_live()
        changed = tuple(name for name in FIELDS if getattr(details, name) != getattr(self.details, name))
        self.details = details
        self._bump(now)
        self.record(CustomerUpdated(self.id, self.version, self.snapshot(), changed=changed))

    def delete(self, now: datetime) -> None:
        self._ensure_live()
        self.deleted_at = now
        self._bump(now)
        self.record(CustomerDeleted(self.id, self.version, self.snapshot()))

    def restore(self, now: datetime) -> None:
        if not self.is_deleted:
            raise Conflict(f"customer {self.id} is not deleted")
        self.deleted_at = None
        self._bump(now)
        self.record(CustomerRestored(self.id, self.version, self.snapshot()))

    def snapshot(self) -> dict[str, Any]:
        """The customer as the API shows it."""
        return {
            "id": self.id,
            "name": self.details.name,
            "email": self.details.email,
            "phone": self.details.phone,
            "address": self.details.address,
            "version": self.version,
            "created_at": rfc3339(self.created_at),
            "updated_at": rfc3339(self.updated_at),
        }

    def _ensure_live(self) -> None:
        if self.is_deleted:
            raise NotFound(f"customer {self.id} is deleted")

    def _bump(self, now: datetime) -> None:
        self.version += 1
        self.updated_at = now


def _checked_address(address: Mapping[str, Any]) -> tuple[Address, dict[str, list[str]]]:
    checked: Address = {name: address.get(name) for name in ADDRESS_FIELDS}
    errors = {name: [MISSING] for name in REQUIRED_ADDRESS_FIELDS if not checked[name]}
    country = checked["country"]
    if country:
        checked["country"] = country.upper()
        if checked["country"] not in ASSIGNED_COUNTRY_CODES:
            errors["country"] = ["Not an assigned ISO 3166-1 alpha-2 country code."]
    return checked, errors
