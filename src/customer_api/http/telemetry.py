"""What every request leaves behind: its metrics, one access log line, and the trace it belongs to.

The trace id is the one of the caller's W3C ``traceparent`` header, so that a request's log lines can
be found from a trace made upstream (a gateway, another service); without one it is empty.
"""

from __future__ import annotations

import logging
import re
import time

from flask import Flask, Response, g, request

from customer_api.config import Settings
from customer_api.http.context import services

access_log = logging.getLogger("customer_api.access")

# version-trace_id-parent_id-flags; version ff and an all-zero trace id are invalid.
TRACEPARENT = re.compile(r"^(?!ff)[0-9a-f]{2}-(?!0{32})([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}")
# Anything else is counted as "other", so that a client cannot mint label values.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"  # the endpoint label of a request that matched no route (404, 405)


def register(app: Flask) -> None:
    """Register before every other request hook, so that the time measured and the status logged
    include theirs (Flask runs ``after_request`` hooks in reverse order)."""
    app.before_request(_start)
    app.after_request(_finish)


def trace_id(traceparent: str) -> str:
    match = TRACEPARENT.match(traceparent)
    return match.group(1) if match else ""


def _start() -> None:
    g.started = time.perf_counter()
    g.trace_id = trace_id(request.headers.get("traceparent", ""))


def _finish(response: Response) -> Response:
    seconds = time.perf_counter() - g.get("started", time.perf_counter())
    method = request.method if request.method in METHODS else "other"
    services().metrics.record_request(method, request.endpoint or UNMATCHED, response.status_code, seconds)
    principal = g.get("principal")
    duration_ms = round(seconds * 1000, 2)
    # The path only: never the query string, headers or body, where secrets travel.
    access_log.info(
        "%s %s %s %.2fms",
        request.method,
        request.path,
        response.status_code,
        duration_ms,
        extra={
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": duration_ms,
            "user_id": getattr(principal, "user_id", None),
        },
    )
    return response


def init_sentry(app: Flask, settings: Settings) -> None:
    """Report unhandled errors to Sentry, tagged with the request id. Imported only when configured."""
    import sentry_sdk
    from sentry_sdk.integrations.flask import FlaskIntegration

    sentry_sdk.init(
        dsn=settings.sentry_dsn,
        environment=settings.app_env,
        integrations=[FlaskIntegration()],
        # No user IPs, no request bodies (passwords, customers' data), no local variables (where
        # a token may sit under any name); headers and cookies go with their secrets filtered.
        data_collection={"user_info": False, "http_bodies": [], "stack_frame_variables": False},
    )

    @app.before_request
    def _tag() -> None:
        sentry_sdk.set_tag("request_id", g.get("request_id"))
