from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from core import probes
from core.viewsets import ReplicaListMixin, UUIDLookupMixin
from environments.models import Environment
from environments.serializers import EnvironmentSerializer
from permissions import checks
from permissions.access import ADMIN, HasPermission, mark_visible
from permissions.models import CREATE_PROJECT, VIEW_PROJECT, PermissionType
from permissions.serializers import MyPermissionsSerializer, PermissionKeySerializer
from permissions.views import permission_keys_response
from projects import services
from projects.filters import ProjectFilterSet
from projects.models import Project
from projects.serializers import ProjectSerializer


@extend_schema_view(list=extend_schema(parameters=[OpenApiParameter("organisation", int, required=False)]))
class ProjectViewSet(UUIDLookupMixin, ReplicaListMixin, viewsets.ModelViewSet):
    """Projects the caller may see (VIEW_PROJECT); a plain list, as Flagsmith serves it.

    Project admins change and delete; organisation admins and holders of CREATE_PROJECT create.
    """

    serializer_class = ProjectSerializer
    permission_classes = [HasPermission]
    permission_keys = {
        "retrieve": VIEW_PROJECT,
        "get_by_uuid": VIEW_PROJECT,
        "environments": VIEW_PROJECT,
        "my_permissions": VIEW_PROJECT,
        "feature_imports": VIEW_PROJECT,
        "feature_exports": VIEW_PROJECT,
        "feature_health_events": VIEW_PROJECT,
        "feature_health_providers": VIEW_PROJECT,
        "metadata_fields": VIEW_PROJECT,
        "integrations": VIEW_PROJECT,
        "update": ADMIN,
        "partial_update": ADMIN,
        "destroy": ADMIN,
    }
    filterset_class = ProjectFilterSet
    pagination_class = None
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> QuerySet[Project]:
        return Project.objects.for_user(self.request.user).select_related("organisation")

    def get_object(self) -> Project:
        obj = super().get_object()
        mark_visible(obj, self.request.user)  # fetched through for_user: visible
        return obj

    def get_permission_target(self, obj: Project | None = None) -> Project | None:
        return obj

    def perform_create(self, serializer: ProjectSerializer) -> None:
        organisation = serializer.validated_data["organisation"]
        if not checks.is_organisation_admin(self.request.user, organisation) and (
            organisation.restrict_project_create_to_admin
            or not checks.has_organisation_permission(self.request.user, organisation, CREATE_PROJECT)
        ):
            raise PermissionDenied("Only an organisation admin (or a holder of CREATE_PROJECT) may create projects.")
        serializer.instance = services.create_project(serializer.validated_data, self.request.user)

    def perform_update(self, serializer: ProjectSerializer) -> None:
        serializer.instance = services.update_project(serializer.instance, serializer.validated_data, self.request.user)

    def perform_destroy(self, instance: Project) -> None:
        services.delete_project(instance, self.request.user)

    @extend_schema(responses=MyPermissionsSerializer)
    @action(detail=True, methods=["get"], url_path="my-permissions", pagination_class=None, filterset_class=None)
    def my_permissions(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        admin, keys = checks.project_permissions(request.user, self.get_object())
        return Response({"admin": admin, "permissions": sorted(keys)})

    @extend_schema(responses=PermissionKeySerializer(many=True))
    @action(detail=False, methods=["get"], pagination_class=None, filterset_class=None)
    def permissions(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The project-level permission keys."""
        return permission_keys_response(PermissionType.PROJECT)

    # Flagsmith's dashboard asks for these on its ordinary pages; none exist here.
    @extend_schema(responses=probes.EmptyPageSerializer)
    @action(detail=True, methods=["get"], url_path="feature-imports", filterset_class=None)
    def feature_imports(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Flagsmith's imports of features from a file: none here."""
        self.get_object()
        return probes.empty_page()

    @extend_schema(responses=probes.EmptyPageSerializer)
    @action(detail=True, methods=["get"], url_path="feature-exports", filterset_class=None)
    def feature_exports(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Flagsmith's exports of features to a file: none here."""
        self.get_object()
        return probes.empty_page()

    @extend_schema(responses=probes.EmptyListSerializer)
    @action(detail=True, methods=["get"], url_path="feature-health/events", filterset_class=None)
    def feature_health_events(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Flagsmith's feature health events: no provider reports here."""
        self.get_object()
        return probes.empty_list()

    @extend_schema(responses=probes.EmptyListSerializer)
    @action(detail=True, methods=["get"], url_path="feature-health/providers", filterset_class=None)
    def feature_health_providers(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Flagsmith's feature health providers: none configured here."""
        self.get_object()
        return probes.empty_list()

    @extend_schema(responses=probes.EmptyPageSerializer)
    @action(detail=True, methods=["get"], url_path="metadata/fields", filterset_class=None)
    def metadata_fields(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Flagsmith's custom metadata fields: none here."""
        self.get_object()
        return probes.empty_page()

    @extend_schema(responses=probes.EmptyListSerializer)
    @action(detail=True, methods=["get"], url_path=probes.INTEGRATION_PATH, filterset_class=None)
    def integrations(self, request: Request, *args: Any, integration: str, **kwargs: Any) -> Response:
        """A kind of Flagsmith integration (datadog, new-relic…): none configured here."""
        self.get_object()
        return probes.empty_list()

    @extend_schema(responses=EnvironmentSerializer(many=True))
    @action(detail=True, methods=["get"])
    def environments(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        project = self.get_object()
        environments = Environment.objects.for_user(request.user).filter(project=project)
        return Response(EnvironmentSerializer(environments, many=True, context=self.get_serializer_context()).data)
