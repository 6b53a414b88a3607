"""``X-Request-ID``: the client's own when it is sane, else a fresh UUID; echoed on every response
and put in every log line and event the request causes."""

from __future__ import annotations

import logging
import re

from flask import Flask, Response, g, has_request_context, request

from customer_api.shared.ids import new_id

HEADER = "X-Request-ID"
SANE = re.compile(r"^[A-Za-z0-9._-]{1,128}$")


def register(app: Flask) -> None:
    @app.before_request
    def _assign() -> None:
        offered = request.headers.get(HEADER, "")
        g.request_id = offered if SANE.match(offered) else new_id()

    @app.after_request
    def _echo(response: Response) -> Response:
        response.headers[HEADER] = g.get("request_id") or new_id()
        return response


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every log record ("-" outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True
