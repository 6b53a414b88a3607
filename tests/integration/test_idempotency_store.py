"""``SqlIdempotencyStore`` against real databases: SQLite, then MariaDB/MySQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from customer_api.adapters.sql.engine import create_engine
from customer_api.adapters.sql.idempotency import SqlIdempotencyStore
from customer_api.adapters.sql.tables import idempotency_keys
from customer_api.http.idempotency import KeyInFlight, KeyReused, StoredResponse

USER = "user-1"
OTHER_USER = "user-2"
KEY = "key-7f3a"
FINGERPRINT = "a" * 64
OTHER_FINGERPRINT = "b" * 64
RESPONSE = StoredResponse(
    201,
    {
        "Content-Type": "application/json",
        "Location": "/v1/customers/0d6a2f0e-8c0e-4a51-9a3c-3f9d0d1f2b6e",
        "ETag": '"1"',
    },
    '{"id": "0d6a2f0e-8c0e-4a51-9a3c-3f9d0d1f2b6e", "name": "Zoë 😀"}',
)


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


def store_on(engine: sa.Engine, *, ttl_seconds: int = 3600, lock_seconds: int = 60) -> SqlIdempotencyStore:
    return SqlIdempotencyStore(engine, ttl_seconds=ttl_seconds, lock_seconds=lock_seconds)


@pytest.fixture
def store(engine: sa.Engine) -> SqlIdempotencyStore:
    return store_on(engine)


def key_rows(engine: sa.Engine) -> list[sa.Row[tuple[object, ...]]]:
    with engine.connect() as connection:
        return list(connection.execute(sa.select(idempotency_keys).order_by(idempotency_keys.c.user_id)))


def test_the_first_claim_is_granted_and_recorded_in_flight(
    store: SqlIdempotencyStore, engine: sa.Engine
) -> None:
    before = datetime.now(UTC)

    assert store.claim(USER, KEY, FINGERPRINT) is None

    [row] = key_rows(engine)
    assert (row.user_id, row.key, row.request_hash, row.status_code) == (USER, KEY, FINGERPRINT, None)
    assert row.created_at.tzinfo is UTC
    assert before - timedelta(seconds=1) <= row.created_at <= datetime.now(UTC)
    assert row.expires_at - row.created_at == timedelta(hours=1)


def test_a_second_claim_while_in_flight_is_refused(store: SqlIdempotencyStore) -> None:
    store.claim(USER, KEY, FINGERPRINT)

    with pytest.raises(KeyInFlight):
        store.claim(USER, KEY, FINGERPRINT)
    with pytest.raises(KeyInFlight):
        store.claim(USER, KEY, FINGERPRINT)  # and it stays refused


def test_after_finish_the_same_request_gets_the_stored_response(store: SqlIdempotencyStore) -> None:
    store.claim(USER, KEY, FINGERPRINT)
    store.finish(USER, KEY, RESPONSE)

    replay = store.claim(USER, KEY, FINGERPRINT)

    assert replay == RESPONSE
    assert isinstance(replay, StoredResponse)
    assert isinstance(replay.headers, dict)
    assert isinstance(replay.status, int)
    assert store.claim(USER, KEY, FINGERPRINT) == RESPONSE  # as often as asked


def test_a_large_body_is_stored_whole(store: SqlIdempotencyStore) -> None:
    # More than MySQL's TEXT (64 KiB): the column must be MEDIUMTEXT there.
    body = '{"items": [' + ", ".join(f'"ünïcødé-{i:06d}"' for i in range(12000)) + "]}"
    assert len(body.encode()) > 200_000
    response = StoredResponse(200, {"Content-Type": "application/json"}, body)
    store.claim(USER, KEY, FINGERPRINT)
    store.finish(USER, KEY, response)

    assert store.claim(USER, KEY, FINGERPRINT) == response


def test_another_fingerprint_with_the_same_key_is_refused(
    store: SqlIdempotencyStore, engine: sa.Engine
) -> None:
    store.claim(USER, KEY, FINGERPRINT)
    with pytest.raises(KeyReused):
        store.claim(USER, KEY, OTHER_FINGERPRINT)  # while in flight

    store.finish(USER, KEY, RESPONSE)
    with pytest.raises(KeyReused):
        store.claim(USER, KEY, OTHER_FINGERPRINT)  # and once finished

    [row] = key_rows(engine)
    assert (row.request_hash, row.status_code) == (FINGERPRINT, 201)


def test_keys_are_scoped_per_user(store: SqlIdempotencyStore, engine: sa.Engine) -> None:
    store.claim(USER, KEY, FINGERPRINT)
    store.finish(USER, KEY, RESPONSE)

    assert store.claim(OTHER_USER, KEY, OTHER_FINGERPRINT) is None
    with pytest.raises(KeyInFlight):
        store.claim(OTHER_USER, KEY, OTHER_FINGERPRINT)
    other = StoredResponse(200, {}, "{}")
    store.finish(OTHER_USER, KEY, other)

    assert store.claim(USER, KEY, FINGERPRINT) == RESPONSE
    assert store.claim(OTHER_USER, KEY, OTHER_FINGERPRINT) == other
    assert [(row.user_id, row.status_code) for row in key_rows(engine)] == [(USER, 201), (OTHER_USER, 200)]


def test_keys_differ_by_exact_value(store: SqlIdempotencyStore) -> None:
    assert store.claim(USER, "abc", FINGERPRINT) is None
    assert store.claim(USER, "abcd", FINGERPRINT) is None
    # Keys are opaque visible ASCII: a key differing only in case is another key.
    assert store.claim(USER, "ABC", OTHER_FINGERPRINT) is None


def test_release_frees_the_key(store: SqlIdempotencyStore, engine: sa.Engine) -> None:
    store.claim(USER, KEY, FINGERPRINT)
    store.claim(OTHER_USER, KEY, FINGERPRINT)

    store.release(USER, KEY)

    assert [row.user_id for row in key_rows(engine)] == [OTHER_USER]
    assert store.claim(USER, KEY, OTHER_FINGERPRINT) is None  # any request may take it now
    with pytest.raises(KeyInFlight):
        store.claim(OTHER_USER, KEY, FINGERPRINT)  # the other user's claim was untouched


def test_an_expired_key_is_claimable_again_with_a_zero_ttl(engine: sa.Engine) -> None:
    store = store_on(engine, ttl_seconds=0)
    store.claim(USER, KEY, FINGERPRINT)
    store.finish(USER, KEY, RESPONSE)

    assert store.claim(USER, KEY, OTHER_FINGERPRINT) is None

    [row] = key_rows(engine)
    assert (row.request_hash, row.status_code, row.response_headers, row.response_body) == (
        OTHER_FINGERPRINT,
        None,
        None,
        None,
    )


def test_a_key_whose_expiry_has_passed_is_claimable_again(
    store: SqlIdempotencyStore, engine: sa.Engine
) -> None:
    store.claim(USER, KEY, FINGERPRINT)
    store.finish(USER, KEY, RESPONSE)
    with engine.begin() as connection:
        connection.execute(
            sa.update(idempotency_keys).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )

    assert store.claim(USER, KEY, FINGERPRINT) is None  # not the stale replay: a fresh claim

    with pytest.raises(KeyInFlight):
        store.claim(USER, KEY, FINGERPRINT)
    [row] = key_rows(engine)
    assert row.status_code is None
    assert row.expires_at > datetime.now(UTC) + timedelta(minutes=59)


def test_an_in_flight_claim_older_than_the_lock_can_be_taken_over(engine: sa.Engine) -> None:
    patient = store_on(engine, lock_seconds=60)
    impatient = store_on(engine, lock_seconds=0)
    patient.claim(USER, KEY, FINGERPRINT)
    with pytest.raises(KeyInFlight):
        patient.claim(USER, KEY, FINGERPRINT)
    [first] = key_rows(engine)

    assert impatient.claim(USER, KEY, FINGERPRINT) is None

    [second] = key_rows(engine)
    assert second.status_code is None
    assert second.created_at > first.created_at  # the lock restarts with the new holder


def test_a_finished_key_is_never_taken_over_as_dead(engine: sa.Engine) -> None:
    impatient = store_on(engine, lock_seconds=0)
    impatient.claim(USER, KEY, FINGERPRINT)
    impatient.finish(USER, KEY, RESPONSE)

    assert impatient.claim(USER, KEY, FINGERPRINT) == RESPONSE
    with pytest.raises(KeyReused):
        impatient.claim(USER, KEY, OTHER_FINGERPRINT)


def test_concurrent_first_claims_grant_the_key_exactly_once(store: SqlIdempotencyStore) -> None:
    """Two requests with a new key at the same moment: one runs, the other is told the key is in
    flight (409) -- not a database error (503)."""
    rounds, threads = 10, 2
    for round_number in range(rounds):
        key = f"race-{round_number}"
        barrier = threading.Barrier(threads)
        outcomes: list[str] = []

        def claim(
            key: str = key, barrier: threading.Barrier = barrier, outcomes: list[str] = outcomes
        ) -> None:
            barrier.wait()
            try:
                outcomes.append("granted" if store.claim(USER, key, FINGERPRINT) is None else "replayed")
            except KeyInFlight:
                outcomes.append("in flight")
            except Exception as error:  # reported below, with the round it happened in
                outcomes.append(f"{type(error).__name__}: {error}")

        workers = [threading.Thread(target=claim) for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=60)
        assert sorted(outcomes) == ["granted", "in flight"], f"round {round_number}: {outcomes}"
