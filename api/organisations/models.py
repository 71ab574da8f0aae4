from __future__ import annotations

import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone


class OrganisationRole(models.TextChoices):
    ADMIN = "ADMIN", "Admin"
    USER = "USER", "User"


def default_persist_trait_data() -> bool:
    return settings.DEFAULT_ORG_STORE_TRAITS_VALUE


def generate_invite_hash() -> str:
    return secrets.token_urlsafe(32)


def default_invite_link_expiry():
    return timezone.now() + timedelta(days=settings.INVITE_LINK_DEFAULT_DAYS)


class OrganisationQuerySet(models.QuerySet["Organisation"]):
    def for_user(self, user) -> OrganisationQuerySet:
        """The organisations ``user`` belongs to; anything else is invisible."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(memberships__user=user)


class Organisation(models.Model):
    """The tenant: owns projects, members and invites."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=2000)
    created_date = models.DateTimeField(auto_now_add=True)
    webhook_notification_email = models.EmailField(null=True, blank=True)
    persist_trait_data = models.BooleanField(
        default=default_persist_trait_data,
        help_text="Store identities' traits; when off, traits are used for evaluation only.",
    )
    stop_serving_flags = models.BooleanField(default=False, help_text="Refuse every SDK request of this organisation.")
    restrict_project_create_to_admin = models.BooleanField(default=False)
    block_access_to_admin = models.BooleanField(default=False)
    users = models.ManyToManyField(settings.AUTH_USER_MODEL, through="UserOrganisation", related_name="organisations")

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class UserOrganisation(models.Model):
    """Membership of a user in an organisation, with their role there."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=50, choices=OrganisationRole.choices, default=OrganisationRole.USER)
    date_joined = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["user", "organisation"], name="unique_user_organisation")]

    def __str__(self) -> str:
        return f"{self.user} in {self.organisation} ({self.role})"


class Invite(models.Model):
    """An invitation sent to one email address; accepted with its hash."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="invites")
    email = models.EmailField()
    role = models.CharField(max_length=50, choices=OrganisationRole.choices, default=OrganisationRole.USER)
    hash = models.CharField(max_length=100, unique=True, default=generate_invite_hash, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="sent_invites"
    )
    date_created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["email", "organisation"], name="unique_invite_email_organisation")
        ]

    def __str__(self) -> str:
        return f"Invite of {self.email} to {self.organisation}"


class InviteLink(models.Model):
    """A shareable link: anyone signed in who has it may join, until it expires."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="invite_links")
    role = models.CharField(max_length=50, choices=OrganisationRole.choices, default=OrganisationRole.USER)
    hash = models.CharField(max_length=100, unique=True, default=generate_invite_hash, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True, default=default_invite_link_expiry)
    date_created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"Invite link to {self.organisation} ({self.role})"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()
