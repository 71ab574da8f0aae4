"""Unleash SDK authentication: an environment's keys as Unleash tokens.

Unleash SDKs send ``Authorization: <token>`` (``Bearer <token>`` works too). A
Banderole server-side key is the backend token (``/api/client/``), the
environment's client key the frontend token (``/api/frontend``); each fixes the
environment, as a project-scoped Unleash token does. A valid key of the other
kind is 403, as Unleash answers a token of the wrong type.

Unleash Edge only accepts tokens of Unleash's form ``<projects>:<environment>.<secret>``,
so a key may also be sent in that form: whatever stands before the first ``.``
after the ``:`` is decoration, and the rest is the Banderole key (``*:production.ser.…``).
Banderole keys never contain ``:``, so the two forms cannot be confused.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from documents.keys import ORGANISATION_DISABLED, EnvironmentKeyAuth, bearer_or_raw, resolve_key

MISSING_TOKEN = (
    "This endpoint requires an API token. Please add an authorization header to your request with a valid token"
)
WRONG_TOKEN_TYPE = "invalid token: expected a different token type for this endpoint"


def banderole_key(token: str) -> str:
    """The Banderole key in an Unleash token: the raw key, or the part after ``<projects>:<environment>.``."""
    projects, colon, rest = token.strip().partition(":")
    if not colon:
        return projects
    _, dot, key = rest.partition(".")
    return key if dot else ""


def resolve_token(token: str) -> EnvironmentKeyAuth | None:
    """The environment an Unleash token opens, or None; ``.compiled`` still checks the key."""
    return resolve_key(banderole_key(token))


def check_opens(key_auth: EnvironmentKeyAuth) -> None:
    """401 for a revoked or expired key, 403 when the organisation stopped serving flags."""
    try:
        key_auth.compiled  # noqa: B018 - revoked, expired, or organisation stopped
    except exceptions.AuthenticationFailed as failure:
        if failure.detail == ORGANISATION_DISABLED:
            raise exceptions.PermissionDenied(ORGANISATION_DISABLED) from failure
        raise exceptions.AuthenticationFailed(MISSING_TOKEN) from failure


class UnleashTokenAuthentication(authentication.BaseAuthentication):
    """A backend token: an environment's server-side key."""

    server_key = True

    def authenticate(self, request: Request) -> tuple[AnonymousUser, EnvironmentKeyAuth]:
        key_auth = resolve_token(bearer_or_raw(request.headers.get("Authorization", "")))
        if key_auth is None:
            raise exceptions.AuthenticationFailed(MISSING_TOKEN)
        if key_auth.is_server_key != self.server_key:
            raise exceptions.PermissionDenied(WRONG_TOKEN_TYPE)
        check_opens(key_auth)
        return AnonymousUser(), key_auth

    def authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 rather than 403 for a missing or unknown token.
        return 'Bearer realm="unleash"'


class FrontendTokenAuthentication(UnleashTokenAuthentication):
    """A frontend token: an environment's client key, public by design (it ships in browsers)."""

    server_key = False


class UnleashTokenScheme(OpenApiAuthenticationExtension):
    """Documents the ``Authorization`` token in the OpenAPI schema."""

    target_class = "unleash.authentication.UnleashTokenAuthentication"
    name = "UnleashToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "apiKey", "in": "header", "name": "Authorization"}


class FrontendTokenScheme(UnleashTokenScheme):
    target_class = "unleash.authentication.FrontendTokenAuthentication"
    name = "UnleashFrontendToken"
