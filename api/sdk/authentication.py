"""``X-Environment-Key`` authentication for the SDK API.

A client key is an environment's ``api_key``; a server-side key (``ser.…``) is
looked up by its SHA-256 and must be active and unexpired (Flagsmith's core API
does not check either). The lookups are cached (``documents.keys``). Failures are 403 with Flagsmith's body: no
``WWW-Authenticate`` header, so DRF answers 403 rather than 401, as SDKs expect.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from documents.keys import INVALID_KEY, ORGANISATION_DISABLED, EnvironmentKeyAuth, authenticate_key

__all__ = [
    "INVALID_KEY",
    "ORGANISATION_DISABLED",
    "EnvironmentKeyAuth",
    "EnvironmentKeyAuthentication",
    "request_key_auth",
]


# Where a request keeps its resolved key (or why it did not resolve), so it is resolved once.
_RESOLVED = "_banderole_environment_key"


def _resolve(request: HttpRequest, server_key_only: bool, version_max_age: float) -> EnvironmentKeyAuth | str:
    resolved: EnvironmentKeyAuth | str | None = request.__dict__.get(_RESOLVED)
    if resolved is None:
        try:
            resolved = authenticate_key(
                request.headers.get("X-Environment-Key", ""),
                server_key_only=server_key_only,
                version_max_age=version_max_age,
            )
        except exceptions.AuthenticationFailed as failure:
            resolved = str(failure.detail)
        setattr(request, _RESOLVED, resolved)
    return resolved


def request_key_auth(
    request: HttpRequest, *, server_key_only: bool = False, version_max_age: float = 0.0
) -> EnvironmentKeyAuth | None:
    """The key the request authenticates with, resolved once per request; None when it does not.

    The fast path of ``sdk.views.SDKView`` asks first; DRF's authentication then finds
    the answer on the request instead of looking the key and the version up again.
    """
    resolved = _resolve(request, server_key_only, version_max_age)
    return resolved if isinstance(resolved, EnvironmentKeyAuth) else None


class EnvironmentKeyAuthentication(authentication.BaseAuthentication):
    server_key_only = False

    def authenticate(self, request: Request) -> tuple[AnonymousUser, EnvironmentKeyAuth]:
        view = request.parser_context.get("view")
        resolved = _resolve(request._request, self.server_key_only, getattr(view, "version_max_age", 0.0))
        if not isinstance(resolved, EnvironmentKeyAuth):
            raise exceptions.AuthenticationFailed(resolved)
        return AnonymousUser(), resolved

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
