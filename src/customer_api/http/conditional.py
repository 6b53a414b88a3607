"""ETags from the ``version`` column, ``If-None-Match`` (304) and ``If-Match`` (412)."""

from __future__ import annotations

from typing import Any

from flask import Response, request


def etag(version: int) -> str:
    return f'"{version}"'


def if_match_versions() -> frozenset[int] | None:
    """The versions ``If-Match`` names (strong ETags only, as RFC 9110 says); ``None`` when absent
    or ``*``. A header naming nothing we could have issued yields an empty set: nothing matches."""
    if "If-Match" not in request.headers or request.if_match.star_tag:
        return None
    strong = (tag for tag in request.if_match.as_set(include_weak=False))
    return frozenset(int(tag) for tag in strong if tag.isdigit())


def not_modified(version: int) -> Response | None:
    """A 304 when the client's ``If-None-Match`` names the current version (weak comparison)."""
    if request.if_none_match.contains_weak(etag(version).strip('"')):
        response = Response(status=304)
        response.headers["ETag"] = etag(version)
        return response
    return None


def with_etag(
    resource: dict[str, Any], status: int = 200, **headers: str
) -> tuple[dict[str, Any], int, dict[str, str]]:
    return resource, status, {"ETag": etag(resource["version"]), **headers}
