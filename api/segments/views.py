from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.viewsets import ReplicaListMixin, UUIDLookupView
from permissions.access import HasPermission
from permissions.models import MANAGE_SEGMENTS, VIEW_PROJECT
from projects.mixins import ProjectNestedMixin
from segments import services
from segments.filters import SegmentFilterSet
from segments.models import Segment
from segments.serializers import CloneSegmentSerializer, SegmentSerializer


class SegmentViewSet(ProjectNestedMixin, ReplicaListMixin, viewsets.ModelViewSet):
    """Segments of one project with their rule trees: VIEW_PROJECT reads, MANAGE_SEGMENTS writes."""

    serializer_class = SegmentSerializer
    permission_classes = [HasPermission]
    permission_keys = {
        "list": VIEW_PROJECT,
        "retrieve": VIEW_PROJECT,
        "create": MANAGE_SEGMENTS,
        "update": MANAGE_SEGMENTS,
        "partial_update": MANAGE_SEGMENTS,
        "destroy": MANAGE_SEGMENTS,
        "clone": MANAGE_SEGMENTS,
    }
    filterset_class = SegmentFilterSet
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> QuerySet[Segment]:
        if getattr(self, "swagger_fake_view", False):
            return Segment.objects.none()
        return Segment.objects.filter(project=self.get_project()).with_rule_trees()

    def perform_create(self, serializer: SegmentSerializer) -> None:
        segment = serializer.save()
        serializer.instance = self.get_queryset().get(pk=segment.pk)

    def perform_update(self, serializer: SegmentSerializer) -> None:
        segment = serializer.save()
        # Read the new tree back: the prefetched one on the instance is the old tree.
        serializer.instance = self.get_queryset().get(pk=segment.pk)

    def perform_destroy(self, instance: Segment) -> None:
        services.delete_segment(instance, self.request.user)

    @extend_schema(request=CloneSegmentSerializer, responses={201: SegmentSerializer})
    @action(detail=True, methods=["post"])
    def clone(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """A copy of the segment under another name, as Flagsmith's dashboard makes one."""
        source = self.get_object()
        body = CloneSegmentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        clone = services.clone_segment(source, body.validated_data["name"], request.user)
        data = SegmentSerializer(self.get_queryset().get(pk=clone.pk), context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED)


class SegmentByUUIDView(UUIDLookupView):
    """``segments/get-by-uuid/<uuid>/``: a segment of a project the caller may see."""

    serializer_class = SegmentSerializer

    def get_queryset(self) -> QuerySet[Segment]:
        return Segment.objects.for_user(self.request.user)
