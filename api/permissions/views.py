"""``user-permissions/`` and ``user-group-permissions/`` under organisations, projects and
environments; the ``permissions/`` listings of keys."""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.response import Response

from environments.mixins import EnvironmentNestedMixin
from organisations.views import OrganisationNestedMixin
from permissions import serializers, services
from permissions.access import ADMIN, HasPermission
from permissions.models import EnvironmentPermission, OrganisationPermission, PermissionKey, ProjectPermission
from projects.mixins import ProjectNestedMixin


def permission_keys_response(permission_type: str) -> Response:
    keys = PermissionKey.objects.filter(type=permission_type)
    return Response(serializers.PermissionKeySerializer(keys, many=True).data)


def my_permissions_response(admin: bool, keys: set[str]) -> Response:
    return Response({"admin": admin, "permissions": sorted(keys)})


class _GrantViewSet(viewsets.ModelViewSet):
    """Grants of one organisation, project or environment to users (or groups); admins of it only."""

    permission_classes = [HasPermission]
    permission_keys = dict.fromkeys(("list", "retrieve", "create", "update", "partial_update", "destroy"), ADMIN)
    pagination_class = None
    lookup_value_regex = "[0-9]+"
    model: type[Model]
    scope: str
    grantee: str

    def get_scope_object(self) -> Any:
        return self.get_permission_target()  # type: ignore[attr-defined]

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):
            return self.model.objects.none()
        return self.model.objects.filter(
            **{self.scope: self.get_scope_object(), f"{self.grantee}__isnull": False}
        ).prefetch_related("permissions")

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False):
            scope_object = self.get_scope_object()
            context["scope_object"] = scope_object
            context["organisation"] = {
                "organisation": lambda: scope_object,
                "project": lambda: scope_object.organisation,
                "environment": lambda: scope_object.project.organisation,
            }[self.scope]()
        return context

    def perform_create(self, serializer: Any) -> None:
        grant = self.model(**{self.scope: self.get_scope_object()})
        serializer.instance = services.save_grant(grant, serializer.validated_data, self.request.user)

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = services.save_grant(serializer.instance, serializer.validated_data, self.request.user)

    def perform_destroy(self, instance: Any) -> None:
        services.delete_grant(instance, self.request.user)


class OrganisationUserPermissionViewSet(OrganisationNestedMixin, _GrantViewSet):
    model, scope, grantee = OrganisationPermission, "organisation", "user"
    serializer_class = serializers.OrganisationUserPermissionSerializer


class OrganisationGroupPermissionViewSet(OrganisationNestedMixin, _GrantViewSet):
    model, scope, grantee = OrganisationPermission, "organisation", "group"
    serializer_class = serializers.OrganisationGroupPermissionSerializer


class ProjectUserPermissionViewSet(ProjectNestedMixin, _GrantViewSet):
    model, scope, grantee = ProjectPermission, "project", "user"
    serializer_class = serializers.ProjectUserPermissionSerializer


class ProjectGroupPermissionViewSet(ProjectNestedMixin, _GrantViewSet):
    model, scope, grantee = ProjectPermission, "project", "group"
    serializer_class = serializers.ProjectGroupPermissionSerializer


_ENVIRONMENT_KEY = extend_schema_view(
    **{
        name: extend_schema(parameters=[OpenApiParameter("environment_api_key", str, OpenApiParameter.PATH)])
        for name in ("list", "create", "retrieve", "update", "partial_update", "destroy")
    }
)


@_ENVIRONMENT_KEY
class EnvironmentUserPermissionViewSet(EnvironmentNestedMixin, _GrantViewSet):
    model, scope, grantee = EnvironmentPermission, "environment", "user"
    serializer_class = serializers.EnvironmentUserPermissionSerializer


@_ENVIRONMENT_KEY
class EnvironmentGroupPermissionViewSet(EnvironmentNestedMixin, _GrantViewSet):
    model, scope, grantee = EnvironmentPermission, "environment", "group"
    serializer_class = serializers.EnvironmentGroupPermissionSerializer
