"""Request and response schemas of the auth context."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from customer_api.auth.domain import PASSWORD_MIN, Role


class LoginSchema(Schema):
    email = fields.String(required=True, metadata={"example": "admin@example.com"})
    password = fields.String(required=True)


class RefreshSchema(Schema):
    refresh_token = fields.String(required=True)


class TokenPairSchema(Schema):
    access_token = fields.String()
    refresh_token = fields.String()
    token_type = fields.String(metadata={"example": "Bearer"})
    expires_in = fields.Integer(metadata={"description": "Seconds until the access token expires"})


class NewUserSchema(Schema):
    email = fields.String(required=True, metadata={"format": "email"})
    password = fields.String(required=True, metadata={"minLength": PASSWORD_MIN})
    role = fields.String(load_default=Role.USER.value, validate=validate.OneOf([r.value for r in Role]))


class UserSchema(Schema):
    id = fields.String(metadata={"format": "uuid"})
    email = fields.String(allow_none=True, metadata={"format": "email"})
    role = fields.String()


class UserPageSchema(Schema):
    items = fields.List(fields.Nested(UserSchema))
    next_cursor = fields.String(allow_none=True)


class NewApiKeySchema(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 100))
    role = fields.String(load_default=Role.USER.value, validate=validate.OneOf([r.value for r in Role]))


class ApiKeySchema(Schema):
    id = fields.String(metadata={"format": "uuid"})
    name = fields.String()
    role = fields.String()
    created_at = fields.String(metadata={"format": "date-time"})


class NewApiKeyResponseSchema(ApiKeySchema):
    key = fields.String(metadata={"description": "The secret, for the X-API-Key header; shown only now"})


class ApiKeyPageSchema(Schema):
    items = fields.List(fields.Nested(ApiKeySchema))
    next_cursor = fields.String(allow_none=True)
