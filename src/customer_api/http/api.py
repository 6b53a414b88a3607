"""flask-smorest, adjusted to the contract: problem+json errors in the OpenAPI document, request
bodies that must say they are JSON, and schemas made once rather than on every request."""

from __future__ import annotations

import http
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import flask
import flask_smorest
import marshmallow as ma
from flask_smorest.utils import prepare_response, resolve_schema_instance
from marshmallow.decorators import POST_DUMP, PRE_DUMP
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

    def arguments(self, schema: Any, **kwargs: Any) -> Any:
        """flask-smorest's, with one schema instance for all requests: given a class, webargs
        would build a new instance (a deep copy of every field) for each request."""
        return super().arguments(resolve_schema_instance(schema), **kwargs)

    def response(self, status_code: Any, schema: Any = None, **kwargs: Any) -> Any:
        """flask-smorest's, documented the same, with a faster dump of what views return: plain
        dicts already in the schema's shape (see ``fast_dump``)."""
        if isinstance(schema, type) and issubclass(schema, ma.Schema):
            schema = schema()
            schema.dump = fast_dump(schema)
        return super().response(status_code, schema, **kwargs)

    def errors(self, *statuses: int) -> Any:
        """Document these error statuses on an operation, each as a problem+json response."""

        def decorate(view: Any) -> Any:
            for status in statuses:
                view = self.alt_response(status, response=http.HTTPStatus(status).name)(view)
            return view

        return decorate


# Fields whose dump of a value of exactly this type is the value itself.
PLAIN_FIELDS: dict[type[ma.fields.Field[Any]], type] = {
    ma.fields.String: str,
    ma.fields.Integer: int,
    ma.fields.Boolean: bool,
}
Dump = Callable[..., Any]


@dataclass(frozen=True)
class _Step:
    """How ``fast_dump`` dumps one field: ``plain`` values as they are, a dict through ``nested``
    (or, with ``each``, every dict of a list), anything else through the field itself."""

    name: str
    field: ma.fields.Field[Any]
    plain: type | None = None
    nested: Dump | None = None
    each: bool = False


def fast_dump(schema: ma.Schema) -> Dump:
    """``schema.dump`` for the JSON-ready dicts our views return, several times faster: the same keys
    in the same order (the schema's fields, those present) with the same values. A value that is not
    already what its field would make of it, and any object other than a dict, goes through
    marshmallow as before; so does every object of a schema using what this does not know (hooks,
    data keys, attributes, defaults, other field types)."""
    steps = _steps(schema)
    if steps is None:
        return schema.dump
    slow_dump = schema.dump

    def dump_one(obj: Any) -> Any:
        if type(obj) is not dict:
            return slow_dump(obj, many=False)
        dumped: dict[str, Any] = {}
        for step in steps:
            value = obj.get(step.name, ma.missing)
            if value is ma.missing:
                continue
            if value is None or type(value) is step.plain:
                dumped[step.name] = value
            elif step.nested is not None and not step.each and type(value) is dict:
                dumped[step.name] = step.nested(value)
            elif step.nested is not None and step.each and type(value) is list:
                dumped[step.name] = [step.nested(item) for item in value]
            else:
                dumped[step.name] = step.field.serialize(step.name, obj, accessor=schema.get_attribute)
        return dumped

    def dump(obj: Any, *, many: bool | None = None) -> Any:
        if not (schema.many if many is None else many):
            return dump_one(obj)
        return [dump_one(item) for item in obj] if type(obj) is list else slow_dump(obj, many=True)

    return dump


def _steps(schema: ma.Schema) -> list[_Step] | None:
    if schema._hooks[PRE_DUMP] or schema._hooks[POST_DUMP]:
        return None
    steps = []
    for name, field in schema.dump_fields.items():
        if field.attribute is not None or field.data_key is not None or field.dump_default is not ma.missing:
            return None
        inner = field.inner if isinstance(field, ma.fields.List) else field
        if type(field) in PLAIN_FIELDS and not getattr(field, "as_string", False):
            steps.append(_Step(name, field, plain=PLAIN_FIELDS[type(field)]))
        elif type(inner) in PLAIN_FIELDS:
            steps.append(_Step(name, field))  # a list of plain values: marshmallow's dump
        elif isinstance(inner, ma.fields.Nested) and isinstance(inner.schema, ma.Schema) and not inner.many:
            steps.append(_Step(name, field, nested=fast_dump(inner.schema), each=inner is not field))
        else:
            return None
    return steps
