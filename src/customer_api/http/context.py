"""What a view needs from the request's surroundings: the wired services and the command's meta."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import current_app, g

from customer_api.shared.events import Meta

if TYPE_CHECKING:
    from customer_api.bootstrap import Services

EXTENSION = "customer_api"


def services() -> Services:
    found: Services = current_app.extensions[EXTENSION]
    return found


def meta() -> Meta:
    """Who is asking and through which request, for the events the command will cause."""
    principal = g.get("principal")
    return Meta(
        actor_id=principal.user_id if principal else None,
        request_id=g.get("request_id"),
    )
