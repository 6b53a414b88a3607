"""The cache and read-side settings read from the environment, and the Redis client they build.

No service is needed: building a redis-py connection pool connects to nothing.
"""

from __future__ import annotations

import pytest
import redis

from customer_api.adapters.redis import redis_client
from customer_api.config import ConfigurationError, Settings


def test_nothing_configured_means_the_memory_cache_and_the_documented_defaults() -> None:
    settings = Settings.from_env({})
    assert settings.cache_provider == "memory"
    assert settings.redis_url is None
    assert settings.redis_tls_cert_reqs == "required"
    assert settings.redis_pool_size == 20
    assert settings.redis_timeout_seconds == 0.5
    assert settings.customer_cache_ttl == 60
    assert settings.read_database_url is None


def test_a_redis_url_selects_the_redis_cache_and_is_kept_as_given() -> None:
    settings = Settings.from_env({"REDIS_URL": "redis://cache.internal:6380/3"})
    assert settings.cache_provider == "redis"
    assert settings.redis_url == "redis://cache.internal:6380/3"


def test_the_seed_redis_variables_describe_the_server_with_the_password_escaped() -> None:
    settings = Settings.from_env(
        {"REDIS_HOST": "cache", "REDIS_PORT": "6390", "REDIS_PASSWORD": "p@ss/w:rd#1", "REDIS_DB": "4"}
    )
    assert settings.cache_provider == "redis"
    assert settings.redis_url == "redis://:p%40ss%2Fw%3Ard%231@cache:6390/4"
    # and redis-py reads back exactly the password that was configured
    pool = redis.ConnectionPool.from_url(settings.redis_url)
    assert pool.connection_kwargs["password"] == "p@ss/w:rd#1"
    assert (pool.connection_kwargs["host"], pool.connection_kwargs["port"]) == ("cache", 6390)
    assert pool.connection_kwargs["db"] == 4


def test_the_redis_host_alone_means_the_default_port_and_database_and_no_password() -> None:
    settings = Settings.from_env({"REDIS_HOST": "cache"})
    assert settings.redis_url == "redis://cache:6379/0"


def test_redis_url_wins_over_the_redis_host_variables() -> None:
    settings = Settings.from_env({"REDIS_URL": "redis://primary:6379/1", "REDIS_HOST": "other"})
    assert settings.redis_url == "redis://primary:6379/1"


@pytest.mark.parametrize("flag", ["true", "TRUE", "1", "yes"])
def test_elasticache_tls_turns_the_url_into_rediss(flag: str) -> None:
    from_host = Settings.from_env(
        {
            "REDIS_HOST": "master.cache.amazonaws.com",
            "REDIS_PASSWORD": "s3cret",
            "ELASTICACHE_TLS_ENABLED": flag,
        }
    )
    assert from_host.redis_url == "rediss://:s3cret@master.cache.amazonaws.com:6379/0"
    from_url = Settings.from_env({"REDIS_URL": "redis://h:6379/0", "ELASTICACHE_TLS_ENABLED": flag})
    assert from_url.redis_url == "rediss://h:6379/0"


def test_tls_disabled_or_already_rediss_leaves_the_url_alone() -> None:
    plain = Settings.from_env({"REDIS_URL": "redis://h:6379/0", "ELASTICACHE_TLS_ENABLED": "false"})
    assert plain.redis_url == "redis://h:6379/0"
    tls = Settings.from_env({"REDIS_URL": "rediss://h:6380/0", "ELASTICACHE_TLS_ENABLED": "true"})
    assert tls.redis_url == "rediss://h:6380/0"


@pytest.mark.parametrize(
    ("raw", "expected"), [("none", "none"), ("OPTIONAL", "optional"), ("required", "required")]
)
def test_elasticache_cert_requirements_are_read_case_insensitively(raw: str, expected: str) -> None:
    settings = Settings.from_env({"REDIS_URL": "rediss://h:6380/0", "ELASTICACHE_SSL_CERT_REQS": raw})
    assert settings.redis_tls_cert_reqs == expected


@pytest.mark.parametrize("raw", ["no", "CERT_NONE", "strict", ""])
def test_an_unknown_cert_requirement_refuses_to_start(raw: str) -> None:
    with pytest.raises(ConfigurationError, match="ELASTICACHE_SSL_CERT_REQS"):
        Settings.from_env({"REDIS_URL": "rediss://h:6380/0", "ELASTICACHE_SSL_CERT_REQS": raw})


