from __future__ import annotations

import uuid

from django.db import models

from core.audit import Audited, AuditScope
from organisations.models import Organisation


class ProjectQuerySet(models.QuerySet["Project"]):
    def for_user(self, user) -> ProjectQuerySet:
        """The projects ``user`` may see (VIEW_PROJECT, project admin or organisation admin)."""
        from permissions.checks import projects_for

        return self.filter(pk__in=projects_for(user).values("pk"))


class Project(Audited):
    """A product or service whose features are flagged, with its environments."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=2000)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="projects")
    created_date = models.DateTimeField(auto_now_add=True)
    hide_disabled_flags = models.BooleanField(default=False, help_text="Leave disabled flags out of SDK responses.")
    prevent_flag_defaults = models.BooleanField(
        default=False, help_text="Start new features disabled and without a value in every environment."
    )
    enable_realtime_updates = models.BooleanField(default=False)
    only_allow_lower_case_feature_names = models.BooleanField(default=True)
    feature_name_regex = models.CharField(max_length=255, null=True, blank=True)
    stale_flags_limit_days = models.PositiveIntegerField(default=30)
    enforce_feature_owners = models.BooleanField(default=False)
    # Flagsmith's defaults (projects/models.py:80-89); it enforces them only on its SaaS (Edge).
    max_segments_allowed = models.PositiveIntegerField(default=500)
    max_features_allowed = models.PositiveIntegerField(default=1000)
    max_segment_overrides_allowed = models.PositiveIntegerField(default=2000)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name

    audit_object_type = "PROJECT"

    def audit_scope(self) -> AuditScope:
        return AuditScope(self.organisation_id, self.pk)
