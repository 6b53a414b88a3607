"""The one email rule both customers and users follow."""

from __future__ import annotations

import re

EMAIL_MAX = 254


def normalized_email(email: object) -> str | None:
    """The email, trimmed and lower-cased, or ``None`` when it is not a plausible address."""
    if not isinstance(email, str):
        return None
    email = email.strip().lower()
    local, at, domain = email.rpartition("@")
    plausible = at and local and "." in domain.strip(".") and not re.search(r"\s", email)
    return email if plausible and len(email) <= EMAIL_MAX else None
