"""``X-Environment-Key`` authentication for the SDK API.

A client key is an environment's ``api_key``; a server-side key (``ser.…``) is
looked up by its SHA-256 and must be active and unexpired (Flagsmith's core API
does not check either). Failures are 403 with Flagsmith's body: no
``WWW-Authenticate`` header, so DRF answers 403 rather than 401, as SDKs expect.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from environments.models import Environment, EnvironmentAPIKey, hash_server_key

INVALID_KEY = "Invalid or missing Environment Key"
ORGANISATION_DISABLED = "Organisation is disabled from serving flags."


@dataclass(frozen=True)
class EnvironmentKeyAuth:
    """What an SDK request authenticated as: the environment, and whether by a server-side key."""

    environment: Environment
    is_server_key: bool


def environment_for_key(key: str) -> tuple[Environment, bool] | None:
    """The environment a key opens, and whether it is a server-side key; one query."""
    if key.startswith(EnvironmentAPIKey.PREFIX):
        api_key = (
            EnvironmentAPIKey.objects.valid()
            .select_related("environment__project__organisation")
            .filter(key_hash=hash_server_key(key))
            .first()
        )
        return (api_key.environment, True) if api_key else None
    environment = Environment.objects.select_related("project__organisation").filter(api_key=key).first()
    return (environment, False) if environment else None


class EnvironmentKeyAuthentication(authentication.BaseAuthentication):
    server_key_only = False

    def authenticate(self, request: Request) -> tuple[AnonymousUser, EnvironmentKeyAuth]:
        key = request.headers.get("X-Environment-Key", "")
        if not key or len(key) > 200 or (self.server_key_only and not key.startswith(EnvironmentAPIKey.PREFIX)):
            raise exceptions.AuthenticationFailed(INVALID_KEY)
        found = environment_for_key(key)
        if found is None:
            raise exceptions.AuthenticationFailed(INVALID_KEY)
        environment, is_server_key = found
        if environment.project.organisation.stop_serving_flags:
            raise exceptions.AuthenticationFailed(ORGANISATION_DISABLED)
        return AnonymousUser(), EnvironmentKeyAuth(environment=environment, is_server_key=is_server_key)

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
