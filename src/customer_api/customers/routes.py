"""The customer blueprint: thin views that turn requests into commands and queries."""

from __future__ import annotations

from typing import Any

from flask import Response, url_for
from flask.views import MethodView

from customer_api.customers.commands import (
    CreateCustomer,
    DeleteCustomer,
    PatchCustomer,
    ReplaceCustomer,
    RestoreCustomer,
)
from customer_api.customers.queries import GetCustomer, GetCustomerHistory, ListCustomers
from customer_api.customers.schemas import (
    CustomerInSchema,
    CustomerPageSchema,
    CustomerPatchSchema,
    CustomerSchema,
    HistoryPageSchema,
    ListCustomersArgs,
)
from customer_api.http.api import Blueprint
from customer_api.http.conditional import if_match_versions, not_modified, with_etag
from customer_api.http.context import meta, services
from customer_api.http.guards import admin_only, authenticated, current_principal, prefetch, prefetched
from customer_api.http.idempotency import idempotent
from customer_api.http.paging import PageArgs, decode_cursor, page_body
from customer_api.shared.errors import Forbidden, NotFound
from customer_api.shared.ids import is_uuid, new_id

blp = Blueprint("customers", __name__, url_prefix="/v1/customers", description="Manage customers.")
Reply = tuple[dict[str, Any], int, dict[str, str]]


@blp.route("")
class Customers(MethodView):
    @authenticated
    @blp.arguments(ListCustomersArgs, location="query")
    @blp.response(200, CustomerPageSchema)
    @blp.errors(401, 403)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List customers, a page at a time."""
        include_deleted = args["include_deleted"]
        if include_deleted and not current_principal().is_admin:
            raise Forbidden("include_deleted is for admins only")
        scope = f"customers:{args['sort']}:{args.get('email')}:{args.get('name')}:{include_deleted}"
        page = services().customers.list(
            ListCustomers(
                limit=args["limit"],
                sort=args["sort"],
                after=decode_cursor(args.get("cursor"), scope),
                email=args.get("email"),
                name=args.get("name"),
                include_deleted=include_deleted,
            )
        )
        return page_body(page, scope)

    @authenticated
    @idempotent
    @blp.arguments(CustomerInSchema)
    @blp.response(201, CustomerSchema)
    @blp.errors(401, 409, 415)
    def post(self, data: dict[str, Any]) -> Reply:
        """Create a customer."""
        customer_id = new_id()
        customer = _apply(CreateCustomer(customer_id, **data))
        return with_etag(customer, 201, Location=url_for("customers.Customer", customer_id=customer_id))


@blp.route("/<customer_id>")
class Customer(MethodView):
    @authenticated
    @prefetch(lambda customer_id: services().customers.cache_keys(GetCustomer(customer_id)))
    @blp.response(200, CustomerSchema)
    @blp.errors(401, 404)
    def get(self, customer_id: str) -> Reply | Response:
        """Read a customer. ``If-None-Match`` with its ETag answers 304."""
        query = GetCustomer(_checked(customer_id))
        customer = services().customers.get(query, cached=prefetched(services().customers.cache_keys(query)))
        return not_modified(customer["version"]) or with_etag(customer)

    @authenticated
    @blp.arguments(CustomerInSchema)
    @blp.response(200, CustomerSchema)
    @blp.errors(401, 404, 409, 412, 415)
    def put(self, data: dict[str, Any], customer_id: str) -> Reply:
        """Replace a customer's name, email, phone and address."""
        command = ReplaceCustomer(_checked(customer_id), **data, expected_versions=if_match_versions())
        return with_etag(_apply(command))

    @authenticated
    @blp.arguments(CustomerPatchSchema)
    @blp.response(200, CustomerSchema)
    @blp.errors(401, 404, 409, 412, 415)
    def patch(self, changes: dict[str, Any], customer_id: str) -> Reply:
        """Change some fields (JSON merge patch: null clears, a partial address merges)."""
        command = PatchCustomer(_checked(customer_id), changes, expected_versions=if_match_versions())
        return with_etag(_apply(command))

    @authenticated
    @blp.response(204)
    @blp.errors(401, 404, 412)
    def delete(self, customer_id: str) -> None:
        """Delete a customer (softly: its email is free again, its history stays)."""
        command = DeleteCustomer(_checked(customer_id), expected_versions=if_match_versions())
        services().bus.handle(command, meta())


@blp.route("/<customer_id>/restore", methods=["POST"])
@admin_only
@blp.response(200, CustomerSchema)
@blp.errors(401, 403, 404, 409, 412)
def restore(customer_id: str) -> Reply:
    """Bring a deleted customer back (admins only); 409 if its email is now taken."""
    command = RestoreCustomer(_checked(customer_id), expected_versions=if_match_versions())
    return with_etag(_apply(command))


@blp.route("/<customer_id>/history", methods=["GET"])
@authenticated
@blp.arguments(PageArgs, location="query")
@blp.response(200, HistoryPageSchema)
@blp.errors(401, 404)
def history(args: dict[str, Any], customer_id: str) -> dict[str, Any]:
    """The customer's audit trail, oldest first. Admins can read a deleted customer's."""
    scope = f"history:{customer_id}"
    page = services().customers.history(
        GetCustomerHistory(
            _checked(customer_id),
            limit=args["limit"],
            after_sequence=(decode_cursor(args.get("cursor"), scope) or (None,))[0],
            include_deleted=current_principal().is_admin,
        )
    )
    return page_body(page, scope)


def _apply(command: object) -> dict[str, Any]:
    """Handle the command; the customer as this change left it (another writer may be later)."""
    [event] = services().bus.handle(command, meta())
    return event.data


def _checked(customer_id: str) -> str:
    """A malformed id names no customer: 404, as an unknown one."""
    if not is_uuid(customer_id):
        raise NotFound(f"customer {customer_id} does not exist")
    return customer_id
