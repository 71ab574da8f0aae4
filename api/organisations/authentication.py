"""``Authorization: Api-Key <prefix>.<secret>``: organisation API keys for scripts and Terraform."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef
from drf_spectacular.authentication import SessionScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token
from rest_framework.request import Request

from organisations.models import OrganisationAPIKey, UserOrganisation
from users.models import MFAMethod, User

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


# What a member who must turn on two-factor sign-in may still reach: their own account
# (which holds the enrolment endpoints) and the list of their organisations, which says
# which one asks for it (``force_2fa``), so the dashboard can send them to enrol.
_TWO_FACTOR_ENROLMENT_PATHS = re.compile(r"^/api/v[0-9]+/auth/")
_ORGANISATION_LIST_PATH = re.compile(r"^/api/v[0-9]+/organisations/$")
TWO_FACTOR_REQUIRED = (
    "An organisation you belong to requires two-factor sign-in. Turn it on for your account "
    "(auth/app/activate/) to continue."
)


def _two_factor_flags(user_ref: str) -> dict[str, Exists]:
    """Annotations for a query of tokens or users: in a ``force_2fa`` organisation, and enrolled."""
    return {
        "in_force_2fa_organisation": Exists(
            UserOrganisation.objects.filter(user=OuterRef(user_ref), organisation__force_2fa=True)
        ),
        "has_two_factor": Exists(MFAMethod.objects.filter(user=OuterRef(user_ref), is_active=True)),
    }


def _refuse_until_enrolled(request: Request, flags: Any) -> None:
    if not flags.in_force_2fa_organisation or flags.has_two_factor:
        return
    if _TWO_FACTOR_ENROLMENT_PATHS.match(request.path):
        return
    if request.method == "GET" and _ORGANISATION_LIST_PATH.match(request.path):
        return
    raise exceptions.PermissionDenied(TWO_FACTOR_REQUIRED)


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's ``Token`` authentication, which also holds back members who must enrol in 2FA.

    One query, as DRF's: the two checks are subqueries of the token lookup.
    """

    def authenticate(self, request: Request) -> tuple[User, Token] | None:
        result = super().authenticate(request)
        if result is not None:
            _refuse_until_enrolled(request, result[1])
        return result

    def authenticate_credentials(self, key: str) -> tuple[User, Token]:
        token = Token.objects.select_related("user").annotate(**_two_factor_flags("user_id")).filter(key=key).first()
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        return token.user, token


class SessionAuthentication(authentication.SessionAuthentication):
    """DRF's session authentication (the browsable API after a Django admin sign-in), with the same 2FA rule."""

    def authenticate(self, request: Request) -> tuple[User, None] | None:
        result = super().authenticate(request)
        if result is not None:
            flags = User.objects.filter(pk=result[0].pk).annotate(**_two_factor_flags("pk")).first()
            if flags is not None:
                _refuse_until_enrolled(request, flags)
        return result


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


class TwoFactorAwareSessionScheme(SessionScheme):
    """Describes our ``SessionAuthentication`` as drf-spectacular describes DRF's (``cookieAuth``)."""

    target_class = SessionAuthentication
    priority = 0
