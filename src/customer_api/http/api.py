"""flask-smorest, adjusted to the contract: problem+json errors in the OpenAPI document, and request
bodies that must say they are JSON."""

from __future__ import annotations

import http
from typing import Any

import flask
import flask_smorest
import marshmallow as ma
from flask_smorest.utils import prepare_response
from webargs import core
from webargs.flaskparser import FlaskParser, abort

PROBLEM_JSON = "application/problem+json"
JSON_BODY_TYPES = {"application/json"}
MERGE_PATCH_TYPES = JSON_BODY_TYPES | {"application/merge-patch+json"}


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details, as every 4xx and 5xx response carries them."""

    type = ma.fields.String(metadata={"example": "about:blank"})
    title = ma.fields.String(metadata={"example": "Not Found"})
    status = ma.fields.Integer(metadata={"example": 404})
    detail = ma.fields.String()
    instance = ma.fields.String(metadata={"example": "/v1/customers/0f8e…"})
    request_id = ma.fields.String()
    errors = ma.fields.Dict(
        keys=ma.fields.String(),
        metadata={"description": "Validation messages by field (422 only)"},
    )


class Api(flask_smorest.Api):
    ERROR_SCHEMA = ProblemSchema

    def _register_responses(self) -> None:
        # flask-smorest documents its error responses as application/json; ours are problem+json.
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            content_type = self.DEFAULT_RESPONSE_CONTENT_TYPE
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
                content_type = PROBLEM_JSON
            prepare_response(response, self.spec, content_type)
            self.spec.components.response(status.name, response, lazy=True)
        default = {"description": "Default error response", "schema": self.ERROR_SCHEMA}
        prepare_response(default, self.spec, PROBLEM_JSON)
        self.spec.components.response("DEFAULT_ERROR", default, lazy=True)

    def _register_error_handlers(self) -> None:
        """Errors are rendered by ``http.problems``, registered by the app factory."""


class StrictJsonParser(FlaskParser):
    """A body that does not say it is JSON is refused with 415 rather than read as empty."""

    def _raw_load_json(self, req: flask.Request) -> Any:
        allowed = MERGE_PATCH_TYPES if req.method == "PATCH" else JSON_BODY_TYPES
        if req.mimetype not in allowed:
            abort(
                415,
                message=f"Content-Type must be {' or '.join(sorted(allowed))}, "
                f"not {req.mimetype or 'missing'}",
            )
        return core.parse_json(req.get_data(cache=True))


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = StrictJsonParser()

    def errors(self, *statuses: int) -> Any:
        """Document these error statuses on an operation, each as a problem+json response."""

        def decorate(view: Any) -> Any:
            for status in statuses:
                view = self.alt_response(status, response=http.HTTPStatus(status).name)(view)
            return view

        return decorate
