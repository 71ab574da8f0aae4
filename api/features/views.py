from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.viewsets import ReplicaListMixin
from environments.mixins import EnvironmentNestedMixin
from features import services
from features.filters import FeatureFilterSet, FeatureStateFilterSet
from features.models import Feature, FeatureState, MultivariateFeatureOption, Tag
from features.serializers import (
    FeatureOwnersInputSerializer,
    FeatureSerializer,
    FeatureStateSerializer,
    MultivariateFeatureOptionSerializer,
    TagSerializer,
)
from organisations.permissions import ChangedByOrganisationAdmin
from projects.mixins import ProjectNestedMixin


class FeatureViewSet(ProjectNestedMixin, ReplicaListMixin, viewsets.ModelViewSet):
    """Features of one project: members read, organisation admins write."""

    serializer_class = FeatureSerializer
    permission_classes = [ChangedByOrganisationAdmin]
    filterset_class = FeatureFilterSet
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> QuerySet[Feature]:
        if getattr(self, "swagger_fake_view", False):
            return Feature.objects.none()
        return Feature.objects.filter(project=self.get_project()).prefetch_related(
            "multivariate_options", "tags", "owners"
        )

    def perform_destroy(self, instance: Feature) -> None:
        services.delete_feature(instance, self.request.user)

    def _change_owners(self, request: Request, change: Callable[[Feature, list[int], Any], Feature]) -> Response:
        feature = self.get_object()
        serializer = FeatureOwnersInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        change(feature, serializer.validated_data["user_ids"], request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=feature.pk)).data)

    @extend_schema(request=FeatureOwnersInputSerializer, responses=FeatureSerializer)
    @action(detail=True, methods=["post"], url_path="add-owners")
    def add_owners(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._change_owners(request, services.add_feature_owners)

    @extend_schema(request=FeatureOwnersInputSerializer, responses=FeatureSerializer)
    @action(detail=True, methods=["post"], url_path="remove-owners")
    def remove_owners(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._change_owners(request, services.remove_feature_owners)


class TagViewSet(ProjectNestedMixin, ReplicaListMixin, viewsets.ModelViewSet):
    """Tags of one project: members read, organisation admins write."""

    serializer_class = TagSerializer
    permission_classes = [ChangedByOrganisationAdmin]
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> QuerySet[Tag]:
        if getattr(self, "swagger_fake_view", False):
            return Tag.objects.none()
        return Tag.objects.filter(project=self.get_project())


class MultivariateFeatureOptionViewSet(ProjectNestedMixin, viewsets.ModelViewSet):
    """Variants of one multivariate feature."""

    serializer_class = MultivariateFeatureOptionSerializer
    permission_classes = [ChangedByOrganisationAdmin]
    lookup_value_regex = "[0-9]+"

    def get_feature(self) -> Feature:
        if not hasattr(self, "_feature"):
            self._feature = get_object_or_404(
                Feature.objects.filter(project=self.get_project()), pk=self.kwargs["feature_pk"]
            )
        return self._feature

    def get_queryset(self) -> QuerySet[MultivariateFeatureOption]:
        if getattr(self, "swagger_fake_view", False):
            return MultivariateFeatureOption.objects.none()
        return MultivariateFeatureOption.objects.filter(feature=self.get_feature())

    def perform_destroy(self, instance: MultivariateFeatureOption) -> None:
        services.delete_multivariate_option(instance, self.request.user)


@extend_schema_view(
    **{
        action: extend_schema(parameters=[OpenApiParameter("environment_api_key", str, OpenApiParameter.PATH)])
        for action in ("list", "retrieve", "update", "partial_update")
    }
)
class FeatureStateViewSet(
    EnvironmentNestedMixin,
    ReplicaListMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Environment defaults of every feature, addressed under the environment's client key."""

    serializer_class = FeatureStateSerializer
    permission_classes = [ChangedByOrganisationAdmin]
    filterset_class = FeatureStateFilterSet
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> QuerySet[FeatureState]:
        if getattr(self, "swagger_fake_view", False):
            return FeatureState.objects.none()
        return (
            FeatureState.objects.filter(environment=self.get_environment())
            .select_related("feature_state_value")
            .prefetch_related("multivariate_feature_state_values")
        )

    def perform_update(self, serializer: FeatureStateSerializer) -> None:
        feature_state = serializer.save()
        # Read back what was written: the value and shares were changed through other rows.
        serializer.instance = self.get_queryset().get(pk=feature_state.pk)
