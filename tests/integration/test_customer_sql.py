"""The customer and user SQL adapters against real databases: SQLite, then MariaDB/MySQL.

Units of work are built exactly as ``bootstrap`` builds them (same repositories, same engine factory),
and what they wrote is checked with plain SQL, not through the code under test.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from customer_api import create_app
from customer_api.adapters.sql.engine import create_engine
from customer_api.adapters.sql.tables import events
from customer_api.adapters.sql.unit_of_work import SqlUnitOfWork
from customer_api.auth.commands import RegisterUser
from customer_api.auth.domain import DuplicateUserEmail, Role, User
from customer_api.auth.sql import SqlUserReader, SqlUserRepository
from customer_api.bootstrap import bootstrap
from customer_api.config import Settings
from customer_api.customers.commands import CreateCustomer, PatchCustomer
from customer_api.customers.domain import Customer, CustomerDetails, DuplicateEmail
from customer_api.customers.queries import GetCustomer
from customer_api.customers.sql import SqlCustomerReader, SqlCustomerRepository, customers
from customer_api.shared.errors import NotFound, PreconditionFailed, Unavailable
from customer_api.shared.events import Meta
from customer_api.shared.ids import new_id, rfc3339
from tests.conftest import count_rows, empty_tables, settings_for

REPOSITORIES = {"customers": SqlCustomerRepository, "users": SqlUserRepository}
CLOSED_PORT_URL = "mysql+pymysql://root@127.0.0.1:1/x"
T0 = datetime(2026, 3, 14, 15, 9, 26, 535897, tzinfo=UTC)
ADDRESS = {
    "line1": "Königstraße 7 🏠",
    "line2": "Hinterhaus, 3. OG",
    "city": "München",
    "region": "Bayern",
    "postal_code": "80331",
    "country": "DE",
}


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


def uow(engine: sa.Engine, meta: Meta | None = None) -> SqlUnitOfWork:
    return SqlUnitOfWork(engine, REPOSITORIES, meta or Meta())


def details(name: str = "Ada Lovelace", email: str = "ada@example.com", **more: Any) -> CustomerDetails:
    return CustomerDetails.of(name, email, more.get("phone"), more.get("address"))


def add_customer(
    engine: sa.Engine,
    name: str = "Ada Lovelace",
    email: str = "ada@example.com",
    *,
    now: datetime = T0,
    meta: Meta | None = None,
    **more: Any,
) -> Customer:
    customer = Customer.create(new_id(), details(name, email, **more), now)
    with uow(engine, meta) as work:
        work.customers.add(customer)
        work.commit()
    return customer


def change(engine: sa.Engine, customer_id: str, apply: Any, meta: Meta | None = None) -> Customer:
    """Load, apply a domain change, save and commit in one unit of work."""
    with uow(engine, meta) as work:
        customer = work.customers.get(customer_id)
        assert customer is not None
        apply(customer)
        work.customers.save(customer)
        work.commit()
    return customer


def load(engine: sa.Engine, customer_id: str) -> Customer | None:
    with uow(engine) as work:
        return work.customers.get(customer_id)


def customer_row(engine: sa.Engine, customer_id: str) -> Any:
    with engine.connect() as connection:
        return connection.execute(sa.select(customers).where(customers.c.id == customer_id)).one()


def event_rows(engine: sa.Engine, aggregate_id: str) -> list[Any]:
    with engine.connect() as connection:
        return connection.execute(
            sa.select(events).where(events.c.aggregate_id == aggregate_id).order_by(events.c.sequence)
        ).all()


# --- repository and unit of work -------------------------------------------------------------------


def test_add_then_get_round_trips_every_field(engine: sa.Engine) -> None:
    created = T0
    updated = datetime(2026, 3, 14, 17, 0, 0, 1, tzinfo=timezone(timedelta(hours=2)))  # 15:00:00.000001Z
    customer = Customer(
        new_id(),
        details("Zoë Ünïcødé 😀", "Zoe@Example.COM", phone="+4915112345678", address=ADDRESS),
        version=3,
        created_at=created,
        updated_at=updated,
    )
    with uow(engine) as work:
        work.customers.add(customer)
        work.commit()

    loaded = load(engine, customer.id)

    assert loaded is not None
    assert loaded is not customer
    assert loaded.id == customer.id
    assert loaded.details == CustomerDetails(
        "Zoë Ünïcødé 😀", "zoe@example.com", "+4915112345678", {**ADDRESS, "country": "DE"}
    )
    assert loaded.details.address == ADDRESS
    assert loaded.version == 3
    assert loaded.deleted_at is None
    for moment, expected in ((loaded.created_at, created), (loaded.updated_at, updated)):
        assert moment.tzinfo is UTC
        assert moment == expected  # the same instant, to the microsecond
    assert loaded.updated_at == datetime(2026, 3, 14, 15, 0, 0, 1, tzinfo=UTC)
    assert loaded.created_at.microsecond == 535897


def test_get_of_an_unknown_id_is_none(engine: sa.Engine) -> None:
    assert load(engine, new_id()) is None


def test_a_deleted_customer_round_trips_its_deleted_at(engine: sa.Engine) -> None:
    customer = add_customer(engine)
    deleted_at = T0 + timedelta(days=1, microseconds=7)

    change(engine, customer.id, lambda c: c.delete(deleted_at))

    loaded = load(engine, customer.id)
    assert loaded is not None
    assert loaded.is_deleted
    assert loaded.deleted_at == deleted_at
    assert loaded.deleted_at is not None
    assert loaded.deleted_at.tzinfo is UTC
    assert loaded.version == 2
    assert customer_row(engine, customer.id).live_email is None


def test_a_unit_of_work_left_without_commit_stores_nothing(engine: sa.Engine, database_url: str) -> None:
    customer = Customer.create(new_id(), details(), T0)
    with uow(engine) as work:
        work.customers.add(customer)
        assert work.customers.get(customer.id) is not None  # visible inside its own transaction

    assert load(engine, customer.id) is None
    assert count_rows(database_url, "customers") == 0
    assert count_rows(database_url, "events") == 0


def test_an_error_inside_a_unit_of_work_rolls_back_the_change_and_its_event(
    engine: sa.Engine, database_url: str
) -> None:
    customer = add_customer(engine)

    def change_then_fail() -> None:
        with uow(engine) as work:
            loaded = work.customers.get(customer.id)
            assert loaded is not None
            loaded.update(details("Changed"), T0 + timedelta(seconds=1))
            work.customers.save(loaded)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        change_then_fail()

    reloaded = load(engine, customer.id)
    assert reloaded is not None
    assert (reloaded.details.name, reloaded.version) == ("Ada Lovelace", 1)
    assert count_rows(database_url, "events") == 1


def test_commit_writes_the_row_and_exactly_one_event_with_the_meta(
    engine: sa.Engine, database_url: str
) -> None:
    meta = Meta(actor_id="user-42", request_id="req-abc-123")
    customer = Customer.create(new_id(), details(address=ADDRESS, phone="+441234567"), T0)
    snapshot = customer.snapshot()
    with uow(engine, meta) as work:
        work.customers.add(customer)
        work.commit()
        assert [e.event_type for e in work.committed_events] == ["customer.created"]

    row = customer_row(engine, customer.id)
    assert (row.name, row.email, row.live_email, row.version) == (
        "Ada Lovelace",
        "ada@example.com",
        "ada@example.com",
        1,
    )
    assert count_rows(database_url, "events") == 1
    [event] = event_rows(engine, customer.id)
    assert event.event_type == "customer.created"
    assert event.aggregate_type == "customer"
    assert event.aggregate_id == customer.id
    assert event.aggregate_version == 1
    assert event.actor_id == "user-42"
    assert event.request_id == "req-abc-123"
    assert event.data == snapshot
    assert event.data["address"] == ADDRESS
    assert event.schema_version == 1
    assert event.changed is None
    assert event.published_at is None
    assert event.attempts == 0
    assert event.occurred_at.tzinfo is UTC
    assert abs(event.occurred_at - datetime.now(UTC)) < timedelta(minutes=1)


def test_an_update_records_its_changed_fields_and_the_new_snapshot(engine: sa.Engine) -> None:
    customer = add_customer(engine)
    meta = Meta(actor_id="editor", request_id="req-2")

    updated = change(
        engine,
        customer.id,
        lambda c: c.update(details("Ada King", phone="+4412345"), T0 + timedelta(1)),
        meta,
    )

    created_event, updated_event = event_rows(engine, customer.id)
    assert created_event.event_type == "customer.created"
    assert updated_event.event_type == "customer.updated"
    assert updated_event.aggregate_version == 2
    assert (updated_event.actor_id, updated_event.request_id) == ("editor", "req-2")
    assert updated_event.changed == ["name", "phone"]
    assert updated_event.data == updated.snapshot()
    assert updated_event.sequence > created_event.sequence


def test_saving_a_stale_copy_fails_and_keeps_the_first_writers_state(
    engine: sa.Engine, database_url: str
) -> None:
    customer = add_customer(engine)

    with uow(engine) as first, uow(engine) as second:
        mine = first.customers.get(customer.id)
        theirs = second.customers.get(customer.id)
        assert mine is not None
        assert theirs is not None
        mine.update(details("First"), T0 + timedelta(seconds=1))
        theirs.update(details("Second"), T0 + timedelta(seconds=2))
        first.customers.save(mine)
        first.commit()
        with pytest.raises(PreconditionFailed):
            second.customers.save(theirs)

    row = customer_row(engine, customer.id)
    assert (row.name, row.version) == ("First", 2)
    assert row.updated_at == T0 + timedelta(seconds=1)
    assert [e.data["name"] for e in event_rows(engine, customer.id)] == ["Ada Lovelace", "First"]
    assert count_rows(database_url, "events") == 2


def test_a_duplicate_live_email_is_refused_on_add(engine: sa.Engine, database_url: str) -> None:
    add_customer(engine, "Ada", "ada@example.com")

    other = Customer.create(new_id(), details("Other Ada", "ADA@example.com"), T0)
    with uow(engine) as work, pytest.raises(DuplicateEmail):
        work.customers.add(other)

    assert load(engine, other.id) is None
    assert count_rows(database_url, "customers") == 1
    assert count_rows(database_url, "events") == 1


def test_a_duplicate_live_email_is_refused_on_save(engine: sa.Engine) -> None:
    add_customer(engine, "Ada", "ada@example.com")
    bob = add_customer(engine, "Bob", "bob@example.com")

    with pytest.raises(DuplicateEmail):
        change(engine, bob.id, lambda c: c.update(details("Bob", "ada@example.com"), T0 + timedelta(1)))

    row = customer_row(engine, bob.id)
    assert (row.email, row.version) == ("bob@example.com", 1)


def test_deleting_frees_the_email_and_restoring_into_a_taken_one_is_refused(
    engine: sa.Engine, database_url: str
) -> None:
    first = add_customer(engine, "First", "shared@example.com")
    change(engine, first.id, lambda c: c.delete(T0 + timedelta(1)))
    assert customer_row(engine, first.id).live_email is None
    assert customer_row(engine, first.id).email == "shared@example.com"

    second = add_customer(engine, "Second", "shared@example.com")
    assert customer_row(engine, second.id).live_email == "shared@example.com"

    with pytest.raises(DuplicateEmail):
        change(engine, first.id, lambda c: c.restore(T0 + timedelta(2)))
    row = customer_row(engine, first.id)
    assert (row.deleted_at, row.version, row.live_email) == (T0 + timedelta(1), 2, None)

    # Several deleted customers may share an email (NULLs do not collide in the unique index).
    change(engine, second.id, lambda c: c.delete(T0 + timedelta(3)))
    third = add_customer(engine, "Third", "shared@example.com")
    assert customer_row(engine, third.id).live_email == "shared@example.com"

    # Once the email is free again, the restore goes through.
    change(engine, third.id, lambda c: c.delete(T0 + timedelta(4)))
    restored = change(engine, first.id, lambda c: c.restore(T0 + timedelta(5)))
    row = customer_row(engine, first.id)
    assert (row.deleted_at, row.live_email, row.version) == (None, "shared@example.com", restored.version)
    assert [e.event_type for e in event_rows(engine, first.id)] == [
        "customer.created",
        "customer.deleted",
        "customer.restored",
    ]


# --- the composition root's wiring -----------------------------------------------------------------


def test_the_bus_from_bootstrap_writes_through_the_sql_unit_of_work(settings: Settings) -> None:
    services = bootstrap(settings)
    try:
        customer_id = new_id()
        services.bus.handle(
            CreateCustomer(customer_id, "Grace Hopper", "Grace@Example.com", "+15551234", ADDRESS),
            Meta(actor_id="u1", request_id="r1"),
        )
        services.bus.handle(
            PatchCustomer(customer_id, {"address": {"city": "Arlington"}}, frozenset({1})),
            Meta(actor_id="u2", request_id="r2"),
        )
        with pytest.raises(PreconditionFailed):
            services.bus.handle(PatchCustomer(customer_id, {"name": "Stale"}, frozenset({1})))
        with pytest.raises(NotFound):
            services.bus.handle(PatchCustomer(new_id(), {"name": "Nobody"}))

        shown = services.customers.get(GetCustomer(customer_id))
        assert shown["email"] == "grace@example.com"
        assert shown["address"] == {**ADDRESS, "city": "Arlington"}
        assert shown["version"] == 2
        history = SqlCustomerReader(services.engine).history(customer_id, limit=10, after_sequence=None)
        assert [(h["event_type"], h["actor"], h["request_id"]) for h in history] == [
            ("customer.created", {"user_id": "u1"}, "r1"),
            ("customer.updated", {"user_id": "u2"}, "r2"),
        ]
        assert history[1]["changed"] == ["address"]
    finally:
        services.engine.dispose()


# --- customer reader -------------------------------------------------------------------------------


def test_reader_get_hides_a_deleted_customer_unless_asked(engine: sa.Engine) -> None:
    reader = SqlCustomerReader(engine)
    customer = add_customer(engine, address=ADDRESS, phone="+4930123456")

    shown = reader.get(customer.id)
    assert shown == customer.snapshot()
    assert shown is not None
    assert shown["created_at"] == "2026-03-14T15:09:26.535897Z"

    change(engine, customer.id, lambda c: c.delete(T0 + timedelta(1)))

    assert reader.get(customer.id) is None
    hidden = reader.get(customer.id, include_deleted=True)
    assert hidden is not None
    assert (hidden["id"], hidden["version"]) == (customer.id, 2)
    assert reader.get(new_id(), include_deleted=True) is None


def _sort_key(sort: str) -> Any:
    if sort.lstrip("-") == "name":
        return lambda row: (row["name"].lower(), row["id"])
    return lambda row: (row["created_at"], row["id"])


def _after(sort: str, row: dict[str, Any]) -> tuple[Any, str]:
    return (row[sort.lstrip("-")], row["id"])


@pytest.mark.parametrize("sort", ["created_at", "-created_at", "name", "-name"])
@pytest.mark.parametrize("limit", [1, 3, 4])
def test_find_pages_with_keyset_positions_cover_every_row_once(
    engine: sa.Engine, sort: str, limit: int
) -> None:
    # Ties on both sort columns, names that differ only in case, microsecond-apart timestamps.
    specs = [
        ("bob", 0),
        ("Alice", 0),
        ("carol", 1),
        ("Bob", 2),
        ("alice", 2),
        ("dave", 2),
        ("Erin", 3),
        ("bob", 3),
        ("Carol", 4),
    ]
    for i, (name, micro) in enumerate(specs):
        add_customer(engine, name, f"c{i}@example.com", now=T0 + timedelta(microseconds=micro))
    gone = add_customer(engine, "Aaron", "gone@example.com", now=T0)
    change(engine, gone.id, lambda c: c.delete(T0 + timedelta(1)))
    reader = SqlCustomerReader(engine)

    def find(after: tuple[Any, str] | None, include_deleted: bool = False) -> list[dict[str, Any]]:
        return reader.find(
            limit=limit, sort=sort, after=after, email=None, name_prefix=None, include_deleted=include_deleted
        )

    pages: list[list[dict[str, Any]]] = []
    after = None
    while True:
        page = find(after)
        assert len(page) <= limit
        if not page:
            break
        pages.append(page)
        after = _after(sort, page[-1])
        assert len(pages) <= len(specs)  # no endless loop on a position that does not advance

    rows = [row for page in pages for row in page]
    ids = [row["id"] for row in rows]
    assert len(ids) == len(set(ids)) == len(specs)  # disjoint pages, every live row
    assert gone.id not in ids
    expected = sorted(rows, key=_sort_key(sort), reverse=sort.startswith("-"))
    assert ids == [row["id"] for row in expected]
    assert all(len(page) == limit for page in pages[:-1])

    everything = reader.find(
        limit=100, sort=sort, after=None, email=None, name_prefix=None, include_deleted=True
    )
    assert gone.id in [row["id"] for row in everything]
    assert len(everything) == len(specs) + 1


def test_find_by_name_prefix_is_literal_and_case_insensitive(engine: sa.Engine) -> None:
    for i, name in enumerate(
        ["50% off", "50x off", "500 club", "a_b", "axb", "A_C", "Ab", "back\\slash", "bacon"]
    ):
        add_customer(engine, name, f"p{i}@example.com")
    reader = SqlCustomerReader(engine)

    def names(prefix: str) -> list[str]:
        rows = reader.find(
            limit=50, sort="name", after=None, email=None, name_prefix=prefix, include_deleted=False
        )
        return sorted(row["name"] for row in rows)

    assert names("50%") == ["50% off"]
    assert names("50") == ["50% off", "500 club", "50x off"]
    assert names("a_") == ["A_C", "a_b"]
    assert names("A_") == ["A_C", "a_b"]
    assert names("AB") == ["Ab"]
    assert names("_") == []
    assert names("%") == []
    assert names("back\\") == ["back\\slash"]
    assert names("BAC") == ["back\\slash", "bacon"]
    assert names("zz") == []


def test_find_by_email_matches_exactly_and_ignores_case(engine: sa.Engine) -> None:
    ada = add_customer(engine, "Ada", "ada@example.com")
    add_customer(engine, "Adam", "adam@example.com")
    gone = add_customer(engine, "Old Ada", "old@example.com")
    change(engine, gone.id, lambda c: c.delete(T0 + timedelta(1)))
    reader = SqlCustomerReader(engine)

    def ids(email: str, include_deleted: bool = False) -> list[str]:
        rows = reader.find(
            limit=10,
            sort="created_at",
            after=None,
            email=email,
            name_prefix=None,
            include_deleted=include_deleted,
        )
        return [row["id"] for row in rows]

    assert ids("ada@example.com") == [ada.id]
    assert ids("ADA@Example.COM") == [ada.id]
    assert ids("ada@example") == []
    assert ids("old@example.com") == []
    assert ids("old@example.com", include_deleted=True) == [gone.id]


def test_history_is_in_sequence_order_and_pages_after_a_sequence(engine: sa.Engine) -> None:
    customer = add_customer(engine, meta=Meta("creator", "req-1"))
    other = add_customer(engine, "Other", "other@example.com")
    change(engine, customer.id, lambda c: c.update(details("Ada B"), T0 + timedelta(1)), Meta("u2", "req-2"))
    change(engine, other.id, lambda c: c.update(details("Other B", "other@example.com"), T0 + timedelta(1)))
    change(
        engine,
        customer.id,
        lambda c: c.update(details("Ada B", "ada.b@example.com"), T0 + timedelta(2)),
        Meta("u3", "req-3"),
    )
    change(engine, customer.id, lambda c: c.delete(T0 + timedelta(3)), Meta("u4", "req-4"))
    reader = SqlCustomerReader(engine)

    history = reader.history(customer.id, limit=50, after_sequence=None)

    assert [(h["event_type"], h["aggregate_version"]) for h in history] == [
        ("customer.created", 1),
        ("customer.updated", 2),
        ("customer.updated", 3),
        ("customer.deleted", 4),
    ]
    sequences = [h["sequence"] for h in history]
    assert sequences == sorted(sequences)
    assert len(set(sequences)) == 4
    assert [h["actor"]["user_id"] for h in history] == ["creator", "u2", "u3", "u4"]
    assert [h["request_id"] for h in history] == ["req-1", "req-2", "req-3", "req-4"]
    assert [h["changed"] for h in history] == [None, ["name"], ["email"], None]
    assert all(h["occurred_at"].endswith("Z") for h in history)
    assert [h["event_id"] for h in history] == [e.event_id for e in event_rows(engine, customer.id)]

    assert reader.history(customer.id, limit=2, after_sequence=None) == history[:2]
    assert reader.history(customer.id, limit=2, after_sequence=sequences[1]) == history[2:]
    assert reader.history(customer.id, limit=50, after_sequence=sequences[3]) == []
    assert reader.history(new_id(), limit=50, after_sequence=None) == []


# --- users -----------------------------------------------------------------------------------------


def test_user_reader_reads_what_the_user_repository_wrote(settings: Settings, database_url: str) -> None:
    services = bootstrap(settings)
    try:
        carol, alice, bob = new_id(), new_id(), new_id()
        services.bus.handle(RegisterUser(carol, "Carol@Example.com", "password-carol", Role.ADMIN))
        services.bus.handle(RegisterUser(alice, "alice@example.com", "password-alice"))
        services.bus.handle(RegisterUser(bob, "bob@example.com", "password-bob"))
        with pytest.raises(DuplicateUserEmail):
            services.bus.handle(RegisterUser(new_id(), "ALICE@example.com", "password-other"))
        reader = SqlUserReader(services.engine)

        credentials = reader.credentials("carol@example.com")
        assert credentials is not None
        assert set(credentials) == {"id", "email", "role", "password_hash"}
        assert (credentials["id"], credentials["email"], credentials["role"]) == (
            carol,
            "carol@example.com",
            "admin",
        )
        assert credentials["password_hash"].startswith("$argon2id$")
        assert "password-carol" not in credentials["password_hash"]
        assert reader.credentials("nobody@example.com") is None

        assert reader.get(alice) == {"id": alice, "email": "alice@example.com", "role": "user"}
        assert reader.get(new_id()) is None

        everyone = reader.find(limit=10, after=None)
        assert [u["email"] for u in everyone] == ["alice@example.com", "bob@example.com", "carol@example.com"]
        assert all("password_hash" not in u for u in everyone)
        first_page = reader.find(limit=2, after=None)
        assert [u["id"] for u in first_page] == [alice, bob]
        assert [u["id"] for u in reader.find(limit=2, after=(first_page[-1]["email"],))] == [carol]

        # Registration is an event too, and the event never carries the hash.
        assert count_rows(database_url, "users") == 3
        with services.engine.connect() as connection:
            registered = connection.execute(sa.select(events).where(events.c.aggregate_id == carol)).one()
        assert registered.event_type == "user.registered"
        assert registered.data == {
            "id": carol,
            "email": "carol@example.com",
            "role": "admin",
            "created_at": registered.data["created_at"],
        }
    finally:
        services.engine.dispose()


def test_user_repository_round_trips_created_at(engine: sa.Engine) -> None:
    user = User.register(new_id(), "Ux@Example.com", Role.USER, "hash", T0)
    with uow(engine) as work:
        work.users.add(user)
        work.commit()
    with engine.connect() as connection:
        created_at = connection.execute(sa.text("SELECT created_at FROM users")).scalar_one()
    # Raw SQL sees the naive UTC value that was stored: no shift by the server's or client's zone.
    stored = created_at if isinstance(created_at, datetime) else datetime.fromisoformat(created_at)
    assert stored == T0.replace(tzinfo=None)


# --- a database that does not answer ---------------------------------------------------------------


def test_a_database_that_is_down_raises_unavailable_not_a_driver_error() -> None:
    engine = create_engine(CLOSED_PORT_URL)
    try:
        with pytest.raises(Unavailable), engine.connect():
            pass
        with pytest.raises(Unavailable):
            SqlCustomerReader(engine).get(new_id())
        with pytest.raises(Unavailable):
            SqlUserReader(engine).credentials("ada@example.com")
        with pytest.raises(Unavailable), uow(engine) as work:
            work.customers.get(new_id())
    finally:
        engine.dispose()


def test_a_database_that_is_down_is_a_503_with_retry_after() -> None:
    app = create_app(settings_for(CLOSED_PORT_URL))
    try:
        client: FlaskClient = app.test_client()
        response = client.post("/v1/auth/login", json={"email": "ada@example.com", "password": "x" * 12})
        assert response.status_code == 503
        assert response.headers.get("Retry-After")
        assert response.mimetype == "application/problem+json"
    finally:
        app.extensions["customer_api"].engine.dispose()


def test_rfc3339_of_stored_timestamps_is_stable(engine: sa.Engine) -> None:
    customer = add_customer(engine, now=T0.replace(microsecond=0))
    shown = SqlCustomerReader(engine).get(customer.id)
    assert shown is not None
    assert shown["created_at"] == rfc3339(T0.replace(microsecond=0)) == "2026-03-14T15:09:26.000000Z"


@pytest.mark.parametrize(
    ("email", "other_email"),
    [("zoe@example.com", "zoë@example.com"), ("strasse@example.com", "straße@example.com")],
)
def test_emails_that_differ_only_in_accents_belong_to_different_customers(
    engine: sa.Engine, email: str, other_email: str
) -> None:
    """The domain compares emails as lower-cased strings; the storage must not merge distinct ones."""
    zoe = add_customer(engine, "Zoe", email)
    zoe_with_accent = add_customer(engine, "Zoë", other_email)  # not a DuplicateEmail

    reader = SqlCustomerReader(engine)
    found = reader.find(
        limit=10, sort="created_at", after=None, email=other_email, name_prefix=None, include_deleted=False
    )
    assert [row["id"] for row in found] == [zoe_with_accent.id]
    assert zoe.id != zoe_with_accent.id


def test_a_user_email_that_differs_only_in_accents_is_another_user(settings: Settings) -> None:
    services = bootstrap(settings)
    try:
        zoe = new_id()
        services.bus.handle(RegisterUser(zoe, "zoë@example.com", "password-zoe"))
        reader = SqlUserReader(services.engine)

        assert reader.credentials("zoe@example.com") is None  # nobody registered this address
        services.bus.handle(RegisterUser(new_id(), "zoe@example.com", "password-zoe"))  # not a duplicate
        credentials = reader.credentials("zoë@example.com")
        assert credentials is not None
        assert credentials["id"] == zoe
    finally:
        services.engine.dispose()


def test_a_mistaken_statement_is_not_reported_as_an_unavailable_database(engine: sa.Engine) -> None:
    """engine.py: "Integrity and programming errors pass through unchanged". A query naming a column
    that does not exist is a bug of ours (500), not a database worth retrying (503 + Retry-After)."""
    # The driver's error as it is, not Unavailable (which is no DBAPIError).
    with pytest.raises(sa.exc.DBAPIError, match="no_such_column"), engine.connect() as connection:
        connection.execute(sa.text("SELECT no_such_column FROM customers"))


def test_a_violated_check_constraint_is_not_reported_as_an_unavailable_database(mysql_url: str) -> None:
    """MariaDB keeps JSON columns valid with a CHECK (json_valid(...)); its violation is SQLSTATE 23000,
    an integrity error, even though PyMySQL raises it as an OperationalError (errno 4025). MySQL/MariaDB
    only: SQLite's JSON columns carry no CHECK."""
    empty_tables(mysql_url)
    engine = create_engine(mysql_url)
    try:
        with pytest.raises(sa.exc.DBAPIError, match="response_headers"), engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO idempotency_keys "
                    "(user_id, `key`, request_hash, response_headers, created_at, expires_at) "
                    "VALUES ('u', 'k', 'h', 'not json', NOW(6), NOW(6))"
                )
            )
    finally:
        engine.dispose()
