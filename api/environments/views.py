from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from core import probes
from core.viewsets import ReplicaListMixin, UUIDLookupMixin
from environments import services
from environments.filters import EnvironmentFilterSet
from environments.mixins import EnvironmentNestedMixin
from environments.models import Environment, EnvironmentAPIKey
from environments.serializers import EnvironmentAPIKeySerializer, EnvironmentCloneSerializer, EnvironmentSerializer
from permissions import checks
from permissions.access import ADMIN, HasPermission, holds, mark_visible
from permissions.models import CREATE_ENVIRONMENT, VIEW_ENVIRONMENT, PermissionType
from permissions.serializers import MyPermissionsSerializer, PermissionKeySerializer
from projects.models import Project


class EnvironmentViewSet(UUIDLookupMixin, ReplicaListMixin, viewsets.ModelViewSet):
    """Environments, addressed by their client key: ``environments/{api_key}/``.

    VIEW_ENVIRONMENT reads; environment admins change and delete; CREATE_ENVIRONMENT on
    the project creates and clones.
    """

    serializer_class = EnvironmentSerializer
    permission_classes = [HasPermission]
    permission_keys = {
        "retrieve": VIEW_ENVIRONMENT,
        "get_by_uuid": VIEW_ENVIRONMENT,
        "my_permissions": VIEW_ENVIRONMENT,
        "integrations": VIEW_ENVIRONMENT,
        "update": ADMIN,
        "partial_update": ADMIN,
        "destroy": ADMIN,
        "clone": CREATE_ENVIRONMENT,
    }
    filterset_class = EnvironmentFilterSet
    lookup_field = "api_key"

    def get_queryset(self) -> QuerySet[Environment]:
        return Environment.objects.for_user(self.request.user).select_related("project__organisation")

    def get_object(self) -> Environment:
        obj = super().get_object()
        mark_visible(obj, self.request.user)  # fetched through for_user: visible
        return obj

    def get_permission_target(self, obj: Environment | None = None) -> Environment | Project | None:
        if obj is not None and self.action == "clone":
            return obj.project
        return obj

    def filter_queryset(self, queryset: QuerySet[Environment]) -> QuerySet[Environment]:
        # The required ``project`` filter is for the list; a client key names one environment.
        return super().filter_queryset(queryset) if self.action == "list" else queryset

    def perform_create(self, serializer: EnvironmentSerializer) -> None:
        if not holds(self.request.user, serializer.validated_data["project"], CREATE_ENVIRONMENT):
            raise PermissionDenied("You need the CREATE_ENVIRONMENT permission on this project.")
        serializer.instance = services.create_environment(serializer.validated_data, self.request.user)

    def perform_update(self, serializer: EnvironmentSerializer) -> None:
        serializer.instance = services.update_environment(
            serializer.instance, serializer.validated_data, self.request.user
        )

    def perform_destroy(self, instance: Environment) -> None:
        services.delete_environment(instance, self.request.user)

    @extend_schema(responses=probes.EmptyListSerializer)
    @action(detail=True, methods=["get"], url_path=probes.INTEGRATION_PATH, pagination_class=None)
    def integrations(self, request: Request, *args: Any, integration: str, **kwargs: Any) -> Response:
        """A kind of Flagsmith integration (amplitude, slack…): none configured here."""
        self.get_object()
        return probes.empty_list()

    @extend_schema(request=EnvironmentCloneSerializer, responses={201: EnvironmentSerializer})
    @action(detail=True, methods=["post"])
    def clone(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """A copy of the environment's flags and segment overrides under a new client key."""
        source = self.get_object()
        serializer = EnvironmentCloneSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        clone = services.clone_environment(source, serializer.validated_data["name"], request.user)
        return Response(self.get_serializer(clone).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=MyPermissionsSerializer)
    @action(detail=True, methods=["get"], url_path="my-permissions", pagination_class=None, filterset_class=None)
    def my_permissions(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        admin, keys = checks.environment_permissions(request.user, self.get_object())
        return Response({"admin": admin, "permissions": sorted(keys)})

    @extend_schema(responses=PermissionKeySerializer(many=True))
    @action(detail=False, methods=["get"], pagination_class=None, filterset_class=None)
    def permissions(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The environment-level permission keys."""
        from permissions.views import permission_keys_response

        return permission_keys_response(PermissionType.ENVIRONMENT)


@extend_schema_view(
    **{
        action: extend_schema(parameters=[OpenApiParameter("environment_api_key", str, OpenApiParameter.PATH)])
        for action in ("list", "create", "retrieve", "update", "partial_update", "destroy")
    }
)
class EnvironmentAPIKeyViewSet(
    EnvironmentNestedMixin,
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Server-side keys of one environment; secrets, so environment admins only."""

    serializer_class = EnvironmentAPIKeySerializer
    permission_classes = [HasPermission]
    permission_keys = dict.fromkeys(("list", "retrieve", "create", "update", "partial_update", "destroy"), ADMIN)
    pagination_class = None
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> QuerySet[EnvironmentAPIKey]:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no environment
            return EnvironmentAPIKey.objects.none()
        return EnvironmentAPIKey.objects.filter(environment=self.get_environment())

    def perform_create(self, serializer: EnvironmentAPIKeySerializer) -> None:
        serializer.instance = services.create_server_key(
            environment=self.get_environment(), user=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer: EnvironmentAPIKeySerializer) -> None:
        serializer.instance = services.update_server_key(
            serializer.instance, serializer.validated_data, self.request.user
        )

    def perform_destroy(self, instance: EnvironmentAPIKey) -> None:
        services.delete_server_key(instance, self.request.user)
