"""Log lines, trace ids and the operational settings, without a server."""

from __future__ import annotations

import json
import logging
import sys

import pytest

from customer_api.config import (
    MAX_DEFAULT_WORKERS,
    ConfigurationError,
    ServerSettings,
    Settings,
    default_workers,
)
from customer_api.http.telemetry import trace_id
from customer_api.logs import JsonLogFormatter, RequestContextFilter, configure_logging

SECRET = "k" * 32


def record(message: str = "hello %s", *args: object, **extra: object) -> logging.LogRecord:
    made = logging.LogRecord(
        "customer_api.test", logging.WARNING, __file__, 1, message, args or ("world",), None
    )
    made.__dict__.update(extra)
    RequestContextFilter().filter(made)
    return made


def test_a_json_line_has_the_fields_in_order_then_the_extra_ones() -> None:
    line = json.loads(JsonLogFormatter().format(record(order_id="o-1", attempt=2)))

    assert list(line) == [
        "timestamp",
        "level",
        "service",
        "request_id",
        "trace_id",
        "message",
        "logger",
        "order_id",
        "attempt",
    ]
    assert line["level"] == "WARNING"
    assert line["service"] == "customer-api"
    assert line["message"] == "hello world"
    assert line["logger"] == "customer_api.test"
    assert (line["order_id"], line["attempt"]) == ("o-1", 2)


def test_outside_a_request_the_request_id_is_a_dash_and_the_trace_id_empty() -> None:
    line = json.loads(JsonLogFormatter().format(record()))

    assert (line["request_id"], line["trace_id"]) == ("-", "")


def test_the_timestamp_is_rfc_3339_in_utc_with_a_z() -> None:
    made = record()
    made.created = 1_700_000_000.25

    assert json.loads(JsonLogFormatter().format(made))["timestamp"] == "2023-11-14T22:13:20.250Z"


def test_an_exception_goes_in_the_line_with_its_traceback() -> None:
    try:
        raise ValueError("bad value")
    except ValueError:
        made = record(exc_info=sys.exc_info())

    line = json.loads(JsonLogFormatter().format(made))

    assert "ValueError: bad value" in line["exc_info"]
    assert "Traceback" in line["exc_info"]


@pytest.mark.parametrize(
    ("log_format", "looks_like"),
    [("json", '{"timestamp": '), ("console", " WARNING [-] test-configure-console: ready")],
)
def test_configure_logging_writes_the_chosen_format_once(
    log_format: str, looks_like: str, capsys: pytest.CaptureFixture[str]
) -> None:
    logger = logging.getLogger(f"test-configure-{log_format}")
    logger.propagate = False
    configure_logging(log_format, "INFO", logger)
    configure_logging(log_format, "INFO", logger)  # a second app in the same process

    logger.warning("ready")

    written = capsys.readouterr().err.splitlines()
    assert len(written) == 1
    assert looks_like in written[0]
    assert written[0].endswith("ready") or json.loads(written[0])["message"] == "ready"


def test_configure_logging_honours_the_level() -> None:
    logger = logging.getLogger("test-configure-level")
    logger.propagate = False
    configure_logging("json", "ERROR", logger)

    assert not logger.isEnabledFor(logging.WARNING)
    assert logger.isEnabledFor(logging.ERROR)


# --- trace ids -----------------------------------------------------------------------------------


def test_the_trace_id_comes_from_a_w3c_traceparent() -> None:
    assert trace_id("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01") == (
        "4bf92f3577b34da6a3ce929d0e0e4736"
    )


@pytest.mark.parametrize(
    "traceparent",
    [
        "",
        "garbage",
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",  # all-zero trace id
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  # forbidden version
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",  # upper case
        "00-4bf92f3577b34da6a3ce929d0e0e47-00f067aa0ba902b7-01",  # too short
    ],
)
def test_an_invalid_traceparent_gives_no_trace_id(traceparent: str) -> None:
    assert trace_id(traceparent) == ""


# --- settings ------------------------------------------------------------------------------------


def test_logs_are_json_in_production_and_console_lines_elsewhere() -> None:
    assert Settings.from_env({}).log_format == "console"
    assert Settings.from_env({"APP_ENV": "production", "JWT_SECRET_KEY": SECRET}).log_format == "json"
    assert Settings.from_env({"LOG_FORMAT": "json"}).log_format == "json"
    production = {"APP_ENV": "production", "JWT_SECRET_KEY": SECRET, "LOG_FORMAT": "console"}
    assert Settings.from_env(production).log_format == "console"


def test_an_unknown_log_format_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="LOG_FORMAT"):
        Settings.from_env({"LOG_FORMAT": "xml"})


def test_sentry_and_the_metrics_directory_are_off_unless_set() -> None:
    assert (Settings.from_env({}).sentry_dsn, Settings.from_env({}).prometheus_multiproc_dir) == (None, None)
    settings = Settings.from_env(
        {"SENTRY_DSN": "https://k@sentry.example/1", "PROMETHEUS_MULTIPROC_DIR": "/m"}
    )
    assert (settings.sentry_dsn, settings.prometheus_multiproc_dir) == ("https://k@sentry.example/1", "/m")
    assert "sentry.example" not in repr(settings)


def test_gunicorn_reads_port_workers_and_trusted_proxies() -> None:
    server = ServerSettings.from_env(
        {"PORT": "8080", "GUNICORN_WORKERS": "3", "FORWARDED_ALLOW_IPS": "10.0.0.1", "LOG_FORMAT": "json"}
    )

    assert (server.port, server.workers, server.forwarded_allow_ips) == (8080, 3, "10.0.0.1")
    assert server.log_format == "json"


def test_gunicorn_defaults_to_port_5000_a_local_proxy_and_workers_by_cpu() -> None:
    server = ServerSettings.from_env({})

    assert (server.port, server.forwarded_allow_ips) == (5000, "127.0.0.1")
    assert server.workers == default_workers()


def test_default_workers_follow_the_cpus_up_to_a_cap() -> None:
    assert default_workers(1) == 3
    assert default_workers(2) == 5
    assert default_workers(64) == MAX_DEFAULT_WORKERS


def test_a_port_must_be_a_number() -> None:
    with pytest.raises(ConfigurationError, match="PORT"):
        ServerSettings.from_env({"PORT": "http"})
