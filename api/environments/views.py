from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from core.viewsets import ReplicaListMixin
from environments import services
from environments.documents import get_compiled_environment
from environments.filters import EnvironmentFilterSet
from environments.mixins import EnvironmentNestedMixin
from environments.models import Environment, EnvironmentAPIKey
from environments.serializers import EnvironmentAPIKeySerializer, EnvironmentCloneSerializer, EnvironmentSerializer
from features.services import create_feature_states_for_environment
from organisations.models import Organisation
from organisations.permissions import ChangedByOrganisationAdmin, is_organisation_admin


class EnvironmentViewSet(ReplicaListMixin, viewsets.ModelViewSet):
    """Environments, addressed by their client key: ``environments/{api_key}/``."""

    serializer_class = EnvironmentSerializer
    permission_classes = [ChangedByOrganisationAdmin]
    filterset_class = EnvironmentFilterSet
    lookup_field = "api_key"

    def get_queryset(self) -> QuerySet[Environment]:
        return Environment.objects.for_user(self.request.user).select_related("project__organisation")

    def get_permission_organisation(self, obj: Environment | None = None) -> Organisation | None:
        return obj.project.organisation if obj is not None else None

    def filter_queryset(self, queryset: QuerySet[Environment]) -> QuerySet[Environment]:
        # The required ``project`` filter is for the list; a client key names one environment.
        return super().filter_queryset(queryset) if self.action == "list" else queryset

    def perform_create(self, serializer: EnvironmentSerializer) -> None:
        if not is_organisation_admin(self.request.user, serializer.validated_data["project"].organisation_id):
            raise PermissionDenied("Only an organisation admin may create environments.")
        # The environment and its feature states exist together or not at all.
        with transaction.atomic():
            create_feature_states_for_environment(serializer.save())

    @extend_schema(request=EnvironmentCloneSerializer, responses={201: EnvironmentSerializer})
    @action(detail=True, methods=["post"])
    def clone(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """A copy of the environment's flags and segment overrides under a new client key."""
        source = self.get_object()
        serializer = EnvironmentCloneSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        clone = services.clone_environment(source, serializer.validated_data["name"])
        return Response(self.get_serializer(clone).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: dict})
    @action(detail=True, methods=["get"])
    def document(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponse:
        """The environment document SDKs download for local evaluation, for members to inspect."""
        compiled = get_compiled_environment(self.get_object())
        return HttpResponse(compiled.document_json, content_type="application/json")


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
    """Server-side keys of one environment; secrets, so organisation admins only."""

    serializer_class = EnvironmentAPIKeySerializer
    permission_classes = [ChangedByOrganisationAdmin]
    admin_only = True
    pagination_class = None
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> QuerySet[EnvironmentAPIKey]:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no environment
            return EnvironmentAPIKey.objects.none()
        return EnvironmentAPIKey.objects.filter(environment=self.get_environment())

    def perform_create(self, serializer: EnvironmentAPIKeySerializer) -> None:
        serializer.instance = services.create_server_key(
            environment=self.get_environment(), **serializer.validated_data
        )
