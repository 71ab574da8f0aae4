"""Unleash SDK authentication: an environment's server-side key as the Unleash backend token.

Unleash SDKs send ``Authorization: <token>`` (``Bearer <token>`` works too). A
Banderole server-side key fixes the environment, as a project-scoped Unleash
token does. A client key is a valid key of the wrong kind: 403, as Unleash
answers a frontend token on the client API.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from documents.keys import ORGANISATION_DISABLED, EnvironmentKeyAuth, bearer_or_raw, resolve_key
from environments.models import EnvironmentAPIKey

MISSING_TOKEN = (
    "This endpoint requires an API token. Please add an authorization header to your request with a valid token"
)
WRONG_TOKEN_TYPE = "invalid token: expected a different token type for this endpoint"


class UnleashTokenAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[AnonymousUser, EnvironmentKeyAuth]:
        key_auth = resolve_key(bearer_or_raw(request.headers.get("Authorization", "")))
        if key_auth is None:
            raise exceptions.AuthenticationFailed(MISSING_TOKEN)
        if not key_auth.key.startswith(EnvironmentAPIKey.PREFIX):
            raise exceptions.PermissionDenied(WRONG_TOKEN_TYPE)
        try:
            key_auth.compiled  # noqa: B018 - revoked, expired, or organisation stopped
        except exceptions.AuthenticationFailed as failure:
            if failure.detail == ORGANISATION_DISABLED:
                raise exceptions.PermissionDenied(ORGANISATION_DISABLED) from failure
            raise exceptions.AuthenticationFailed(MISSING_TOKEN) from failure
        return AnonymousUser(), key_auth

    def authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 rather than 403 for a missing or unknown token.
        return 'Bearer realm="unleash"'


class UnleashTokenScheme(OpenApiAuthenticationExtension):
    """Documents the ``Authorization`` token in the OpenAPI schema."""

    target_class = "unleash.authentication.UnleashTokenAuthentication"
    name = "UnleashToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "apiKey", "in": "header", "name": "Authorization"}
