from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from core.viewsets import ReplicaListMixin
from environments.models import Environment
from environments.serializers import EnvironmentSerializer
from organisations.models import Organisation
from organisations.permissions import ChangedByOrganisationAdmin, is_organisation_admin
from projects.filters import ProjectFilterSet
from projects.models import Project
from projects.serializers import ProjectSerializer


@extend_schema_view(list=extend_schema(parameters=[OpenApiParameter("organisation", int, required=False)]))
class ProjectViewSet(ReplicaListMixin, viewsets.ModelViewSet):
    """Projects of the caller's organisations; a plain list, as Flagsmith serves it."""

    serializer_class = ProjectSerializer
    permission_classes = [ChangedByOrganisationAdmin]
    filterset_class = ProjectFilterSet
    pagination_class = None
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> QuerySet[Project]:
        return Project.objects.for_user(self.request.user).select_related("organisation")

    def get_permission_organisation(self, obj: Project | None = None) -> Organisation | None:
        return obj.organisation if obj is not None else None

    def perform_create(self, serializer: ProjectSerializer) -> None:
        if not is_organisation_admin(self.request.user, serializer.validated_data["organisation"]):
            raise PermissionDenied("Only an admin of the organisation may create projects in it.")
        serializer.save()

    @extend_schema(responses=EnvironmentSerializer(many=True))
    @action(detail=True, methods=["get"])
    def environments(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        project = self.get_object()
        environments = Environment.objects.filter(project=project)
        return Response(EnvironmentSerializer(environments, many=True, context=self.get_serializer_context()).data)
