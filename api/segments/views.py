from __future__ import annotations

from django.db.models import QuerySet
from rest_framework import viewsets

from core.viewsets import ReplicaListMixin
from organisations.permissions import ChangedByOrganisationAdmin
from projects.mixins import ProjectNestedMixin
from segments import services
from segments.filters import SegmentFilterSet
from segments.models import Segment
from segments.serializers import SegmentSerializer


class SegmentViewSet(ProjectNestedMixin, ReplicaListMixin, viewsets.ModelViewSet):
    """Segments of one project with their rule trees: members read, organisation admins write."""

    serializer_class = SegmentSerializer
    permission_classes = [ChangedByOrganisationAdmin]
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
