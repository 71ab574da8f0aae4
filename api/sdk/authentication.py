"""``X-Environment-Key`` authentication for the SDK API.

A client key is an environment's ``api_key``; a server-side key (``ser.…``) is
looked up by its SHA-256 and must be active and unexpired (Flagsmith's core API
does not check either). The lookups are cached (``environments.caching``). Failures are 403 with Flagsmith's body: no
``WWW-Authenticate`` header, so DRF answers 403 rather than 401, as SDKs expect.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from environments import caching
from environments.documents import CompiledEnvironment, compiled_environment, compiled_in_process
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


class EnvironmentKeyAuthentication(authentication.BaseAuthentication):
    server_key_only = False

    def authenticate(self, request: Request) -> tuple[AnonymousUser, EnvironmentKeyAuth]:
        view = request.parser_context.get("view")
        key_auth = authenticate_key(
            request.headers.get("X-Environment-Key", ""),
            server_key_only=self.server_key_only,
            version_max_age=getattr(view, "version_max_age", 0.0),
        )
        return AnonymousUser(), key_auth

    def authenticate_header(self, request: Request) -> None:
        return None


class ServerKeyAuthentication(EnvironmentKeyAuthentication):
    """Only server-side keys: the environment document holds every segment and override."""

    server_key_only = True


class EnvironmentKeyScheme(OpenApiAuthenticationExtension):
    """Documents ``X-Environment-Key`` in the OpenAPI schema."""

    target_class = "sdk.authentication.EnvironmentKeyAuthentication"
    name = "EnvironmentKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "apiKey", "in": "header", "name": "X-Environment-Key"}


class ServerKeyScheme(EnvironmentKeyScheme):
    target_class = "sdk.authentication.ServerKeyAuthentication"
    name = "ServerSideEnvironmentKey"
