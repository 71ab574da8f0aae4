"""Resolving an environment key sent in some other header than ``X-Environment-Key``.

The Unleash client API (``Authorization``) and OFREP (``Authorization: Bearer`` or
``X-API-Key``) authenticate with the same keys, through the same cached lookups
as ``sdk.authentication``; each app answers failures in its own protocol's words.
"""

from __future__ import annotations

from environments import caching
from sdk.authentication import EnvironmentKeyAuth

MAX_KEY_LENGTH = 200


def bearer_or_raw(header: str) -> str:
    """``Bearer <key>`` or the raw key, as Unleash SDKs send it."""
    header = header.strip()
    scheme, _, rest = header.partition(" ")
    return rest.strip() if scheme.lower() == "bearer" and rest else header


def resolve_key(key: str) -> EnvironmentKeyAuth | None:
    """The environment and version a key names, or None; ``.compiled`` then checks the key still opens it."""
    if not key or len(key) > MAX_KEY_LENGTH:
        return None
    found = caching.environment_id_for_key(key)
    if found is None:
        return None
    environment_id, key_hash = found
    version = caching.current_version(environment_id)
    if version is None:  # the environment was deleted
        caching.forget_key(key_hash)
        return None
    return EnvironmentKeyAuth(environment_id, version, key, key_hash)
