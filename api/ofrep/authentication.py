"""OFREP authentication: an environment key, client or server-side, as ``Authorization: Bearer`` or ``X-API-Key``.

OFREP's two security schemes; a client key sees what ``/api/v1/identities/``
shows a client key (no server-key-only features).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from documents.keys import ORGANISATION_DISABLED, EnvironmentKeyAuth, bearer_or_raw, resolve_key

INVALID_KEY = "Missing or invalid environment key: send Authorization: Bearer <key> or X-API-Key: <key>."


class OfrepKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[AnonymousUser, EnvironmentKeyAuth]:
        key = request.headers.get("X-API-Key") or ""
        if not key:
            header = request.headers.get("Authorization", "")
            key = bearer_or_raw(header) if header.strip().lower().startswith("bearer ") else ""
        key_auth = resolve_key(key.strip())
        if key_auth is None:
            raise exceptions.AuthenticationFailed(INVALID_KEY)
        try:
            key_auth.compiled  # noqa: B018 - revoked, expired, or organisation stopped
        except exceptions.AuthenticationFailed as failure:
            if failure.detail == ORGANISATION_DISABLED:
                raise exceptions.PermissionDenied(ORGANISATION_DISABLED) from failure
            raise exceptions.AuthenticationFailed(INVALID_KEY) from failure
        return AnonymousUser(), key_auth

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="ofrep"'


class OfrepKeyScheme(OpenApiAuthenticationExtension):
    """Documents the bearer key in the OpenAPI schema."""

    target_class = "ofrep.authentication.OfrepKeyAuthentication"
    name = "OfrepBearerKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer"}
