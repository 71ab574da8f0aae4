from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from core.audit import Audited, AuditScope


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
        """The organisations ``user`` (or an API key) belongs to; anything else is invisible."""
        from permissions.checks import member_organisation_ids

        if not user.is_authenticated:
            return self.none()
        return self.filter(pk__in=member_organisation_ids(user))


class Organisation(Audited):
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
    # Flagsmith's name. Members without two-factor sign-in may use only their own account
    # until they turn it on (organisations.authentication).
    force_2fa = models.BooleanField(default=False, help_text="Members must use two-factor sign-in.")
    users = models.ManyToManyField(settings.AUTH_USER_MODEL, through="UserOrganisation", related_name="organisations")

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name

    audit_object_type = "ORGANISATION"

    def audit_scope(self) -> AuditScope:
        return AuditScope(self.pk)


class UserOrganisation(Audited):
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

    audit_object_type = "MEMBERSHIP"

    def audit_scope(self) -> AuditScope:
        return AuditScope(self.organisation_id)


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


class UserPermissionGroup(Audited):
    """A named set of members of one organisation; permissions granted to it apply to each of them.

    Group admins may add and remove the group's members without being organisation admins.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="permission_groups")
    name = models.CharField(max_length=200)
    users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="UserPermissionGroupMembership", related_name="permission_groups"
    )
    is_default = models.BooleanField(default=False, help_text="New members of the organisation join this group.")
    external_id = models.CharField(max_length=255, null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["organisation", "name"], name="unique_group_name")]

    def __str__(self) -> str:
        return f"{self.name} ({self.organisation})"

    audit_object_type = "USER_GROUP"

    def audit_scope(self) -> AuditScope:
        return AuditScope(self.organisation_id)


class UserPermissionGroupMembership(Audited):
    group = models.ForeignKey(UserPermissionGroup, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="group_memberships")
    group_admin = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["group", "user"], name="unique_group_user")]

    def __str__(self) -> str:
        return f"{self.user} in {self.group}"

    audit_object_type = "USER_PERMISSION_GROUP_MEMBERSHIP"

    def audit_scope(self) -> AuditScope:
        return AuditScope(self.group.organisation_id)


def hash_organisation_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class OrganisationAPIKeyQuerySet(models.QuerySet["OrganisationAPIKey"]):
    def valid(self) -> OrganisationAPIKeyQuerySet:
        return self.filter(revoked=False).filter(
            models.Q(expiry_date__isnull=True) | models.Q(expiry_date__gt=timezone.now())
        )


class OrganisationAPIKey(Audited):
    """A key for scripts and Terraform: ``Authorization: Api-Key <prefix>.<secret>``.

    Only a SHA-256 of the whole key is stored (the key is 32 random bytes, so a slow
    password hash would add latency and no safety); it is compared in constant time
    and shown once, in the response that creates it. An admin key acts as an
    organisation admin; any other key holds the permissions granted to its ``group``.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=200)
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    expiry_date = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(default=False)
    is_admin = models.BooleanField(default=True)
    group = models.ForeignKey(
        UserPermissionGroup,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="api_keys",
        help_text="For a non-admin key: the group whose permissions it holds.",
    )

    objects = OrganisationAPIKeyQuerySet.as_manager()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    audit_object_type = "ORGANISATION_API_KEY"

    def audit_scope(self) -> AuditScope:
        return AuditScope(self.organisation_id)

    @staticmethod
    def generate_key() -> tuple[str, str]:
        """A new ``(prefix, key)``; the key starts with its prefix and a dot."""
        prefix = secrets.token_hex(4)
        return prefix, f"{prefix}.{secrets.token_urlsafe(32)}"

    def set_key(self, prefix: str, key: str) -> None:
        self.prefix = prefix
        self.key_hash = hash_organisation_api_key(key)

    def matches(self, key: str) -> bool:
        return hmac.compare_digest(self.key_hash, hash_organisation_api_key(key))

    @property
    def has_expired(self) -> bool:
        return self.expiry_date is not None and self.expiry_date <= timezone.now()

    @property
    def is_valid(self) -> bool:
        return not self.revoked and not self.has_expired
