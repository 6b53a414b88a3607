"""Settings: every environment variable the service reads, typed, with its default, in one place.

Nothing else in the code base reads ``os.environ``; tests build a ``Settings`` of their own.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import limits

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
MIN_PRODUCTION_SECRET_BYTES = 32
MAX_DEFAULT_WORKERS = 12


class ConfigurationError(RuntimeError):
    """The environment describes a service that must not start."""


@dataclass(frozen=True)
class Settings:
    app_env: str = "development"
    database_url: str = f"sqlite:///{PROJECT_ROOT / 'var' / 'customer_api.db'}"
    # Queries may read from a replica; None reads from database_url.
    read_database_url: str | None = None
    jwt_secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(48), repr=False)
    jwt_access_token_expires: int = 1800
    jwt_refresh_token_expires: int = 30 * 24 * 3600
    idempotency_ttl_seconds: int = 24 * 3600
    # A request that holds its key longer than this is presumed dead, and the key usable again.
    idempotency_lock_seconds: int = 60
    # Rate limits ("<count>/<period>", sliding window): per user, per admin, per IP on login, and
    # per email on login (against password guessing spread over many addresses).
    rate_limit_enabled: bool = True
    rate_limit_default: str = "100/minute"
    rate_limit_admin: str = "10000/minute"
    rate_limit_login: str = "10/minute"
    rate_limit_login_email: str = "5/minute"
    # Browser origins allowed to call the API (CORS); none by default.
    allowed_origins: tuple[str, ...] = ()
    # How many proxies in front of the service add to X-Forwarded-For: the client IP (for rate
    # limits and logs) is the address the outermost of them saw. 0 believes no such header.
    trusted_proxy_hops: int = 0
    # An admin API key for system operations; None disables it.
    master_token: str | None = field(default=None, repr=False)
    admin_email: str = "admin@example.com"
    admin_password: str | None = field(default=None, repr=False)
    # argon2id cost. The defaults are argon2-cffi's RFC 9106 "low memory" profile; tests lower them.
    argon2_time_cost: int = 3
    argon2_memory_cost_kib: int = 65536
    argon2_parallelism: int = 4
    log_level: str = "INFO"
    # Events: "file" writes under events_dir (the embedded default), "s3" to event_bucket_name.
    event_publisher: str = "file"
    events_dir: Path = PROJECT_ROOT / "var" / "events"
    event_bucket_name: str | None = None
    event_prefix: str = "events"
    aws_region: str = "us-east-1"
    localstack_url: str | None = None
    # "thread": a relay thread in each web process; "off" when `flask events relay` workers run.
    event_relay: str = "thread"
    event_relay_idle_seconds: float = 1.0
    # Cache in front of the read models: "redis", "memory" (the embedded default) or "none".
    cache_provider: str = "memory"
    redis_url: str | None = field(default=None, repr=False)
    redis_tls_cert_reqs: str = "required"
    redis_pool_size: int = 20
    redis_timeout_seconds: float = 0.5
    customer_cache_ttl: int = 60
    # After a cache error, requests skip the cache this long before one probes it again.
    cache_retry_seconds: float = 5.0
    # Operations: "json" log lines (production's default) or "console" ones; Sentry when a DSN is
    # given; under gunicorn, the directory where prometheus_client's multiprocess mode keeps counts.
    log_format: str = "console"
    sentry_dsn: str | None = field(default=None, repr=False)
    prometheus_multiproc_dir: str | None = None

    @property
    def is_production(self) -> bool:
        return self.app_env == "production"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        app_env = env.get("APP_ENV", "development")
        secret = env.get("JWT_SECRET_KEY")
        _check_secret(secret, production=app_env == "production")
        overrides: dict[str, object] = {
            "app_env": app_env,
            "database_url": _database_url(env) or cls.database_url,
            "jwt_access_token_expires": _int(env, "JWT_ACCESS_TOKEN_EXPIRES", 1800),
            "jwt_refresh_token_expires": _int(env, "JWT_REFRESH_TOKEN_EXPIRES", 30 * 24 * 3600),
            "idempotency_ttl_seconds": _int(env, "IDEMPOTENCY_TTL_SECONDS", 24 * 3600),
            "admin_email": env.get("ADMIN_EMAIL", cls.admin_email),
            "admin_password": env.get("ADMIN_PASSWORD") or None,
            "master_token": env.get("MASTER_TOKEN") or None,
            "rate_limit_enabled": env.get("RATE_LIMIT_ENABLED", "true").lower()
            not in ("0", "false", "no", "off"),
            "rate_limit_default": _rate_limit(env, "RATE_LIMIT_DEFAULT", cls.rate_limit_default),
            "rate_limit_admin": _rate_limit(env, "RATE_LIMIT_ADMIN", cls.rate_limit_admin),
            "rate_limit_login": _rate_limit(env, "RATE_LIMIT_LOGIN", cls.rate_limit_login),
            "rate_limit_login_email": _rate_limit(env, "RATE_LIMIT_LOGIN_EMAIL", cls.rate_limit_login_email),
            "allowed_origins": tuple(
                o.strip() for o in env.get("ALLOWED_ORIGINS", "").split(",") if o.strip()
            ),
            "trusted_proxy_hops": _int(env, "TRUSTED_PROXY_HOPS", 0),
            **_operations_settings(env, app_env),
            **_event_settings(env),
            **_cache_settings(env),
        }
        if secret:
            overrides["jwt_secret_key"] = secret
        return cls(**overrides)  # type: ignore[arg-type]


def _cache_settings(env: Mapping[str, str]) -> dict[str, object]:
    redis_url = _redis_url(env)
    provider = env.get("CACHE_PROVIDER") or ("redis" if redis_url else "memory")
    if provider not in ("redis", "memory", "none"):
        raise ConfigurationError(f"CACHE_PROVIDER must be redis, memory or none, not {provider!r}")
    if provider == "redis" and not redis_url:
        raise ConfigurationError("CACHE_PROVIDER=redis needs REDIS_URL or REDIS_HOST")
    cert_reqs = env.get("ELASTICACHE_SSL_CERT_REQS", "required").lower()
    if cert_reqs not in ("none", "optional", "required"):
        raise ConfigurationError("ELASTICACHE_SSL_CERT_REQS must be none, optional or required")
    return {
        "read_database_url": env.get("READ_DATABASE_URL") or None,
        "cache_provider": provider,
        "redis_url": redis_url,
        "redis_tls_cert_reqs": cert_reqs,
        "redis_pool_size": _int(env, "REDIS_CONNECTION_POOL_SIZE", 20),
        "redis_timeout_seconds": _float(env, "REDIS_CONNECTION_TIMEOUT", 0.5),
        "customer_cache_ttl": _int(env, "CUSTOMER_CACHE_TTL", 60),
    }


def _redis_url(env: Mapping[str, str]) -> str | None:
    """``REDIS_URL`` wins; else the seed's ``REDIS_*`` variables, ``rediss://`` with TLS (ElastiCache)."""
    tls = env.get("ELASTICACHE_TLS_ENABLED", "").lower() in ("1", "true", "yes")
    url = env.get("REDIS_URL")
    if not url and env.get("REDIS_HOST"):
        password = quote(env.get("REDIS_PASSWORD", ""), safe="")
        credentials = f":{password}@" if password else ""
        port, db = env.get("REDIS_PORT", "6379"), env.get("REDIS_DB", "0")
        url = f"redis://{credentials}{env['REDIS_HOST']}:{port}/{db}"
    if url and tls and url.startswith("redis://"):
        url = "rediss://" + url.removeprefix("redis://")
    return url or None


