"""The composition root: reads the settings, picks one adapter per port and wires the handlers.

Nothing else decides which technology is used; tests call ``bootstrap`` with their own settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import sqlalchemy as sa

from customer_api.adapters.local import FileEventPublisher, MemoryCache, NoCache
from customer_api.adapters.prometheus import Metrics
from customer_api.adapters.redis import RedisCache, redis_client
from customer_api.adapters.resilient_cache import ResilientCache
from customer_api.adapters.s3 import S3EventPublisher
from customer_api.adapters.sql.engine import create_engine, reading_engine
from customer_api.adapters.sql.idempotency import SqlIdempotencyStore
from customer_api.adapters.sql.outbox import SqlOutbox
from customer_api.adapters.sql.unit_of_work import SqlUnitOfWork
from customer_api.auth.api_keys import ApiKeys
from customer_api.auth.commands import RegisterUser
from customer_api.auth.handlers import register_user
from customer_api.auth.passwords import Argon2PasswordHasher
from customer_api.auth.queries import UserQueries
from customer_api.auth.sessions import Sessions
from customer_api.auth.sql import SqlApiKeyStore, SqlSessionStore, SqlUserReader, SqlUserRepository
from customer_api.config import Settings
from customer_api.customers.domain import EVENT_TYPES as CUSTOMER_EVENTS
from customer_api.customers.handlers import COMMAND_HANDLERS as CUSTOMER_HANDLERS
from customer_api.customers.handlers import refresh_read_model
from customer_api.customers.queries import CustomerQueries
from customer_api.customers.sql import SqlCustomerReader, SqlCustomerRepository
from customer_api.http.cursors import CursorCodec
from customer_api.http.idempotency import IdempotencyStore
from customer_api.http.rate_limits import RateLimits
from customer_api.shared.cache import Cache
from customer_api.shared.events import Meta
from customer_api.shared.messagebus import MessageBus
from customer_api.shared.outbox import EventPublisher
from customer_api.shared.relay import OutboxRelay


@dataclass(frozen=True)
class Services:
    settings: Settings
    engine: sa.Engine
    cache: Cache
    bus: MessageBus
    customers: CustomerQueries
    users: UserQueries
    sessions: Sessions
    rate_limits: RateLimits
    api_keys: ApiKeys
    idempotency: IdempotencyStore
    cursors: CursorCodec
    outbox: SqlOutbox
    publisher: EventPublisher
    relay: OutboxRelay
    metrics: Metrics


def bootstrap(settings: Settings) -> Services:
    engine = create_engine(settings.database_url)
    hasher = Argon2PasswordHasher(
        time_cost=settings.argon2_time_cost,
        memory_cost_kib=settings.argon2_memory_cost_kib,
        parallelism=settings.argon2_parallelism,
    )
    repositories = {"customers": SqlCustomerRepository, "users": SqlUserRepository}

    def unit_of_work(meta: Meta) -> SqlUnitOfWork:
        return SqlUnitOfWork(engine, repositories, meta)

    read_engine = create_engine(settings.read_database_url) if settings.read_database_url else engine
    outbox = SqlOutbox(engine)
    publisher = event_publisher(settings)
    metrics = Metrics(outbox, settings.prometheus_multiproc_dir)
    cache = build_cache(settings, metrics)
    refresh = partial(refresh_read_model, cache=cache, ttl=settings.customer_cache_ttl)
    relay = OutboxRelay(
        outbox,
        publisher,
        prefix=settings.event_prefix,
        idle_seconds=settings.event_relay_idle_seconds,
        on_result=metrics.record_batch,
    )
    bus = MessageBus(
        unit_of_work,
        {**CUSTOMER_HANDLERS, RegisterUser: partial(register_user, hasher=hasher)},
        {event_type: [refresh] for event_type in CUSTOMER_EVENTS.values()},
    )
    return Services(
        settings=settings,
        engine=engine,
        cache=cache,
        bus=bus,
        customers=CustomerQueries(
            SqlCustomerReader(reading_engine(read_engine)),
            cache,
            ttl=settings.customer_cache_ttl,
            primary=SqlCustomerReader(reading_engine(engine)) if read_engine is not engine else None,
        ),
        users=UserQueries(SqlUserReader(engine), hasher),
        sessions=Sessions(SqlSessionStore(engine), cache, ttl=settings.jwt_access_token_expires),
        rate_limits=RateLimits(
            cache, enabled=settings.rate_limit_enabled, on_reject=metrics.record_rate_limited
        ),
        api_keys=ApiKeys(
            SqlApiKeyStore(engine),
            cache,
            ttl=settings.customer_cache_ttl,
            master_token=settings.master_token,
        ),
        idempotency=SqlIdempotencyStore(
            engine,
            ttl_seconds=settings.idempotency_ttl_seconds,
            lock_seconds=settings.idempotency_lock_seconds,
        ),
        cursors=CursorCodec(settings.jwt_secret_key),
        outbox=outbox,
        publisher=publisher,
        relay=relay,
        metrics=metrics,
    )


def build_cache(settings: Settings, metrics: Metrics) -> Cache:
    if settings.cache_provider == "none":
        return NoCache()
    inner: Cache = MemoryCache()
    if settings.cache_provider == "redis" and settings.redis_url:
        client = redis_client(
            settings.redis_url,
            pool_size=settings.redis_pool_size,
            timeout=settings.redis_timeout_seconds,
            tls_cert_reqs=settings.redis_tls_cert_reqs,
        )
        inner = RedisCache(client)
    return ResilientCache(
        inner,
        retry_seconds=settings.cache_retry_seconds,
        on_lookup=metrics.record_lookup,
        on_error=metrics.cache_errors.inc,
    )


def event_publisher(settings: Settings) -> EventPublisher:
    if settings.event_publisher == "s3" and settings.event_bucket_name:
        return S3EventPublisher(
            settings.event_bucket_name, region=settings.aws_region, endpoint_url=settings.localstack_url
        )
    return FileEventPublisher(settings.events_dir)
