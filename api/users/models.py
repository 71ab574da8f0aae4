from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils.crypto import salted_hmac


class UserManager(BaseUserManager["User"]):
    """Users are found by email, compared without regard to case."""

    use_in_migrations = True

    def normalize_email(self, email: str | None) -> str:  # type: ignore[override]
        return (email or "").strip().lower()

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username)

    def _create_user(self, email: str, password: str | None, **extra_fields: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields: Any) -> User:
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email: str, password: str | None = None, **extra_fields: Any) -> User:
        extra_fields["is_staff"] = True
        extra_fields["is_superuser"] = True
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person who signs in to the dashboard, the API or the Django admin.

    The email is the login. ``username`` is kept only as a display name (the
    first-run form asks for one), so it is neither unique nor required.
    """

    email = models.EmailField("email address", unique=True)
    username = models.CharField(max_length=150, blank=True, help_text="Display name; not used to sign in.")
    # Flagsmith's stable public id of a user (its Terraform provider reads it from organisations/{o}/users/).
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Whether the person signing in has shown they receive mail at ``email``: by the
    # activation link, a password reset link, or a GitHub sign-in that created the account
    # with an address GitHub verified. Cleared when the email changes. GitHub sign-in
    # attaches only to accounts with a verified email (docs/security.md).
    email_verified = models.BooleanField(
        default=False, help_text="The owner has shown they receive mail at this address."
    )

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()  # type: ignore[misc]

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(Lower("email"), name="users_user_email_ci_unique")]

    def __str__(self) -> str:
        return self.email

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.email = User.objects.normalize_email(self.email)
        super().save(*args, **kwargs)

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        # Django signs each session with a hash of the password only, so a session outlives
        # a change of email (the login). Hashing both ends every session when either changes.
        # (Django's get_session_auth_hash and its SECRET_KEY_FALLBACKS variant both call this.)
        key_salt = "users.User.get_session_auth_hash"
        return salted_hmac(key_salt, f"{self.password}\x00{self.email}", secret=secret, algorithm="sha256").hexdigest()


class MFAMethod(models.Model):
    """A second factor of a user's sign-in (Flagsmith's, from trench): only ``app``, TOTP (RFC 6238).

    Made inactive by ``auth/app/activate/`` (which shows the secret) and activated by
    ``auth/app/activate/confirm/`` with a first code. ``backup_codes`` holds keyed hashes
    of the unused one-time backup codes, never the codes.
    """

    APP = "app"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="mfa_methods")
    name = models.CharField(max_length=32, default=APP)
    secret = models.CharField(max_length=64)
    is_active = models.BooleanField(default=False)
    is_primary = models.BooleanField(default=False)
    backup_codes = models.JSONField(default=list, blank=True)
    # The TOTP time step of the last code accepted: a code is good once (no replay).
    last_used_step = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        verbose_name = "MFA method"
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="users_mfamethod_user_name_unique")]

    def __str__(self) -> str:
        return f"{self.name} for {self.user}"
