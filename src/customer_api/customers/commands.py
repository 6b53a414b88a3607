"""Commands of the customer context: what a client asks for, named as imperatives."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CreateCustomer:
    customer_id: str
    name: str
    email: str
    phone: str | None = None
    address: dict[str, Any] | None = None


@dataclass(frozen=True)
class ReplaceCustomer:
    customer_id: str
    name: str
    email: str
    phone: str | None = None
    address: dict[str, Any] | None = None
    expected_versions: frozenset[int] | None = None


@dataclass(frozen=True)
class PatchCustomer:
    customer_id: str
    changes: dict[str, Any]
    expected_versions: frozenset[int] | None = None


@dataclass(frozen=True)
class DeleteCustomer:
    customer_id: str
    expected_versions: frozenset[int] | None = None


@dataclass(frozen=True)
class RestoreCustomer:
    customer_id: str
    expected_versions: frozenset[int] | None = None