def _event_settings(env: Mapping[str, str]) -> dict[str, object]:
    bucket = env.get("EVENT_BUCKET_NAME") or None
    publisher = env.get("EVENT_PUBLISHER") or ("s3" if bucket else "file")
    relay = env.get("EVENT_RELAY", "thread")
    if publisher not in ("s3", "file"):
        raise ConfigurationError(f"EVENT_PUBLISHER must be s3 or file, not {publisher!r}")
    if publisher == "s3" and not bucket:
        raise ConfigurationError("EVENT_PUBLISHER=s3 needs EVENT_BUCKET_NAME")
    if relay not in ("thread", "off"):
        raise ConfigurationError(f"EVENT_RELAY must be thread or off, not {relay!r}")
    return {
        "event_publisher": publisher,
        "event_bucket_name": bucket,
        "event_prefix": env.get("EVENT_PREFIX", "events").strip("/"),
        "aws_region": env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
        "localstack_url": env.get("LOCALSTACK_URL") or None,
        "event_relay": relay,
    }


def _operations_settings(env: Mapping[str, str], app_env: str) -> dict[str, object]:
    log_format = env.get("LOG_FORMAT") or ("json" if app_env == "production" else "console")
    if log_format not in ("json", "console"):
        raise ConfigurationError(f"LOG_FORMAT must be json or console, not {log_format!r}")
    return {
        "log_level": env.get("LOG_LEVEL", "INFO").upper(),
        "log_format": log_format,
        "sentry_dsn": env.get("SENTRY_DSN") or None,
        # prometheus_client reads this variable itself too, when it is imported.
        "prometheus_multiproc_dir": env.get("PROMETHEUS_MULTIPROC_DIR") or None,
    }


