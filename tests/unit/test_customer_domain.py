from datetime import UTC, datetime

import pytest

from customer_api.customers.domain import (
    Customer,
    CustomerCreated,
    CustomerDeleted,
    CustomerDetails,
    CustomerRestored,
    CustomerUpdated,
)
from customer_api.shared.errors import Conflict, InvalidInput, NotFound, PreconditionFailed

NOW = datetime(2026, 11, 22, 20, 0, tzinfo=UTC)
LATER = datetime(2026, 11, 22, 21, 0, tzinfo=UTC)
ADDRESS = {"line1": "1 Main St", "city": "Berlin", "country": "de"}


def a_customer() -> Customer:
    customer = Customer.create("c-1", CustomerDetails.of("Ada", "ada@example.com"), NOW)
    customer.pull_events()
    return customer


def test_details_are_normalised_name_trimmed_email_lower_cased_country_upper_cased() -> None:
    details = CustomerDetails.of("  Ada Lovelace ", " Ada@Example.COM ", "+4915112345", ADDRESS)
    assert details.name == "Ada Lovelace"
    assert details.email == "ada@example.com"
    assert details.address == {
        "line1": "1 Main St",
        "line2": None,
        "city": "Berlin",
        "region": None,
        "postal_code": None,
        "country": "DE",
    }


@pytest.mark.parametrize(
    ("name", "email", "phone", "address", "field"),
    [
        ("   ", "a@example.com", None, None, "name"),
        ("x" * 201, "a@example.com", None, None, "name"),
        ("Ada", "not-an-email", None, None, "email"),
        ("Ada", "a@localhost", None, None, "email"),
        ("Ada", "a" * 250 + "@example.com", None, None, "email"),
        ("Ada", "a@example.com", "0049151", None, "phone"),
        ("Ada", "a@example.com", "+1", None, "phone"),
        ("Ada", "a@example.com", "+1234567890123456", None, "phone"),
        ("Ada", "a@example.com", None, {"line1": "x", "country": "DE"}, "address"),
        ("Ada", "a@example.com", None, {**ADDRESS, "country": "XX"}, "address"),
    ],
)
def test_details_that_break_a_rule_are_refused_by_field(
    name: str, email: str, phone: str | None, address: dict[str, str] | None, field: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        CustomerDetails.of(name, email, phone, address)
    assert list(refused.value.errors) == [field]


def test_a_new_customer_is_at_version_one_and_records_its_creation() -> None:
    customer = Customer.create("c-1", CustomerDetails.of("Ada", "ada@example.com"), NOW)
    [event] = customer.pull_events()
    assert isinstance(event, CustomerCreated)
    assert (event.aggregate_id, event.aggregate_version) == ("c-1", 1)
    assert event.data == customer.snapshot()
    assert event.data["created_at"] == "2026-11-22T20:00:00.000000Z"


def test_an_update_bumps_the_version_and_names_the_changed_fields() -> None:
    customer = a_customer()
    customer.update(CustomerDetails.of("Ada", "ada@example.com", "+4915112345"), LATER)
    [event] = customer.pull_events()
    assert isinstance(event, CustomerUpdated)
    assert event.changed == ("phone",)
    assert customer.version == 2
    assert customer.updated_at == LATER
    assert customer.created_at == NOW


def test_a_merge_patch_clears_with_null_and_merges_a_partial_address() -> None:
    details = CustomerDetails.of("Ada", "ada@example.com", "+4915112345", ADDRESS)
    merged = details.merged({"phone": None, "address": {"city": "Hamburg", "postal_code": "20095"}})
    assert merged.phone is None
    assert merged.address is not None
    assert merged.address["city"] == "Hamburg"
    assert merged.address["postal_code"] == "20095"
    assert merged.address["line1"] == "1 Main St"


def test_a_merge_patch_that_leaves_the_address_incomplete_is_refused() -> None:
    details = CustomerDetails.of("Ada", "ada@example.com", None, ADDRESS)
    with pytest.raises(InvalidInput) as refused:
        details.merged({"address": {"city": None}})
    assert refused.value.errors == {"address": {"city": ["Missing data for required field."]}}


def test_a_merge_patch_cannot_clear_the_name() -> None:
    with pytest.raises(InvalidInput):
        CustomerDetails.of("Ada", "ada@example.com").merged({"name": None})


def test_a_version_the_client_did_not_see_fails_the_precondition() -> None:
    customer = a_customer()
    customer.check_version(None)
    customer.check_version(frozenset({1, 7}))
    with pytest.raises(PreconditionFailed):
        customer.check_version(frozenset({2}))


def test_deleting_then_restoring_records_both_and_bumps_the_version_twice() -> None:
    customer = a_customer()
    customer.delete(LATER)
    assert customer.is_deleted
    customer.restore(LATER)
    assert not customer.is_deleted
    assert [type(e) for e in customer.pull_events()] == [CustomerDeleted, CustomerRestored]
    assert customer.version == 3


def test_a_deleted_customer_cannot_be_updated_or_deleted_again() -> None:
    customer = a_customer()
    customer.delete(LATER)
    with pytest.raises(NotFound):
        customer.delete(LATER)
    with pytest.raises(NotFound):
        customer.update(CustomerDetails.of("Bob", "bob@example.com"), LATER)


def test_a_live_customer_cannot_be_restored() -> None:
    with pytest.raises(Conflict):
        a_customer().restore(LATER)
