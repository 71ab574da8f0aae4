from __future__ import annotations

import hashlib
import secrets
import uuid

import shortuuid
from django.db import models
from django.utils import timezone

from core.audit import Audited, AuditScope
from projects.models import Project


def generate_client_api_key() -> str:
    """22 URL-safe characters, the shape of Flagsmith's client keys."""
    return shortuuid.ShortUUID().random(length=22)


def hash_server_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class EnvironmentQuerySet(models.QuerySet["Environment"]):
    def for_user(self, user) -> EnvironmentQuerySet:
        """The environments ``user`` may see (VIEW_ENVIRONMENT or an admin above it)."""
        from permissions.checks import environments_for

        return self.filter(pk__in=environments_for(user).values("pk"))


class Environment(Audited):
    """One deployment stage of a project (Development, Production…), addressed by its client key."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=2000)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="environments")
    api_key = models.CharField(max_length=100, unique=True, default=generate_client_api_key)
    description = models.TextField(blank=True, default="")
    created_date = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(default=timezone.now, help_text="When what SDKs see last changed.")
    allow_client_traits = models.BooleanField(default=True)
    hide_sensitive_data = models.BooleanField(default=False)
    hide_disabled_flags = models.BooleanField(
        null=True, blank=True, help_text="Overrides the project setting when set."
    )
    use_identity_composite_key_for_hashing = models.BooleanField(default=True)
    use_identity_overrides_in_local_eval = models.BooleanField(default=True)
    use_mv_v2_evaluation = models.BooleanField(default=True)
    minimum_change_request_approvals = models.PositiveIntegerField(null=True, blank=True)
    use_v2_feature_versioning = models.BooleanField(
        default=False,
        help_text="Each change of a feature's state here is an EnvironmentFeatureVersion (versioning app).",
    )
    banner_text = models.CharField(max_length=255, null=True, blank=True)
    banner_colour = models.CharField(max_length=20, null=True, blank=True)
    protected = models.BooleanField(
        default=False,
        help_text="Banderole's own: the dashboard asks for confirmation before a flag changes here.",
    )

    objects = EnvironmentQuerySet.as_manager()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.project.name} / {self.name}"

    audit_object_type = "ENVIRONMENT"

    def audit_scope(self) -> AuditScope:
        return AuditScope(self.project.organisation_id, self.project_id, self.pk)


class EnvironmentAPIKeyQuerySet(models.QuerySet["EnvironmentAPIKey"]):
    def valid(self) -> EnvironmentAPIKeyQuerySet:
        """Active keys that have not expired: the only ones SDKs may use."""
        return self.filter(active=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=timezone.now())
        )

    def get_by_key(self, key: str) -> EnvironmentAPIKey:
        return self.get(key_hash=hash_server_key(key))


class EnvironmentAPIKey(Audited):
    """A server-side SDK key (``ser.…``): local evaluation, server-only features.

    Only a SHA-256 of the key is stored; the key itself is shown once, in the
    response that creates it.
    """

    PREFIX = "ser."

    environment = models.ForeignKey(Environment, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    key_preview = models.CharField(
        max_length=16, editable=False, help_text="The key's first characters, to recognise it."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    active = models.BooleanField(default=True)

    objects = EnvironmentAPIKeyQuerySet.as_manager()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_preview}…)"

    audit_object_type = "SERVER_KEY"

    def audit_scope(self) -> AuditScope:
        return self.environment.audit_scope()

    @classmethod
    def generate_key(cls) -> str:
        return cls.PREFIX + secrets.token_urlsafe(24)

    def set_key(self, key: str) -> None:
        self.key_hash = hash_server_key(key)
        self.key_preview = key[:8]

    @property
    def is_valid(self) -> bool:
        return self.active and (self.expires_at is None or self.expires_at > timezone.now())
