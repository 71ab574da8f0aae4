from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth import user_logged_in
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views import View
from djoser.views import UserViewSet as DjoserUserViewSet
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema
from rest_framework import serializers as drf_serializers
from rest_framework import status
from rest_framework.authtoken.models import Token
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from core.throttling import ScopedRateThrottle
from users import mfa, oauth
from users.forms import InitialConfigurationForm
from users.models import MFAMethod, User
from users.serializers import (
    BackupCodesSerializer,
    CodeLoginSerializer,
    EphemeralTokenSerializer,
    LoginSerializer,
    MFAActivationSerializer,
    MFACodeSerializer,
    MFAErrorSerializer,
    MFAMethodSerializer,
    SendAccountLinkSerializer,
    TokenSerializer,
)
from users.services import (
    InstallationAlreadyConfigured,
    configure_installation,
    end_sign_ins,
    has_valid_invite,
    initial_configuration_is_open,
    issue_token,
    mark_email_verified,
    record_email_change,
    registration_is_allowed,
)

logger = logging.getLogger("banderole.users")


LOGIN_RESPONSE = PolymorphicProxySerializer(
    component_name="LoginResponse",
    serializers=[TokenSerializer, EphemeralTokenSerializer],
    resource_type_field_name=None,
)


def signed_in(request: Request, user: User) -> Response:
    """Finish a sign-in: ``{"key": <new token>}``, or Flagsmith's second-step shape for 2FA users."""
    if mfa.active_method(user) is not None:
        return Response({"ephemeral_token": mfa.make_ephemeral_token(user), "method": MFAMethod.APP})
    return token_response(request, user)


def token_response(request: Request, user: User) -> Response:
    key = issue_token(user)
    user_logged_in.send(sender=user.__class__, request=request._request, user=user)
    return Response({"key": key})


class LoginView(APIView):
    """Email and password in, ``{"key": <token>}`` out, as Flagsmith's dashboard expects.

    For an account with two-factor sign-in: ``{"ephemeral_token", "method"}``, to send with
    a code to ``auth/login/code/``.
    """

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    @extend_schema(request=LoginSerializer, responses=LOGIN_RESPONSE)
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = LoginSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        return signed_in(request, serializer.validated_data["user"])


class LoginWithCodeView(APIView):
    """``auth/login/code/``: the second step of a two-factor sign-in; ``{"key": <token>}`` out."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "mfa_code"

    @extend_schema(request=CodeLoginSerializer, responses={200: TokenSerializer, 401: MFAErrorSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = CodeLoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            user = mfa.authenticate_second_factor(
                serializer.validated_data["ephemeral_token"], serializer.validated_data["code"]
            )
        except mfa.MFAError as refused:
            return Response({"error": str(refused)}, status=status.HTTP_401_UNAUTHORIZED)
        return token_response(request, user)


def _method_or_404(method: str) -> None:
    if method != MFAMethod.APP:
        raise NotFound("Only the app method (an authenticator app) is offered.")


class MFAActivationView(APIView):
    """``auth/app/activate/``: a new secret for an authenticator app, to confirm with a code."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: MFAActivationSerializer, 400: MFAErrorSerializer})
    def post(self, request: Request, method: str, *args: Any, **kwargs: Any) -> Response:
        _method_or_404(method)
        try:
            pending = mfa.start_activation(request.user)
        except mfa.MFAError as refused:
            return Response({"error": str(refused)}, status=status.HTTP_400_BAD_REQUEST)
        return Response({"qr_link": mfa.provisioning_uri(pending), "secret": pending.secret})


class MFAConfirmActivationView(APIView):
    """``auth/app/activate/confirm/``: a first code turns two-factor sign-in on; the backup codes, once."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=MFACodeSerializer, responses=BackupCodesSerializer)
    def post(self, request: Request, method: str, *args: Any, **kwargs: Any) -> Response:
        _method_or_404(method)
        serializer = MFACodeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            codes = mfa.confirm_activation(request.user, serializer.validated_data["code"])
        except mfa.MFAError as refused:
            return Response({"code": [str(refused)]}, status=status.HTTP_400_BAD_REQUEST)
        return Response({"backup_codes": codes})


class MFADeactivationView(APIView):
    """``auth/app/deactivate/``: turn two-factor sign-in off."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None, 400: MFAErrorSerializer})
    def post(self, request: Request, method: str, *args: Any, **kwargs: Any) -> Response:
        _method_or_404(method)
        try:
            mfa.deactivate(request.user, method)
        except mfa.MFAError as refused:
            return Response({"error": str(refused)}, status=status.HTTP_400_BAD_REQUEST)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MFAActiveMethodsView(APIView):
    """``auth/mfa/user-active-methods/``: the caller's active second factors."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=MFAMethodSerializer(many=True))
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(MFAMethodSerializer(mfa.active_methods(request.user), many=True).data)


class LogoutView(APIView):
    """Delete the caller's token; the next request with it is anonymous."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        Token.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.post(request, *args, **kwargs)


