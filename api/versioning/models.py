"""Feature versions (Flagsmith's v2 versioning): each change of a feature in an environment.

An ``EnvironmentFeatureVersion`` holds a whole state of one feature in one
environment: its environment default and its segment overrides
(``VersionFeatureState`` rows). A draft (``published_at`` null) is seen by nobody
but the dashboard; a published version is live from ``live_from`` on, and the live
version of a feature is the published one with the latest ``live_from`` that has
come (the later-created wins a tie). Identity overrides are not versioned, as in
Flagsmith.

The feature's ``FeatureState``/``FeatureSegment`` rows stay what the admin API and
the rest of Banderole read: publishing a version writes its states into them
(``applied_at``), at once for a version live now, and when its ``live_from`` comes
for a scheduled one (``versioning.scheduler``). Until then the document compiler
(``documents.compiler``) reads the version itself, so SDKs see a scheduled change at
its instant whether or not it has been applied yet.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from core.audit import Audited, AuditScope
from environments.models import Environment
from features.models import AbstractTypedValue, Feature, MultivariateFeatureOption


class EnvironmentFeatureVersionQuerySet(models.QuerySet["EnvironmentFeatureVersion"]):
    def alive(self) -> EnvironmentFeatureVersionQuerySet:
        """Not deleted (a deleted draft or a cancelled scheduled change is kept for the history only)."""
        return self.filter(deleted_at__isnull=True)

    def published(self) -> EnvironmentFeatureVersionQuerySet:
        return self.alive().filter(published_at__isnull=False)

    def pending(self) -> EnvironmentFeatureVersionQuerySet:
        """Published versions whose states are not yet written into the live rows."""
        return self.published().filter(applied_at__isnull=True)

    def newest_first(self) -> EnvironmentFeatureVersionQuerySet:
        # Drafts (no live_from yet) first, then by live_from; the later-created first on a tie.
        return self.order_by(F("live_from").desc(nulls_first=True), "-created_at", "-id")


class EnvironmentFeatureVersion(Audited):
    """One state of a feature in an environment: a draft, a scheduled change or a published version."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    environment = models.ForeignKey(Environment, on_delete=models.CASCADE, related_name="feature_versions")
    feature = models.ForeignKey(Feature, on_delete=models.CASCADE, related_name="environment_versions")
    description = models.TextField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)
    live_from = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="created_environment_feature_versions",
    )
    created_by_api_key = models.ForeignKey(
        "organisations.OrganisationAPIKey",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="created_environment_feature_versions",
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="published_environment_feature_versions",
    )
    published_by_api_key = models.ForeignKey(
        "organisations.OrganisationAPIKey",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="published_environment_feature_versions",
    )
    # Banderole's own bookkeeping (not in Flagsmith's shape):
    applied_at = models.DateTimeField(
        null=True, blank=True, help_text="When its states were written into the feature's live rows."
    )
    deleted_at = models.DateTimeField(null=True, blank=True, help_text="A deleted draft or a cancelled schedule.")
    # Flagsmith's field: the change request whose commit publishes this draft.
    change_request = models.ForeignKey(
        "versioning.ChangeRequest",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="environment_feature_versions",
    )
    restored_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="restorations",
        help_text="The earlier version this one copies (a rollback).",
    )

    objects = EnvironmentFeatureVersionQuerySet.as_manager()

    class Meta:
        ordering = [F("live_from").desc(nulls_first=True), "-created_at", "-id"]
        indexes = [
            models.Index(fields=["environment", "feature", "live_from"], name="versioning_env_feature_live"),
            # The version check and the scheduler ask for an environment's pending versions.
            models.Index(
                fields=["environment", "live_from"],
                name="versioning_pending",
                condition=Q(published_at__isnull=False, applied_at__isnull=True, deleted_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.feature.name} in {self.environment.name} ({self.uuid})"

    audit_object_type = "EF_VERSION"

    def audit_scope(self) -> AuditScope:
        return self.environment.audit_scope()

    @property
    def published(self) -> bool:
        return self.published_at is not None

    @property
    def is_live(self) -> bool:
        return self.published and self.live_from is not None and self.live_from <= timezone.now()

    @property
    def is_scheduled(self) -> bool:
        return self.published and self.live_from is not None and self.live_from > timezone.now()


class VersionFeatureState(AbstractTypedValue):
    """A state held by a version: its environment default (``segment`` null) or a segment override."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    version = models.ForeignKey(EnvironmentFeatureVersion, on_delete=models.CASCADE, related_name="feature_states")
    # A deleted segment takes its overrides out of every version, as it does from the live rows.
    segment = models.ForeignKey("segments.Segment", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    priority = models.PositiveIntegerField(null=True, blank=True)
    enabled = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = [F("priority").asc(nulls_first=True), "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["version"], condition=Q(segment__isnull=True), name="versioning_state_one_default"
            ),
            models.UniqueConstraint(fields=["version", "segment"], name="versioning_state_one_per_segment"),
        ]

    def __str__(self) -> str:
        return f"{'default' if self.segment_id is None else f'segment {self.segment_id}'} of {self.version_id}"


class VersionMultivariateValue(models.Model):
    """A variant's share in a version's state."""

    feature_state = models.ForeignKey(
        VersionFeatureState, on_delete=models.CASCADE, related_name="multivariate_feature_state_values"
    )
    multivariate_feature_option = models.ForeignKey(
        MultivariateFeatureOption, on_delete=models.CASCADE, related_name="+"
    )
    percentage_allocation = models.FloatField(default=100)

    class Meta:
        ordering = ["multivariate_feature_option_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["feature_state", "multivariate_feature_option"], name="versioning_mv_one_per_option"
            )
        ]

    def __str__(self) -> str:
        return f"option {self.multivariate_feature_option_id}: {self.percentage_allocation}%"


# --- change requests (four eyes) ------------------------------------------------------------------
# Flagsmith keeps its change-request API in an enterprise package; these models use the
# field names of its open models (features/workflows/core/models.py).


class ChangeRequest(Audited):
    """A proposed change of an environment's flags: draft versions that publish when it is committed."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    title = models.CharField(max_length=500)
    description = models.TextField(blank=True, null=True)
    # Null when the author's account is deleted: the request stays in the history.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, related_name="change_requests", null=True
    )
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="change_requests")
    environment = models.ForeignKey(Environment, on_delete=models.CASCADE, related_name="change_requests")
    committed_at = models.DateTimeField(null=True, blank=True)
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        related_name="committed_change_requests",
        null=True,
        blank=True,
    )
    ignore_conflicts = models.BooleanField(default=False)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.title

    audit_object_type = "CHANGE_REQUEST"

    def audit_scope(self) -> AuditScope:
        return self.environment.audit_scope()

    @property
    def is_committed(self) -> bool:
        return self.committed_at is not None


class ChangeRequestApproval(models.Model):
    """An assigned approver (``approved_at`` null) or an approval."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    change_request = models.ForeignKey(ChangeRequest, on_delete=models.CASCADE, related_name="approvals")
    created_at = models.DateTimeField(auto_now_add=True)
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "change_request"], name="versioning_one_approval_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} on {self.change_request_id}"


class ChangeRequestGroupAssignment(models.Model):
    """A group assigned to approve a change request: any member may approve."""

    change_request = models.ForeignKey(ChangeRequest, on_delete=models.CASCADE, related_name="group_assignments")
    group = models.ForeignKey("organisations.UserPermissionGroup", on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["change_request", "group"], name="versioning_one_assignment_per_group")
        ]

    def __str__(self) -> str:
        return f"group {self.group_id} on {self.change_request_id}"
