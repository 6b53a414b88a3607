from functools import partial

import pytest

from customer_api.adapters.local import MemoryCache
from customer_api.customers.commands import (
    CreateCustomer,
    DeleteCustomer,
    PatchCustomer,
    ReplaceCustomer,
    RestoreCustomer,
)
from customer_api.customers.domain import EVENT_TYPES, DuplicateEmail
from customer_api.customers.handlers import COMMAND_HANDLERS, refresh_read_model
from customer_api.customers.queries import CustomerQueries, GetCustomer
from customer_api.shared.errors import InvalidInput, NotFound, PreconditionFailed
from customer_api.shared.events import Meta
from customer_api.shared.messagebus import MessageBus
from tests.fakes import FakeCustomerReader, FakeStore, FakeUnitOfWork

META = Meta(actor_id="user-1", request_id="req-1")


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


@pytest.fixture
def cache() -> MemoryCache:
    return MemoryCache()


@pytest.fixture
def bus(store: FakeStore, cache: MemoryCache) -> MessageBus:
    refresh = partial(refresh_read_model, cache=cache, ttl=60)
    return MessageBus(
        lambda meta: FakeUnitOfWork(store, meta),
        COMMAND_HANDLERS,
        {event_type: [refresh] for event_type in EVENT_TYPES.values()},
    )


def create(bus: MessageBus, customer_id: str = "c-1", email: str = "ada@example.com") -> None:
    bus.handle(CreateCustomer(customer_id, "Ada", email), META)


def event_types(store: FakeStore) -> list[str]:
    return [event.event_type for event, _ in store.outbox]


def test_creating_a_customer_stores_it_and_one_event_with_the_meta(bus: MessageBus, store: FakeStore) -> None:
    create(bus)
    assert store.customers["c-1"].details.email == "ada@example.com"
    [(event, meta)] = store.outbox
    assert event.event_type == "customer.created"
    assert meta == META


def test_a_rejected_command_stores_nothing(bus: MessageBus, store: FakeStore) -> None:
    with pytest.raises(InvalidInput):
        bus.handle(CreateCustomer("c-1", "", "ada@example.com"), META)
    assert store.customers == {}
    assert store.outbox == []


def test_a_second_customer_with_the_same_email_is_a_conflict(bus: MessageBus, store: FakeStore) -> None:
    create(bus)
    with pytest.raises(DuplicateEmail):
        create(bus, "c-2", "ADA@example.com")
    assert list(store.customers) == ["c-1"]
    assert event_types(store) == ["customer.created"]


def test_replacing_sets_omitted_optional_fields_to_null(bus: MessageBus, store: FakeStore) -> None:
    bus.handle(CreateCustomer("c-1", "Ada", "ada@example.com", "+4915112345"), META)
    bus.handle(ReplaceCustomer("c-1", "Ada L.", "ada@example.com"), META)
    customer = store.customers["c-1"]
    assert (customer.details.name, customer.details.phone, customer.version) == ("Ada L.", None, 2)


def test_patching_with_a_stale_version_changes_nothing(bus: MessageBus, store: FakeStore) -> None:
    create(bus)
    with pytest.raises(PreconditionFailed):
        bus.handle(PatchCustomer("c-1", {"name": "Eve"}, expected_versions=frozenset({7})), META)
    assert store.customers["c-1"].details.name == "Ada"
    assert event_types(store) == ["customer.created"]


def test_deleting_frees_the_email_and_restoring_into_a_taken_email_is_a_conflict(
    bus: MessageBus, store: FakeStore
) -> None:
    create(bus)
    bus.handle(DeleteCustomer("c-1"), META)
    create(bus, "c-2")
    with pytest.raises(DuplicateEmail):
        bus.handle(RestoreCustomer("c-1"), META)
    assert store.customers["c-1"].is_deleted


def test_commands_on_an_unknown_or_deleted_customer_are_not_found(bus: MessageBus) -> None:
    with pytest.raises(NotFound):
        bus.handle(PatchCustomer("nobody", {"name": "Eve"}), META)
    with pytest.raises(NotFound):
        bus.handle(RestoreCustomer("nobody"), META)
    create(bus)
    bus.handle(DeleteCustomer("c-1"), META)
    with pytest.raises(NotFound):
        bus.handle(DeleteCustomer("c-1"), META)


def test_the_read_model_shows_the_write_and_hides_deleted_customers(
    bus: MessageBus, store: FakeStore, cache: MemoryCache
) -> None:
    queries = CustomerQueries(FakeCustomerReader(store), cache, ttl=60)
    create(bus)
    assert queries.get(GetCustomer("c-1"))["version"] == 1
    bus.handle(PatchCustomer("c-1", {"phone": "+4915112345"}), META)
    assert queries.get(GetCustomer("c-1"))["phone"] == "+4915112345"
    bus.handle(DeleteCustomer("c-1"), META)
    with pytest.raises(NotFound):
        queries.get(GetCustomer("c-1"))
    assert queries.get(GetCustomer("c-1", include_deleted=True))["version"] == 3


def test_a_write_refreshes_the_cached_customer_so_the_next_read_needs_no_database(
    bus: MessageBus, store: FakeStore, cache: MemoryCache
) -> None:
    queries = CustomerQueries(FakeCustomerReader(store), cache, ttl=60)
    create(bus)
    bus.handle(PatchCustomer("c-1", {"name": "Ada L."}), META)
    store.customers.clear()  # were the query to reach the database now, it would find nothing
    assert queries.get(GetCustomer("c-1"))["name"] == "Ada L."


def test_an_older_event_applied_late_does_not_replace_a_newer_entry(
    bus: MessageBus, store: FakeStore, cache: MemoryCache
) -> None:
    create(bus)
    bus.handle(PatchCustomer("c-1", {"name": "Ada L."}), META)
    [(created, _), (updated, _)] = store.outbox
    bus.dispatch(created)  # a replay, or a slow process
    queries = CustomerQueries(FakeCustomerReader(store), cache, ttl=60)
    assert queries.get(GetCustomer("c-1"))["version"] == updated.aggregate_version
