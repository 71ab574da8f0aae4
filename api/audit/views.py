"""The audit log: ``/audit/``, ``projects/{p}/audit/`` and ``organisations/{o}/audit/``.

Entries are visible with VIEW_AUDIT_LOG on their project (project and organisation
admins hold it); entries outside any project (organisation settings, groups, API
keys, permissions of the organisation) to organisation admins only.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import mixins, viewsets

from audit.filters import AuditLogFilterSet
from audit.models import AuditLog
from audit.serializers import AuditLogSerializer
from core.viewsets import ReplicaListMixin
from organisations.views import OrganisationNestedMixin
from permissions.access import MEMBER, HasPermission
from permissions.models import VIEW_AUDIT_LOG
from projects.mixins import ProjectNestedMixin


class _AuditLogViewSet(ReplicaListMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = AuditLogSerializer
    filterset_class = AuditLogFilterSet
    permission_classes = [HasPermission]
    permission_keys: dict[str, str] = {}
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> QuerySet[AuditLog]:
        if getattr(self, "swagger_fake_view", False):
            return AuditLog.objects.none()
        return AuditLog.objects.for_user(self.request.user).select_related("author", "api_key")

    def get_permission_target(self, obj: Any = None) -> Any:
        return None


class AuditLogViewSet(_AuditLogViewSet):
    """Every entry the caller may read, across its organisations."""


class ProjectAuditLogViewSet(ProjectNestedMixin, _AuditLogViewSet):
    permission_keys = {"list": VIEW_AUDIT_LOG, "retrieve": VIEW_AUDIT_LOG}

    def get_permission_target(self, obj: Any = None) -> Any:
        return self.get_project()

    def get_queryset(self) -> QuerySet[AuditLog]:
        if getattr(self, "swagger_fake_view", False):
            return AuditLog.objects.none()
        return super().get_queryset().filter(project_id=self.get_project().pk)


class OrganisationAuditLogViewSet(OrganisationNestedMixin, _AuditLogViewSet):
    permission_keys = {"list": MEMBER, "retrieve": MEMBER}

    def get_permission_target(self, obj: Any = None) -> Any:
        return self.get_organisation()

    def get_queryset(self) -> QuerySet[AuditLog]:
        if getattr(self, "swagger_fake_view", False):
            return AuditLog.objects.none()
        return super().get_queryset().filter(organisation_id=self.get_organisation().pk)
