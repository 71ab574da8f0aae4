"""The audit log: one row per create, update or delete of something users or SDKs see."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from core.audit import AuditAction
from environments.models import Environment
from organisations.models import Organisation, OrganisationAPIKey
from projects.models import Project

__all__ = ["AuditAction", "AuditLog", "AuditSource"]


class AuditSource(models.TextChoices):
    API = "API", "Admin API"
    ADMIN = "ADMIN", "Django admin"
    COMMAND = "COMMAND", "Management command or script"


class AuditLogQuerySet(models.QuerySet["AuditLog"]):
    def for_user(self, user) -> AuditLogQuerySet:
        """Entries the principal may read: VIEW_AUDIT_LOG on their project, or organisation admin."""
        from permissions.checks import admin_organisation_ids, projects_for
        from permissions.models import VIEW_AUDIT_LOG

        if not user.is_authenticated:
            return self.none()
        return self.filter(
            models.Q(organisation_id__in=admin_organisation_ids(user))
            | models.Q(project_id__in=projects_for(user, VIEW_AUDIT_LOG).values("pk"))
        )


class AuditLog(models.Model):
    """Who changed what, where and when, with the fields that changed.

    ``project`` and ``environment`` keep their ids after the object is deleted (no
    database constraint), so the record of a deletion stays filterable.
    """

    created_date = models.DateTimeField(default=timezone.now, db_index=True)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="audit_logs")
    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    environment = models.ForeignKey(
        Environment, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_logs"
    )
    api_key = models.ForeignKey(
        OrganisationAPIKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_logs"
    )
    source = models.CharField(max_length=20, choices=AuditSource.choices, default=AuditSource.API)
    action = models.CharField(max_length=20, choices=AuditAction.choices)
    related_object_type = models.CharField(max_length=50, db_index=True)
    related_object_id = models.BigIntegerField(null=True, blank=True)
    log = models.TextField()
    changes = models.JSONField(default=dict, blank=True, help_text='{field: {"old": …, "new": …}}')
    is_system_event = models.BooleanField(default=False)

    objects = AuditLogQuerySet.as_manager()

    class Meta:
        ordering = ["-created_date", "-id"]
        indexes = [models.Index(fields=["organisation", "-created_date"], name="audit_org_created")]

    def __str__(self) -> str:
        return self.log
