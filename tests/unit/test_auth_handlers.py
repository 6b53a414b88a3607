from functools import partial

import pytest

from customer_api.auth.commands import RegisterUser
from customer_api.auth.domain import DuplicateUserEmail, Role
from customer_api.auth.handlers import register_user
from customer_api.auth.queries import InvalidCredentials, UserQueries
from customer_api.shared.errors import InvalidInput
from customer_api.shared.messagebus import MessageBus
from tests.fakes import FakePasswordHasher, FakeStore, FakeUnitOfWork, FakeUserReader


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


@pytest.fixture
def bus(store: FakeStore) -> MessageBus:
    handler = partial(register_user, hasher=FakePasswordHasher())
    return MessageBus(lambda meta: FakeUnitOfWork(store, meta), {RegisterUser: handler})


@pytest.fixture
def queries(store: FakeStore) -> UserQueries:
    return UserQueries(FakeUserReader(store), FakePasswordHasher())


def test_a_registered_user_has_a_hashed_password_and_an_event_without_it(
    bus: MessageBus, store: FakeStore
) -> None:
    bus.handle(RegisterUser("u-1", "Admin@Example.com", "long enough", Role.ADMIN))
    user = store.users["u-1"]
    assert (user.email, user.role, user.password_hash) == (
        "admin@example.com",
        Role.ADMIN,
        "hashed:long enough",
    )
    [(event, _)] = store.outbox
    assert event.event_type == "user.registered"
    assert "long enough" not in str(event.data)
    assert "password_hash" not in event.data


@pytest.mark.parametrize("password", ["short", "x" * 1025])
def test_a_password_outside_the_length_limits_is_refused(
    bus: MessageBus, store: FakeStore, password: str
) -> None:
    with pytest.raises(InvalidInput):
        bus.handle(RegisterUser("u-1", "a@example.com", password))
    assert store.users == {}


def test_an_email_can_belong_to_one_user_only(bus: MessageBus) -> None:
    bus.handle(RegisterUser("u-1", "a@example.com", "long enough"))
    with pytest.raises(DuplicateUserEmail):
        bus.handle(RegisterUser("u-2", "A@example.com", "long enough"))


def test_login_checks_the_password_and_answers_alike_for_an_unknown_email(
    bus: MessageBus, queries: UserQueries
) -> None:
    bus.handle(RegisterUser("u-1", "a@example.com", "long enough"))
    assert queries.authenticate(" A@example.com", "long enough") == {
        "id": "u-1",
        "email": "a@example.com",
        "role": "user",
    }
    with pytest.raises(InvalidCredentials):
        queries.authenticate("a@example.com", "wrong password")
    with pytest.raises(InvalidCredentials):
        queries.authenticate("nobody@example.com", "long enough")
