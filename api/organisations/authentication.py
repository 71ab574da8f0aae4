"""``Authorization: Api-Key <prefix>.<secret>``: organisation API keys for scripts and Terraform."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from organisations.models import OrganisationAPIKey

KEYWORD = "Api-Key"
# Account endpoints (djoser's auth/, users/join/…) act on the signed-in user; a key is no user.
_USER_ACCOUNT_PATHS = re.compile(r"^/api/v[0-9]+/(?:auth|users)/")


@dataclass(eq=False)
class APIKeyUser:
    """The principal of a request made with an organisation API key.

    Not a user: it has no memberships and no groups of its own. An admin key acts as
    an organisation admin; any other key holds the permissions of its group.
    """

    key: OrganisationAPIKey
    is_authenticated: bool = field(default=True, init=False)
    is_anonymous: bool = field(default=False, init=False)
    is_active: bool = field(default=True, init=False)
    is_staff: bool = field(default=False, init=False)
    is_superuser: bool = field(default=False, init=False)
    pk: None = field(default=None, init=False)
    id: None = field(default=None, init=False)

    @property
    def organisation_id(self) -> int:
        return self.key.organisation_id

    @property
    def is_admin(self) -> bool:
        return self.key.is_admin

    @property
    def group_id(self) -> int | None:
        return self.key.group_id

    def __str__(self) -> str:
        return f"API key {self.key.name} ({self.key.prefix})"


def is_api_key_user(principal: Any) -> bool:
    return isinstance(principal, APIKeyUser)


class OrganisationAPIKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[APIKeyUser, OrganisationAPIKey] | None:
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0] != KEYWORD:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Invalid Api-Key header: expected `Api-Key <key>`.")
        if _USER_ACCOUNT_PATHS.match(request.path):
            raise exceptions.PermissionDenied("Organisation API keys cannot be used on user account endpoints.")
        key = header[1]
        prefix, dot, _ = key.partition(".")
        api_key = (
            OrganisationAPIKey.objects.select_related("organisation").filter(prefix=prefix).first() if dot else None
        )
        # The hash comparison runs in constant time; the prefix only finds the row.
        if api_key is None or not api_key.matches(key):
            raise exceptions.AuthenticationFailed("Invalid API key.")
        if api_key.revoked:
            raise exceptions.AuthenticationFailed("This API key has been revoked.")
        if api_key.has_expired:
            raise exceptions.AuthenticationFailed("This API key has expired.")
        return APIKeyUser(api_key), api_key

    def authenticate_header(self, request: Request) -> str:
        return KEYWORD


class OrganisationAPIKeyScheme(OpenApiAuthenticationExtension):
    """Describes ``Api-Key`` in the OpenAPI schema."""

    target_class = OrganisationAPIKeyAuthentication
    name = "organisationApiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "An organisation API key: `Api-Key <key>`.",
        }
