"""Conditional requests, once for every protocol: a 200 with validators, or an empty 304.

The SDK API (``/flags/``, ``/environment-document/``), the Unleash client and
Frontend APIs and OFREP all answer a poll whose copy is current with a bodiless
304, so a client that polls costs next to nothing while nothing changes. Django's
``get_conditional_response`` is not used: it answers ``If-None-Match`` on a POST
(OFREP's bulk evaluation, Unleash's frontend POST) with 412, where those protocols
expect a 304 for an unchanged evaluation.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers
from django.utils.http import http_date, parse_http_date_safe
from rest_framework.request import Request


def body_etag(body: bytes) -> str:
    """A strong validator of the body itself, for answers that depend on more than a version (a context)."""
    return f'"{hashlib.sha256(body).hexdigest()[:32]}"'


def not_modified(request: HttpRequest | Request, etag: str, last_modified: int | None = None) -> bool:
    """Whether the client's copy is current: its ``If-None-Match`` holds the tag (or ``*``).

    ``If-Modified-Since`` counts only when there is no ``If-None-Match`` (RFC 9110
    §13.2.2) and the answer has a ``last_modified`` time. A weak form of the tag
    matches too: a proxy that compresses the body weakens the tag it passes on.
    """
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        tags = {tag.strip() for tag in if_none_match.split(",")}
        return "*" in tags or etag in tags or f"W/{etag}" in tags
    if last_modified is not None:
        since = parse_http_date_safe(request.headers.get("If-Modified-Since", ""))
        return since is not None and last_modified <= since
    return False


def conditional_response(
    request: HttpRequest | Request,
    body: bytes,
    *,
    etag: str,
    cache_control: str,
    last_modified: int | None = None,
    vary: Sequence[str] = (),
) -> HttpResponse:
    """The JSON ``body`` with its validators, or a 304 without a body when the client has it."""
    if not_modified(request, etag, last_modified):
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(body, content_type="application/json")
    response["ETag"] = etag
    response["Cache-Control"] = cache_control
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified)
    if vary:
        patch_vary_headers(response, vary)
    return response
