"""``X-Environment-Key`` authentication for the SDK API.

A client key is an environment's ``api_key``; a server-side key (``ser.…``) is
looked up by its SHA-256 and must be active and unexpired (Flagsmith's core API
does not check either). The lookups are cached (``documents.keys``). Failures are 403 with Flagsmith's body: no
``WWW-Authenticate`` header, so DRF answers 403 rather than 401, as SDKs expect.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication
from rest_framework.request import Request

from documents.keys import INVALID_KEY, ORGANISATION_DISABLED, EnvironmentKeyAuth, authenticate_key

__all__ = ["INVALID_KEY", "ORGANISATION_DISABLED", "EnvironmentKeyAuth", "EnvironmentKeyAuthentication"]


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
