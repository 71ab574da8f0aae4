"""Resolving an environment key sent in some other header than ``X-Environment-Key``.

The Unleash client API (``Authorization``) and OFREP (``Authorization: Bearer`` or
``X-API-Key``) authenticate with the same keys, through the same cached lookups
as ``sdk.authentication``; each app answers failures in its own protocol's words.
"""

from __future__ import annotations

from rest_framework import exceptions

from sdk.authentication import EnvironmentKeyAuth, authenticate_key


def bearer_or_raw(header: str) -> str:
    """``Bearer <key>`` or the raw key, as Unleash SDKs send it."""
    header = header.strip()
    scheme, _, rest = header.partition(" ")
    return rest.strip() if scheme.lower() == "bearer" and rest else header


def resolve_key(key: str) -> EnvironmentKeyAuth | None:
    """The environment and version a key names, or None; ``.compiled`` then checks the key still opens it."""
    try:
        return authenticate_key(key)
    except exceptions.AuthenticationFailed:
        return None
