"""Command handlers of the customer context: one plain function per command."""

from __future__ import annotations

import time
from collections.abc import Callable

from customer_api.customers.commands import (
    CreateCustomer,
    DeleteCustomer,
    PatchCustomer,
    ReplaceCustomer,
    RestoreCustomer,
)
from customer_api.customers.domain import Customer, CustomerDeleted, CustomerDetails, CustomerEvent
from customer_api.customers.queries import LAST_WRITE, LIST_GENERATION, customer_key
from customer_api.shared.cache import Cache
from customer_api.shared.errors import ConcurrentUpdate, NotFound
from customer_api.shared.ids import utcnow
from customer_api.shared.messagebus import CommandHandler
from customer_api.shared.unit_of_work import UnitOfWork

# How often an unconditional change is retried after losing a race with another writer.
ATTEMPTS = 3


def create_customer(cmd: CreateCustomer, uow: UnitOfWork) -> None:
    with uow:
        details = CustomerDetails.of(cmd.name, cmd.email, cmd.phone, cmd.address)
        uow.customers.add(Customer.create(cmd.customer_id, details, utcnow()))
        uow.commit()


def replace_customer(cmd: ReplaceCustomer, uow: UnitOfWork) -> None:
    details = CustomerDetails.of(cmd.name, cmd.email, cmd.phone, cmd.address)
    _change(uow, cmd.customer_id, cmd.expected_versions, lambda c: c.update(details, utcnow()))


def patch_customer(cmd: PatchCustomer, uow: UnitOfWork) -> None:
    _change(
        uow,
        cmd.customer_id,
        cmd.expected_versions,
        lambda c: c.update(c.details.merged(cmd.changes), utcnow()),
    )


def delete_customer(cmd: DeleteCustomer, uow: UnitOfWork) -> None:
    _change(uow, cmd.customer_id, cmd.expected_versions, lambda c: c.delete(utcnow()))


def restore_customer(cmd: RestoreCustomer, uow: UnitOfWork) -> None:
    _change(uow, cmd.customer_id, cmd.expected_versions, lambda c: c.restore(utcnow()), deleted_too=True)


def _change(
    uow: UnitOfWork,
    customer_id: str,
    expected_versions: frozenset[int] | None,
    change: Callable[[Customer], None],
    *,
    deleted_too: bool = False,
) -> None:
    """Load, change, save, commit. A client that named no version (no ``If-Match``) did not ask
    to fail when someone else wrote first, so losing that race is retried on the fresh state."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with uow:
                customer = uow.customers.get(customer_id)
                if customer is None or (customer.is_deleted and not deleted_too):
                    raise NotFound(f"customer {customer_id} does not exist")
                customer.check_version(expected_versions)
                change(customer)
                uow.customers.save(customer)
                uow.commit()
                return
        except ConcurrentUpdate:
            if expected_versions is not None or attempt == ATTEMPTS:
                raise


def refresh_read_model(event: CustomerEvent, *, cache: Cache, ttl: int) -> None:
    """After a commit, before the client hears of it: the cached customer becomes the state the
    event carries (unless a newer one is already there, so events applied twice or out of order
    change nothing), and every cached list page is retired."""
    entry = (
        {"version": event.aggregate_version, "deleted": True}
        if isinstance(event, CustomerDeleted)
        else event.data
    )
    cache.set_if_newer_and_bump(
        customer_key(event.aggregate_id), entry, ttl, LIST_GENERATION, LAST_WRITE, time.time()
    )


COMMAND_HANDLERS: dict[type, CommandHandler] = {
    CreateCustomer: create_customer,
    ReplaceCustomer: replace_customer,
    PatchCustomer: patch_customer,
    DeleteCustomer: delete_customer,
    RestoreCustomer: restore_customer,
}
