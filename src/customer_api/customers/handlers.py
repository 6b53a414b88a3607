"""Command handlers of the customer context: one plain function per command."""

from __future__ import annotations

from customer_api.customers.commands import (
    CreateCustomer,
    DeleteCustomer,
    PatchCustomer,
    ReplaceCustomer,
    RestoreCustomer,
)
from customer_api.customers.domain import Customer, CustomerDetails
from customer_api.shared.errors import NotFound
from customer_api.shared.ids import utcnow
from customer_api.shared.messagebus import CommandHandler
from customer_api.shared.unit_of_work import UnitOfWork


def create_customer(cmd: CreateCustomer, uow: UnitOfWork) -> None:
    with uow:
        details = CustomerDetails.of(cmd.name, cmd.email, cmd.phone, cmd.address)
        uow.customers.add(Customer.create(cmd.customer_id, details, utcnow()))
        uow.commit()


def replace_customer(cmd: ReplaceCustomer, uow: UnitOfWork) -> None:
    with uow:
        customer = _live_customer(uow, cmd.customer_id, cmd.expected_versions)
        customer.update(CustomerDetails.of(cmd.name, cmd.email, cmd.phone, cmd.address), utcnow())
        uow.customers.save(customer)
        uow.commit()


def patch_customer(cmd: PatchCustomer, uow: UnitOfWork) -> None:
    with uow:
        customer = _live_customer(uow, cmd.customer_id, cmd.expected_versions)
        customer.update(customer.details.merged(cmd.changes), utcnow())
        uow.customers.save(customer)
        uow.commit()


def delete_customer(cmd: DeleteCustomer, uow: UnitOfWork) -> None:
    with uow:
        customer = _live_customer(uow, cmd.customer_id, cmd.expected_versions)
        customer.delete(utcnow())
        uow.customers.save(customer)
        uow.commit()


def restore_customer(cmd: RestoreCustomer, uow: UnitOfWork) -> None:
    with uow:
        customer = uow.customers.get(cmd.customer_id)
        if customer is None:
            raise NotFound(f"customer {cmd.customer_id} does not exist")
        customer.check_version(cmd.expected_versions)
        customer.restore(utcnow())
        uow.customers.save(customer)
        uow.commit()


def _live_customer(uow: UnitOfWork, customer_id: str, expected_versions: frozenset[int] | None) -> Customer:
    customer = uow.customers.get(customer_id)
    if customer is None or customer.is_deleted:
        raise NotFound(f"customer {customer_id} does not exist")
    customer.check_version(expected_versions)
    return customer


COMMAND_HANDLERS: dict[type, CommandHandler] = {
    CreateCustomer: create_customer,
    ReplaceCustomer: replace_customer,
    PatchCustomer: patch_customer,
    DeleteCustomer: delete_customer,
    RestoreCustomer: restore_customer,
}
