"""``flask --app customer_api …`` commands. They go through the same bus as the API."""

from __future__ import annotations

import contextlib
import secrets
import signal
import threading

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from customer_api.auth.commands import RegisterUser
from customer_api.auth.domain import DuplicateUserEmail, Role
from customer_api.customers.domain import EVENT_TYPES as CUSTOMER_EVENTS
from customer_api.demo import seed_demo
from customer_api.shared.errors import InvalidInput
from customer_api.shared.events import Meta
from customer_api.shared.ids import new_id

users = AppGroup("users", help="Manage users.")
CLI_META = Meta(actor_id=None, request_id="cli")


@users.command("create")
@click.argument("email")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option(
    "--role", type=click.Choice([r.value for r in Role]), default=Role.USER.value, show_default=True
)
def create_user(email: str, password: str, role: str) -> None:
    """Create a user; an existing email is reported and left as it is."""
    if _register(email, password, Role(role)):
        click.echo(f"created {role} {email}")
    else:
        click.echo(f"user {email} already exists; left unchanged")


@users.command("ensure-admin")
def ensure_admin() -> None:
    """Make sure the local admin (ADMIN_EMAIL, ADMIN_PASSWORD) exists; print its credentials."""
    settings = current_app.extensions["customer_api"].settings
    password = settings.admin_password or secrets.token_urlsafe(12)
    if _register(settings.admin_email, password, Role.ADMIN):
        shown = "(from ADMIN_PASSWORD)" if settings.admin_password else password
        click.echo(f"admin created: {settings.admin_email} / password {shown}")
    else:
        click.echo(f"admin {settings.admin_email} already exists")


def _register(email: str, password: str, role: Role) -> bool:
    bus = current_app.extensions["customer_api"].bus
    try:
        bus.handle(RegisterUser(new_id(), email, password, role), CLI_META)
    except DuplicateUserEmail:
        return False
    except InvalidInput as error:
        raise click.BadParameter(str(error.errors)) from None
    return True


events = AppGroup("events", help="The event outbox.")


@events.command("relay")
@click.option("--once", is_flag=True, help="Publish what is due, then exit.")
def relay_events(once: bool) -> None:
    """Publish committed events (a worker; set EVENT_RELAY=off in the web processes)."""
    relay = current_app.extensions["customer_api"].relay
    if once:
        result = relay.drain()
        click.echo(f"published {result.published}, failed {result.failed}")
        return
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with contextlib.suppress(KeyboardInterrupt):
        relay.run(stop)


@events.command("status")
def events_status() -> None:
    """Pending events, the oldest one's age, and the latest publishing errors."""
    stats = current_app.extensions["customer_api"].outbox.stats()
    click.echo(f"pending: {stats.pending}")
    click.echo(f"oldest pending: {stats.oldest_pending_seconds:.1f}s")
    for failure in stats.last_errors:
        click.echo(
            f"  {failure['event_id']}: attempt {failure['attempts']}, "
            f"next at {failure['next_attempt_at']}: {failure['last_error']}"
        )


read_models = AppGroup("read-models", help="The read side.")


@read_models.command("rebuild")
def rebuild_read_models() -> None:
    """Replay the event store into the read models (the cache): after a cache flush, a restore
    from backup, or an outage during which writes could not reach it."""
    services = current_app.extensions["customer_api"]
    replayed = 0
    for event in services.outbox.replay(CUSTOMER_EVENTS):
        services.bus.dispatch(event)
        replayed += 1
    click.echo(f"replayed {replayed} events into the read models")


def register_commands(app: Flask) -> None:
    app.cli.add_command(users)
    app.cli.add_command(events)
    app.cli.add_command(read_models)
    app.cli.add_command(seed_demo)
