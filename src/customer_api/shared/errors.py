"""Domain errors. The HTTP layer maps each to a status in one place (``http/problems.py``)."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the domain refused the request."""


class NotFound(DomainError):
    pass


class Conflict(DomainError):
    """The change clashes with the state of another resource (a duplicate unique field, say)."""


class PreconditionFailed(DomainError):
    """The client's view of the resource (its ``If-Match`` version) is no longer current."""


class ConcurrentUpdate(PreconditionFailed):
    """Another writer stored the resource between our read and our write (raised by repositories)."""


class Forbidden(DomainError):
    pass


class InvalidInput(DomainError):
    """Input that is well formed but breaks a rule; ``errors`` is keyed by field like a schema's."""

    def __init__(self, errors: dict[str, object]) -> None:
        super().__init__("invalid input")
        self.errors = errors


class Unavailable(Exception):
    """A dependency the request cannot do without (the database) does not answer. Not the client's
    fault and probably brief: the HTTP layer answers 503 with ``Retry-After``."""
