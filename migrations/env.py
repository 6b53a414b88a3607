"""Alembic environment: runs migrations on the app's own engine and metadata."""

from __future__ import annotations

from alembic import context
from flask import current_app

target = current_app.extensions["migrate"].db


def run_migrations_online() -> None:
    with target.engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target.metadata,
            compare_type=True,
            # SQLite cannot ALTER most things: batch mode copies the table instead.
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run against a database")
run_migrations_online()
