"""The baseline: the fastest a Flask app can do the service's storage work on this machine.

    gunicorn --workers 2 "bench.baseline:app"     # BENCH_DATABASE_URL as the service's DATABASE_URL

No framework around Flask: no schemas, no auth, no cache, no hooks. ``GET /v1/customers/<id>`` is one
indexed SELECT by primary key of the service's own ``customers`` table; ``POST /v1/customers`` is one
INSERT into it (autocommit). Raw PyMySQL (``sqlite3`` on the embedded default), one connection per
worker process, opened on the first request and kept: a sync worker serves one request at a time, so
that is a pool of one with no checkout cost and no pre-ping. bench/run.py reports every figure of the
service as a ratio to these.
"""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urlsplit

import pymysql
from flask import Flask, Response, request

COLUMNS = "id, name, email, phone, address, version, created_at, updated_at"
READ = f"SELECT {COLUMNS} FROM customers WHERE id = {{0}} AND deleted_at IS NULL"  # noqa: S608
INSERT = (
    f"INSERT INTO customers ({COLUMNS}, live_email) "  # noqa: S608
    "VALUES ({0}, {0}, {0}, {0}, {0}, {0}, {0}, {0}, {0})"
)

app = Flask(__name__)
_open: dict[str, Any] = {}  # this worker process's one connection


def connection() -> Any:
    if "db" not in _open:
        _open["db"] = connect(os.environ["BENCH_DATABASE_URL"])
    return _open["db"]


def connect(url: str) -> Any:
    parts = urlsplit(url)
    if parts.scheme.startswith("sqlite"):
        return sqlite3.connect(url.split(":///", 1)[1], isolation_level=None, check_same_thread=False)
    return pymysql.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 3306,
        user=unquote(parts.username or "root"),
        password=unquote(parts.password or ""),
        database=parts.path.lstrip("/"),
        charset="utf8mb4",
        autocommit=True,
    )


def execute(sql: str, params: tuple[Any, ...]) -> Any:
    db = connection()
    placeholder = "?" if isinstance(db, sqlite3.Connection) else "%s"
    try:
        cursor = db.cursor()
        cursor.execute(sql.format(placeholder), params)
    except Exception:
        _open.pop("db", None)  # reconnect on the next request
        raise
    return cursor


def as_json(body: dict[str, Any], status: int) -> Response:
    return Response(json.dumps(body, default=str), status=status, mimetype="application/json")


@app.get("/v1/customers/<customer_id>")
def read(customer_id: str) -> Response:
    row = execute(READ, (customer_id,)).fetchone()
    if row is None:
        return as_json({"status": 404}, 404)
    names = ("id", "name", "email", "phone", "address", "version", "created_at", "updated_at")
    return as_json(dict(zip(names, row, strict=True)), 200)


@app.post("/v1/customers")
def insert() -> Response:
    body = request.get_json()
    now = datetime.now(UTC).replace(tzinfo=None)
    customer = {"id": str(uuid.uuid4()), "name": body["name"], "email": body["email"], "version": 1}
    execute(
        INSERT,
        (customer["id"], body["name"], body["email"], None, None, 1, now, now, body["email"]),
    )
    return as_json({**customer, "created_at": now.isoformat()}, 201)


@app.get("/health")
def health() -> Response:
    return as_json({"status": "ok"}, 200)