@dataclass(frozen=True)
class ServerSettings:
    """How gunicorn serves the app; read by ``gunicorn.conf.py`` in gunicorn's master process."""

    port: int = 5000
    workers: int = 2
    forwarded_allow_ips: str = "127.0.0.1"
    log_format: str = "console"
    log_level: str = "INFO"
    prometheus_multiproc_dir: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ServerSettings:
        env = os.environ if environ is None else environ
        operations = _operations_settings(env, env.get("APP_ENV", "development"))
        return cls(
            port=_int(env, "PORT", 5000),
            workers=_int(env, "GUNICORN_WORKERS", default_workers()),
            forwarded_allow_ips=env.get("FORWARDED_ALLOW_IPS") or "127.0.0.1",
            log_format=str(operations["log_format"]),
            log_level=str(operations["log_level"]),
            prometheus_multiproc_dir=env.get("PROMETHEUS_MULTIPROC_DIR") or None,
        )


def default_workers(cpus: int | None = None) -> int:
    """Gunicorn's rule of thumb, 2 * CPUs + 1, capped: every worker holds its own database and Redis
    pools, so past a dozen another host serves better than more workers on this one."""
    cpus = cpus or len(os.sched_getaffinity(0))
    return min(2 * cpus + 1, MAX_DEFAULT_WORKERS)


def _check_secret(secret: str | None, *, production: bool) -> None:
    if production and len((secret or "").encode()) < MIN_PRODUCTION_SECRET_BYTES:
        raise ConfigurationError(
            f"JWT_SECRET_KEY must be set to at least {MIN_PRODUCTION_SECRET_BYTES} bytes "
            "when APP_ENV=production"
        )
    if not secret:
        log.warning(
            "JWT_SECRET_KEY is not set: using a random key, so tokens die with this process "
            "and are not shared between processes"
        )


def _database_url(env: Mapping[str, str]) -> str | None:
    """``DATABASE_URL`` wins; else the seed's ``DB_*`` variables describe a MySQL server."""
    if env.get("DATABASE_URL"):
        return env["DATABASE_URL"]
    if not env.get("DB_HOST"):
        return None
    user = quote(env.get("DB_USER", "root"), safe="")
    password = quote(env.get("DB_PASSWORD", ""), safe="")
    credentials = f"{user}:{password}" if password else user
    host, port, name = env["DB_HOST"], env.get("DB_PORT", "3306"), env.get("DB_NAME", "customer_api")
    return f"mysql+pymysql://{credentials}@{host}:{port}/{name}?charset=utf8mb4"


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a number, not {raw!r}") from None


def _rate_limit(env: Mapping[str, str], name: str, default: str) -> str:
    limit = env.get(name) or default
    try:
        limits.parse(limit)
    except ValueError:
        raise ConfigurationError(f"{name} must be a rate such as 100/minute, not {limit!r}") from None
    return limit


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a whole number, not {raw!r}") from None