# djoser's ``auth/users/`` endpoints, with sign-up limited by SIGNUP_THROTTLE_RATE and addresses
# found whatever their case. (A comment, not a docstring: drf-spectacular would publish a
# docstring as the description of every one of these endpoints.)
class UserViewSet(DjoserUserViewSet):
    throttle_scope = "signup"

    def get_throttles(self) -> list[BaseThrottle]:
        if self.action == "create":
            return [ScopedRateThrottle()]
        if self.action in ("reset_password", "resend_activation"):
            # Each sends an email to any address typed in: limited per client address.
            self.throttle_scope = "password_reset"
            return [ScopedRateThrottle()]
        return super().get_throttles()

    def get_serializer_class(self) -> type[Serializer]:
        if self.action in ("reset_password", "resend_activation"):
            return SendAccountLinkSerializer
        return super().get_serializer_class()

    # A change of password or email ends every sign-in of the account, the caller's too.
    @action(["post"], detail=False)
    def set_password(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().set_password(request, *args, **kwargs)
        end_sign_ins(request.user)
        return response

    @action(["post"], detail=False)
    def reset_password_confirm(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        response = super().reset_password_confirm(request, *args, **kwargs)
        end_sign_ins(serializer.user)
        # The link came by email: its follower receives mail at the address.
        mark_email_verified(serializer.user)
        return response

    @action(["post"], detail=False)
    def activation(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        response = super().activation(request, *args, **kwargs)
        mark_email_verified(serializer.user)
        return response

    @action(["post"], detail=False, url_path="set_email")
    def set_username(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().set_username(request, *args, **kwargs)
        record_email_change(request.user)
        return response

    @action(["post"], detail=False, url_path="reset_email_confirm")
    def reset_username_confirm(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        response = super().reset_username_confirm(request, *args, **kwargs)
        record_email_change(serializer.user)
        return response


class InitialConfigurationView(View):
    """``/api/v1/users/config/init/``: set up an installation that has no user yet.

    Answers 404 once any user exists, or when ALLOW_ADMIN_INITIATION_VIA_URL
    is off, so it cannot be used to take over a running installation.
    """

    template_name = "users/initial_configuration.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if kwargs.get("version") != "v1" or not initial_configuration_is_open():
            return JsonResponse({"detail": "Not found."}, status=404)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return render(request, self.template_name, {"form": InitialConfigurationForm()})

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = InitialConfigurationForm(request.POST)
        wants_html = "text/html" in request.headers.get("Accept", "")
        if not form.is_valid():
            if wants_html:
                return render(request, self.template_name, {"form": form}, status=400)
            return JsonResponse(form.errors.get_json_data(), status=400)
        try:
            user = configure_installation(**form.cleaned_data)
        except InstallationAlreadyConfigured:
            return JsonResponse({"detail": "Not found."}, status=404)
        if wants_html:
            return render(request, "users/initial_configuration_done.html", {"user": user})
        return JsonResponse({"message": "INSTALLATION CONFIGURED SUCCESSFULLY", "email": user.email}, status=201)


def lockout_response(request: HttpRequest, original_response: HttpResponse | None, credentials: Any) -> HttpResponse:
    """django-axes' answer once an account or address is locked out."""
    detail = "Too many failed login attempts. Try again later or ask an administrator to unlock the account."
    if request.path.startswith("/admin/"):
        return HttpResponse(detail, status=403, content_type="text/plain")
    return JsonResponse({"detail": detail}, status=403)


class GithubOAuthSerializer(Serializer):
    """Flagsmith's body: the code GitHub handed the dashboard, under the name ``access_token``."""

    access_token = drf_serializers.CharField(max_length=512)
    invite_hash = drf_serializers.CharField(max_length=100, required=False, allow_blank=True)


class GithubOAuthView(APIView):
    """``POST auth/oauth/github/``: ``{"access_token"}`` in, ``{"key": <token>}`` out, like the email login.

    An account is found by its GitHub primary verified email, or created under the same
    rules as email sign-up (``PREVENT_SIGNUP``, ``ALLOW_REGISTRATION_WITHOUT_INVITE``).
    """

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    @extend_schema(request=GithubOAuthSerializer, responses=LOGIN_RESPONSE)
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not oauth.github_configured():
            return Response({"detail": "GitHub sign-in is not configured."}, status=status.HTTP_404_NOT_FOUND)
        body = GithubOAuthSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            profile = oauth.github_profile(body.validated_data["access_token"])
        except oauth.ProviderRefused as refused:
            return Response({"access_token": [str(refused)]}, status=status.HTTP_400_BAD_REQUEST)
        except oauth.ProviderUnavailable as unavailable:
            logger.warning("GitHub sign-in failed: %s", unavailable)
            return Response({"detail": "GitHub could not be reached; try again."}, status=status.HTTP_502_BAD_GATEWAY)
        user = User.objects.filter(email__iexact=profile.email).first()
        if user is not None and not user.email_verified:
            # Anyone can sign up with someone else's address (sign-up does not verify email
            # by default); attaching GitHub to such an account would hand it to whoever
            # registered first, or the account to whoever owns the GitHub address.
            return Response(
                {
                    "detail": "An account with this email exists, but its address has not been verified. "
                    "Sign in with its password, or reset the password through the emailed link, "
                    "then sign in with GitHub."
                },
                status=status.HTTP_403_FORBIDDEN,
            )
        if user is None:
            invite_hash = body.validated_data.get("invite_hash", "")
            if settings.PREVENT_SIGNUP and not has_valid_invite(profile.email, invite_hash):
                return Response({"detail": "Sign-up is disabled for this installation."}, status=403)
            if not registration_is_allowed(profile.email, invite_hash):
                return Response(
                    {"detail": "User registration without an invite is disabled for this installation."}, status=403
                )
            user = User.objects.create_user(
                email=profile.email,
                first_name=profile.first_name,
                last_name=profile.last_name,
                email_verified=True,  # GitHub verified this primary address
            )
        if not user.is_active:
            return Response({"detail": "This account is disabled."}, status=status.HTTP_403_FORBIDDEN)
        return signed_in(request, user)