def test_cache_provider_may_override_the_choice() -> None:
    with_url = {"REDIS_URL": "redis://h:6379/0"}
    assert Settings.from_env({**with_url, "CACHE_PROVIDER": "memory"}).cache_provider == "memory"
    assert Settings.from_env({**with_url, "CACHE_PROVIDER": "none"}).cache_provider == "none"
    assert Settings.from_env({"CACHE_PROVIDER": "none"}).cache_provider == "none"
    assert Settings.from_env({"CACHE_PROVIDER": "memory"}).cache_provider == "memory"


def test_cache_provider_redis_without_a_redis_url_refuses_to_start() -> None:
    with pytest.raises(ConfigurationError, match="REDIS_URL"):
        Settings.from_env({"CACHE_PROVIDER": "redis"})


def test_an_unknown_cache_provider_refuses_to_start() -> None:
    with pytest.raises(ConfigurationError, match="CACHE_PROVIDER"):
        Settings.from_env({"CACHE_PROVIDER": "memcached", "REDIS_URL": "redis://h:6379/0"})


def test_pool_size_timeout_and_ttl_come_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "REDIS_URL": "redis://h:6379/0",
            "REDIS_CONNECTION_POOL_SIZE": "50",
            "REDIS_CONNECTION_TIMEOUT": "1.5",
            "CUSTOMER_CACHE_TTL": "300",
        }
    )
    assert settings.redis_pool_size == 50
    assert settings.redis_timeout_seconds == 1.5
    assert settings.customer_cache_ttl == 300


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("REDIS_CONNECTION_POOL_SIZE", "many"),
        ("REDIS_CONNECTION_POOL_SIZE", "2.5"),
        ("REDIS_CONNECTION_TIMEOUT", "soon"),
        ("CUSTOMER_CACHE_TTL", "1m"),
    ],
)
def test_numbers_that_are_not_numbers_refuse_to_start(variable: str, value: str) -> None:
    with pytest.raises(ConfigurationError, match=variable):
        Settings.from_env({variable: value})


def test_read_database_url_points_queries_at_a_replica() -> None:
    replica = "mysql+pymysql://reader@replica:3306/customer_api"
    settings = Settings.from_env(
        {"DATABASE_URL": "mysql+pymysql://app@primary/customer_api", "READ_DATABASE_URL": replica}
    )
    assert settings.read_database_url == replica
    assert settings.database_url == "mysql+pymysql://app@primary/customer_api"
    assert Settings.from_env({"READ_DATABASE_URL": ""}).read_database_url is None


def test_a_rediss_url_builds_a_tls_pool_without_connecting() -> None:
    client = redis_client("rediss://h:6380/0", pool_size=7, timeout=0.3, tls_cert_reqs="none")
    pool = client.connection_pool
    assert issubclass(pool.connection_class, redis.SSLConnection)
    kwargs = pool.connection_kwargs
    assert kwargs["ssl_cert_reqs"] == "none"
    assert kwargs["socket_timeout"] == 0.3
    assert kwargs["socket_connect_timeout"] == 0.3
    assert (kwargs["host"], kwargs["port"], kwargs["db"]) == ("h", 6380, 0)
    assert pool.max_connections == 7


def test_a_redis_url_builds_a_plain_pool_with_the_same_limits() -> None:
    client = redis_client("redis://h:6379/2", pool_size=3, timeout=0.25, tls_cert_reqs="required")
    pool = client.connection_pool
    assert not issubclass(pool.connection_class, redis.SSLConnection)
    assert "ssl_cert_reqs" not in pool.connection_kwargs
    assert pool.connection_kwargs["socket_timeout"] == 0.25
    assert pool.connection_kwargs["socket_connect_timeout"] == 0.25
    assert pool.max_connections == 3


def test_the_client_does_not_retry_a_failed_command_on_its_own() -> None:
    """The circuit breaker decides when to try again; retries inside redis-py would multiply the
    time a request spends on a cache that does not answer."""
    client = redis_client("redis://h:6379/0", pool_size=1, timeout=0.2, tls_cert_reqs="required")
    connection = client.connection_pool.make_connection()
    assert connection.retry.get_retries() == 0
