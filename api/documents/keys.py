"""Environment keys: which environment and version a key names, and whether it still opens it.

One resolution for every protocol: ``X-Environment-Key`` (SDK API), ``Authorization``
(Unleash), ``Authorization: Bearer`` or ``X-API-Key`` (OFREP). A client key is an
environment's ``api_key``; a server-side key (``ser.…``) is looked up by its SHA-256
and must be active and unexpired. The lookups are cached (``documents.caching``);
each protocol answers failures in its own words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from rest_framework import exceptions

from documents import caching
from documents.compiler import CompiledEnvironment
from documents.store import compiled_environment, compiled_in_process
from environments.models import EnvironmentAPIKey

INVALID_KEY = "Invalid or missing Environment Key"
ORGANISATION_DISABLED = "Organisation is disabled from serving flags."


@dataclass
class EnvironmentKeyAuth:
    """What an SDK request authenticated as: an environment at a version, by a client or server key.

    Authentication resolves the key and the version without compiling anything; the
    compiled document, which says whether the key still opens the environment, is
    fetched on first use, so a response cached under this key and version can be
    served without it.
    """

    environment_id: int
    version: datetime
    key: str
    key_hash: str
    _compiled: CompiledEnvironment | None = None

    @property
    def is_server_key(self) -> bool:
        return self.key.startswith(EnvironmentAPIKey.PREFIX)

    @property
    def compiled(self) -> CompiledEnvironment:
        if self._compiled is None:
            self._compiled = self._check(compiled_environment(self.environment_id, self.version))
        return self._compiled

    def compiled_in_process(self) -> CompiledEnvironment | None:
        """The compiled document if this process already holds it and it opens to the key; else None."""
        compiled = compiled_in_process(self.environment_id, self.version)
        if compiled is None:
            return None
        try:
            self._compiled = self._check(compiled)
        except exceptions.AuthenticationFailed:
            return None
        return self._compiled

    def _check(self, compiled: CompiledEnvironment) -> CompiledEnvironment:
        if not compiled.opens(self.key, self.key_hash, timezone.now()):
            raise exceptions.AuthenticationFailed(INVALID_KEY)
        if compiled.stop_serving_flags:
            raise exceptions.AuthenticationFailed(ORGANISATION_DISABLED)
        return compiled


def authenticate_key(key: str, *, server_key_only: bool = False, version_max_age: float = 0.0) -> EnvironmentKeyAuth:
    """The environment and version a key names, without compiling anything; AuthenticationFailed if none.

    ``version_max_age`` lets a view accept a version checked that long ago
    (FlagsView: ``CACHE_FLAGS_SECONDS``).
    """
    if not key or len(key) > 200 or (server_key_only and not key.startswith(EnvironmentAPIKey.PREFIX)):
        raise exceptions.AuthenticationFailed(INVALID_KEY)
    found = caching.environment_id_for_key(key)
    if found is None:
        raise exceptions.AuthenticationFailed(INVALID_KEY)
    environment_id, key_hash = found
    version = caching.current_version(environment_id, max_age=version_max_age)
    if version is None:  # the environment was deleted
        caching.forget_key(key_hash)
        raise exceptions.AuthenticationFailed(INVALID_KEY)
    return EnvironmentKeyAuth(environment_id, version, key, key_hash)


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
