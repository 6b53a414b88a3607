"""Schemathesis over the WSGI app: every operation of /openapi.json, authenticated as an admin, with
generated inputs. No 5xx, and every response matches its documented status, content type and schema.

The app is made when the module loads, on a SQLite file of its own: schemathesis needs the schema to
generate the tests, before any fixture runs.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from customer_api import create_app
from customer_api.auth.domain import Role
from tests.conftest import login, migrate, register, settings_for

EXAMPLES_PER_OPERATION = 25
# What the contract promises of every response. (Whether every schema-valid input is accepted is
# not among them: the schemas document shapes, the domain adds rules such as a trimmed name.)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

_URL = f"sqlite:///{Path(tempfile.mkdtemp(prefix='fuzz-')) / 'fuzz.db'}"
migrate(_URL)
APP = create_app(settings_for(_URL))
register(APP, "fuzz@example.com", Role.ADMIN)
schema = schemathesis.openapi.from_wsgi("/openapi.json", APP)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_every_operation_answers_as_documented(case: schemathesis.Case) -> None:
    case.call_and_validate(headers=login(APP.test_client(), "fuzz@example.com"), checks=CHECKS)
