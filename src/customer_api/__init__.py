"""Customer API: a hexagonal CQRS Flask service for customer operations."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask_jwt_extended import JWTManager
from flask_migrate import Migrate
from werkzeug.middleware.proxy_fix import ProxyFix

from customer_api.adapters.sql.tables import metadata
from customer_api.auth.routes import api_keys as api_keys_blueprint
from customer_api.auth.routes import auth as auth_blueprint
from customer_api.auth.routes import users as users_blueprint
from customer_api.bootstrap import Services, bootstrap
from customer_api.cli import register_commands
from customer_api.config import PROJECT_ROOT, Settings
from customer_api.customers.routes import blp as customers_blueprint
from customer_api.http import guards, health, problems, rate_limits, request_ids, security_headers, telemetry
from customer_api.http.api import Api
from customer_api.http.context import EXTENSION
from customer_api.logs import configure_logging

MAX_BODY_BYTES = 1024 * 1024


def create_app(settings: Settings | None = None, services: Services | None = None) -> Flask:
    settings = settings or Settings.from_env()
    configure_logging(settings.log_format, settings.log_level)
    app = Flask(__name__)
    app.config.update(
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        JWT_SECRET_KEY=settings.jwt_secret_key,
        JWT_ALGORITHM="HS256",
        JWT_DECODE_ALGORITHMS=["HS256"],
        JWT_TOKEN_LOCATION=["headers"],
        JWT_ACCESS_TOKEN_EXPIRES=timedelta(seconds=settings.jwt_access_token_expires),
        JWT_REFRESH_TOKEN_EXPIRES=timedelta(seconds=settings.jwt_refresh_token_expires),
        API_TITLE="Customer API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="/apidocs",
        OPENAPI_SWAGGER_UI_URL="https://cdn.jsdelivr.net/npm/swagger-ui-dist/",
        OPENAPI_REDOC_PATH="/redoc",
        OPENAPI_REDOC_URL="https://cdn.jsdelivr.net/npm/redoc/bundles/redoc.standalone.js",
    )
    app.json.sort_keys = False  # type: ignore[attr-defined]  # fields in the order the schemas give
    if settings.trusted_proxy_hops:
        hops = settings.trusted_proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    app.extensions[EXTENSION] = services or bootstrap(settings)
    JWTManager(app)
    guards.register(app)
    Migrate(
        app, _MigrationTarget(app.extensions[EXTENSION].engine), directory=str(PROJECT_ROOT / "migrations")
    )

    api = Api(
        app,
        spec_kwargs={
            "components": {
                "securitySchemes": {
                    "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                    "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
                }
            },
            "security": [{"bearerAuth": []}, {"apiKey": []}],
        },
    )
    for blueprint in (auth_blueprint, users_blueprint, api_keys_blueprint, customers_blueprint):
        api.register_blueprint(blueprint)
    app.register_blueprint(health.blp)
    telemetry.register(app)  # first: its timing and access line cover the other hooks
    request_ids.register(app)
    security_headers.register(app, settings.allowed_origins)
    rate_limits.register(app)
    problems.register(app)
    register_commands(app)
    if settings.event_relay == "thread":
        # Started with the first request rather than here, so that `flask db upgrade` and other
        # commands never spin up a relay of their own.
        app.before_request(app.extensions[EXTENSION].relay.start)
    if settings.sentry_dsn:
        telemetry.init_sentry(app, settings)
    return app


class _MigrationTarget:
    """What flask-migrate hands to ``migrations/env.py``: our metadata and engine (no Flask-SQLAlchemy)."""

    def __init__(self, engine: object) -> None:
        self.metadata = metadata
        self.engine = engine
