"""Log lines: JSON for machines (production's default) or one readable line for a console.

Every line carries the request id and the W3C trace id of the request that caused it. The call
sites stay plain ``logging``; ``extra={...}`` fields become fields of the JSON object.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from flask import g, has_request_context
from pythonjsonlogger.json import JsonFormatter

from customer_api.http.request_ids import RequestIdFilter

SERVICE = "customer-api"
CONSOLE_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"


class RequestContextFilter(RequestIdFilter):
    """Adds ``request_id`` ("-" outside a request) and ``trace_id`` ("" unless the caller traces)."""

    def filter(self, record: logging.LogRecord) -> bool:
        super().filter(record)
        record.trace_id = g.get("trace_id", "") if has_request_context() else ""
        return True


class JsonLogFormatter(JsonFormatter):
    """One JSON object a line: timestamp, level, service, request_id, trace_id, message, logger,
    then the record's extra fields (and ``exc_info`` with the traceback, if any)."""

    def __init__(self) -> None:
        super().__init__(["request_id", "trace_id", "message", "name"], rename_fields={"name": "logger"})

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        created = datetime.fromtimestamp(record.created, UTC)
        log_data["timestamp"] = created.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        log_data["level"] = record.levelname
        log_data["service"] = SERVICE
        super().add_fields(log_data, record, message_dict)


def formatter(log_format: str) -> logging.Formatter:
    return JsonLogFormatter() if log_format == "json" else logging.Formatter(CONSOLE_FORMAT)


def configure_logging(log_format: str, level: str, logger: logging.Logger | None = None) -> None:
    """Send ``logger``'s records (the root's by default) to stderr in ``log_format``; once: a logger
    that already has such a handler (gunicorn.conf.py set it up, or an earlier app) keeps it."""
    logger = logger or logging.getLogger()
    if any(isinstance(f, RequestIdFilter) for h in logger.handlers for f in h.filters):
        return
    handler = logging.StreamHandler()
    handler.addFilter(RequestContextFilter())
    handler.setFormatter(formatter(log_format))
    logger.addHandler(handler)
    logger.setLevel(level)


def gunicorn_logconfig(log_format: str, level: str) -> dict[str, Any]:
    """gunicorn's ``logconfig_dict``: its own lines go through the root handler, so they are in the
    app's format too. Its access log stays off: the app writes one line per request itself."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": RequestContextFilter}},
        "formatters": {"app": {"()": formatter, "log_format": log_format}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "filters": ["context"],
                "formatter": "app",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
            # Off: with a logconfig_dict gunicorn would otherwise log every request a second time.
            "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
        },
    }
