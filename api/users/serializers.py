from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from djoser.serializers import ActivationSerializer as DjoserActivationSerializer
from djoser.serializers import PasswordResetConfirmSerializer as DjoserPasswordResetConfirmSerializer
from djoser.serializers import SendEmailResetSerializer as DjoserSendEmailResetSerializer
from djoser.serializers import SetUsernameSerializer as DjoserSetUsernameSerializer
from djoser.serializers import UserCreateSerializer as DjoserUserCreateSerializer
from djoser.serializers import UsernameResetConfirmSerializer as DjoserUsernameResetConfirmSerializer
from rest_framework import exceptions, serializers
from rest_framework.authtoken.models import Token

from users.models import User
from users.services import has_valid_invite, registration_is_allowed


class UserCreateSerializer(DjoserUserCreateSerializer):
    """Sign-up that honours the registration rules and logs the new user in.

    Like Flagsmith's, the response carries the new user's token as ``key`` so
    the dashboard can continue without a separate login.
    """

    key = serializers.SerializerMethodField()
    invite_hash = serializers.CharField(write_only=True, required=False, allow_blank=True)

    class Meta(DjoserUserCreateSerializer.Meta):
        model = User
        fields = ("id", "email", "password", "first_name", "last_name", "username", "invite_hash", "key")
        read_only_fields = ("id", "key")

    def validate_email(self, value: str) -> str:
        email = User.objects.normalize_email(value)
        if User.objects.filter(email__iexact=email).exists():
            raise serializers.ValidationError("A user with this email already exists.")
        return email

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        invite_hash = attrs.pop("invite_hash", "") or ""
        email = attrs.get("email", "")
        # A hash alone is not an invite: it must belong to a live invite link.
        if settings.PREVENT_SIGNUP and not has_valid_invite(email, invite_hash):
            raise exceptions.PermissionDenied("Sign-up is disabled for this installation.")
        if not registration_is_allowed(email, invite_hash):
            raise exceptions.PermissionDenied("User registration without an invite is disabled for this installation.")
        return super().validate(attrs)

    def get_key(self, user: User) -> str | None:
        if not user.is_active:
            return None  # waiting for email activation
        token, _ = Token.objects.get_or_create(user=user)
        return token.key


class SendAccountLinkSerializer(DjoserSendEmailResetSerializer):
    """The "email me a link" form (password reset, activation resend), whatever the address's case.

    djoser looks the account up with an exact match; addresses are stored in lower case.
    """

    def validate_email(self, value: str) -> str:
        return User.objects.normalize_email(value)


class CurrentUserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ("id", "email", "first_name", "last_name", "username", "is_superuser", "date_joined", "last_login")
        read_only_fields = ("id", "email", "is_superuser", "date_joined", "last_login")


class LoginSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        request = self.context["request"]
        # django-axes counts failures per username as given: normalise it, or every
        # spelling of one address ("Alice@…", "ALICE@…") would get its own allowance.
        email = User.objects.normalize_email(attrs["email"])
        # django-axes needs the Django request to count and lock out failures.
        user = authenticate(request._request, email=email, password=attrs["password"])
        if user is None:
            raise serializers.ValidationError(
                {"non_field_errors": ["Unable to log in with provided credentials."]}, code="authorization"
            )
        attrs["user"] = user
        return attrs


class TokenSerializer(serializers.Serializer):
    key = serializers.CharField(read_only=True)


class EphemeralTokenSerializer(serializers.Serializer):
    """``auth/login/``'s answer for an account with two-factor sign-in (Flagsmith's shape)."""

    ephemeral_token = serializers.CharField(read_only=True)
    method = serializers.CharField(read_only=True)


class CodeLoginSerializer(serializers.Serializer):
    ephemeral_token = serializers.CharField(max_length=1000)
    code = serializers.CharField(max_length=100)


class MFACodeSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=100)


class MFAActivationSerializer(serializers.Serializer):
    qr_link = serializers.CharField(read_only=True, help_text="otpauth:// URI for an authenticator app's QR code.")
    secret = serializers.CharField(read_only=True, help_text="The same secret, to type in by hand.")


class BackupCodesSerializer(serializers.Serializer):
    backup_codes = serializers.ListField(child=serializers.CharField(), read_only=True)


class MFAMethodSerializer(serializers.Serializer):
    name = serializers.CharField(read_only=True)
    is_primary = serializers.BooleanField(read_only=True)


class MFAErrorSerializer(serializers.Serializer):
    error = serializers.CharField(read_only=True)


class SetEmailSerializer(DjoserSetUsernameSerializer):
    """``auth/users/set_email/``: the new address may not be another user's, in any case."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        email = User.objects.normalize_email(attrs["email"])
        user = self.context["request"].user
        if User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
            raise serializers.ValidationError({"new_email": ["A user with this email already exists."]})
        attrs["email"] = email
        return attrs


class TextUidAndTokenMixin:
    """djoser reads ``uid`` and ``token`` from the raw body: a number or object there must be a 400."""

    initial_data: Any

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        for name in ("uid", "token"):
            if not isinstance(self.initial_data.get(name, ""), str):
                raise serializers.ValidationError({name: ["Not a valid string."]})
        return super().validate(attrs)  # type: ignore[misc]


class ActivationSerializer(TextUidAndTokenMixin, DjoserActivationSerializer):
    """``auth/users/activation/``."""


class PasswordResetConfirmSerializer(TextUidAndTokenMixin, DjoserPasswordResetConfirmSerializer):
    """``auth/users/reset_password_confirm/``."""


class EmailResetConfirmSerializer(TextUidAndTokenMixin, DjoserUsernameResetConfirmSerializer):
    """``auth/users/reset_email_confirm/``."""
