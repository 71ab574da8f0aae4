from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from core import probes
from core.viewsets import ReplicaListMixin, UUIDLookupMixin, UUIDLookupView
from environments.mixins import EnvironmentNestedMixin
from environments.models import Environment
from features import services
from features.filters import (
    FeatureFilterSet,
    FeatureSegmentFilterSet,
    FeatureStateFilterSet,
    SimpleFeatureStateFilterSet,
)
from features.models import Feature, FeatureSegment, FeatureState, MultivariateFeatureOption, Tag
from features.serializers import (
    CreateSegmentOverrideSerializer,
    EnvironmentListing,
    EnvironmentMetricsSerializer,
    FeatureGroupOwnersInputSerializer,
    FeatureOwnersInputSerializer,
    FeatureSegmentPrioritySerializer,
    FeatureSegmentSerializer,
    FeatureSerializer,
    FeatureStateSerializer,
    IdentityOverrideStateSerializer,
    MultivariateFeatureOptionSerializer,
    SegmentOverrideFeatureStateSerializer,
    SimpleFeatureStateSerializer,
    TagSerializer,
)
from permissions.access import HasPermission
from permissions.models import (
    CREATE_FEATURE,
    DELETE_FEATURE,
    EDIT_FEATURE,
    MANAGE_SEGMENT_OVERRIDES,
    MANAGE_TAGS,
    UPDATE_FEATURE_STATE,
    VIEW_ENVIRONMENT,
    VIEW_IDENTITIES,
    VIEW_PROJECT,
)
from projects.mixins import ProjectNestedMixin

_READ = {"list": VIEW_PROJECT, "retrieve": VIEW_PROJECT}


class FeatureViewSet(ProjectNestedMixin, ReplicaListMixin, viewsets.ModelViewSet):
    """Features of one project: VIEW_PROJECT reads, CREATE_/EDIT_/DELETE_FEATURE write."""

    serializer_class = FeatureSerializer
    permission_classes = [HasPermission]
    permission_keys = {
        **_READ,
        "create": CREATE_FEATURE,
        "update": EDIT_FEATURE,
        "partial_update": EDIT_FEATURE,
        "destroy": DELETE_FEATURE,
        "add_owners": EDIT_FEATURE,
        "remove_owners": EDIT_FEATURE,
        "add_group_owners": EDIT_FEATURE,
        "remove_group_owners": EDIT_FEATURE,
        "code_references": VIEW_PROJECT,
    }
    filterset_class = FeatureFilterSet
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> QuerySet[Feature]:
        if getattr(self, "swagger_fake_view", False):
            return Feature.objects.none()
        return Feature.objects.filter(project=self.get_project()).prefetch_related(
            "multivariate_options", "tags", "owners", "group_owners"
        )

    def filter_queryset(self, queryset: QuerySet[Feature]) -> QuerySet[Feature]:
        # The filters once, kept: the list's serializer context needs the environment they name.
        if self.action != "list":
            return super().filter_queryset(queryset)
        filterset = FeatureFilterSet(self.request.query_params, queryset=queryset, request=self.request)
        if not filterset.is_valid():
            raise serializers.ValidationError(filterset.errors)
        self._list_filters = filterset.form.cleaned_data
        return filterset.qs

    def paginate_queryset(self, queryset: QuerySet[Feature]) -> list[Feature] | None:
        page = super().paginate_queryset(queryset)
        self._page_ids = [feature.pk for feature in page] if page is not None else None
        return page

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        filters = getattr(self, "_list_filters", None) or {}
        environment = filters.get("environment")
        page_ids = getattr(self, "_page_ids", None)
        if environment is not None and page_ids is not None:
            context["environment_listing"] = EnvironmentListing.load(environment, page_ids, filters.get("segment"))
        return context

    def perform_destroy(self, instance: Feature) -> None:
        services.delete_feature(instance, self.request.user)

    def _change_owners(
        self,
        request: Request,
        change: Callable[[Feature, list[int], Any], Feature],
        input_serializer: type[serializers.Serializer] = FeatureOwnersInputSerializer,
        field: str = "user_ids",
    ) -> Response:
        feature = self.get_object()
        serializer = input_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        change(feature, serializer.validated_data[field], request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=feature.pk)).data)

    @extend_schema(responses=probes.EmptyListSerializer)
    @action(detail=True, methods=["get"], url_path="code-references", filterset_class=None, pagination_class=None)
    def code_references(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Flagsmith's code references of a feature (from its scanner): none reported here."""
        self.get_object()
        return probes.empty_list()

    @extend_schema(request=FeatureOwnersInputSerializer, responses=FeatureSerializer)
    @action(detail=True, methods=["post"], url_path="add-owners")
    def add_owners(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._change_owners(request, services.add_feature_owners)

    @extend_schema(request=FeatureOwnersInputSerializer, responses=FeatureSerializer)
    @action(detail=True, methods=["post"], url_path="remove-owners")
    def remove_owners(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._change_owners(request, services.remove_feature_owners)

    @extend_schema(request=FeatureGroupOwnersInputSerializer, responses=FeatureSerializer)
    @action(detail=True, methods=["post"], url_path="add-group-owners")
    def add_group_owners(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._change_owners(
            request, services.add_feature_group_owners, FeatureGroupOwnersInputSerializer, "group_ids"
        )

    @extend_schema(request=FeatureGroupOwnersInputSerializer, responses=FeatureSerializer)
    @action(detail=True, methods=["post"], url_path="remove-group-owners")
    def remove_group_owners(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._change_owners(
            request, services.remove_feature_group_owners, FeatureGroupOwnersInputSerializer, "group_ids"
        )


class TagViewSet(UUIDLookupMixin, ProjectNestedMixin, ReplicaListMixin, viewsets.ModelViewSet):
    """Tags of one project: VIEW_PROJECT reads, MANAGE_TAGS writes."""

    serializer_class = TagSerializer
    permission_classes = [HasPermission]
    permission_keys = {
        **_READ,
        "get_by_uuid": VIEW_PROJECT,
        "create": MANAGE_TAGS,
        "update": MANAGE_TAGS,
        "partial_update": MANAGE_TAGS,
        "destroy": MANAGE_TAGS,
    }
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> QuerySet[Tag]:
        if getattr(self, "swagger_fake_view", False):
            return Tag.objects.none()
        return Tag.objects.filter(project=self.get_project())

    def perform_destroy(self, instance: Tag) -> None:
        services.delete_tag(instance, self.request.user)


class MultivariateFeatureOptionViewSet(ProjectNestedMixin, viewsets.ModelViewSet):
    """Variants of one multivariate feature: VIEW_PROJECT reads, EDIT_FEATURE writes."""

    serializer_class = MultivariateFeatureOptionSerializer
    permission_classes = [HasPermission]
    permission_keys = {
        **_READ,
        "create": EDIT_FEATURE,
        "update": EDIT_FEATURE,
        "partial_update": EDIT_FEATURE,
        "destroy": EDIT_FEATURE,
    }
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
    """Environment defaults of every feature, addressed under the environment's client key.

    VIEW_ENVIRONMENT reads; UPDATE_FEATURE_STATE changes a default, MANAGE_SEGMENT_OVERRIDES
    the state of a segment override.
    """

    serializer_class = FeatureStateSerializer
    permission_classes = [HasPermission]

    def _identity_overrides(self) -> bool:
        # Flagsmith's ``?anyIdentity=`` (any value): the identity overrides instead of the
        # defaults, each with its identity; the dashboard's "Identity overrides" tab lists them.
        return self.action == "list" and "anyIdentity" in self.request.query_params

    def get_required_permission(self, obj: FeatureState | None = None) -> str:
        if self._identity_overrides():
            return VIEW_IDENTITIES
        if self.action in ("list", "retrieve"):
            return VIEW_ENVIRONMENT
        if obj is not None and obj.feature_segment_id is not None:
            return MANAGE_SEGMENT_OVERRIDES
        return UPDATE_FEATURE_STATE if obj is not None else VIEW_ENVIRONMENT

    filterset_class = FeatureStateFilterSet
    lookup_value_regex = "[0-9]+"

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        return IdentityOverrideStateSerializer if self._identity_overrides() else FeatureStateSerializer

    def get_queryset(self) -> QuerySet[FeatureState]:
        if getattr(self, "swagger_fake_view", False):
            return FeatureState.objects.none()
        states = FeatureState.objects.filter(environment=self.get_environment())
        if self._identity_overrides():
            return (
                states.filter(identity__isnull=False)
                .select_related("feature_state_value", "identity")
                .prefetch_related("multivariate_feature_state_values")
            )
        queryset = (
            states.filter(identity__isnull=True)
            .select_related("feature_state_value")
            .prefetch_related("multivariate_feature_state_values")
        )
        if self.action == "list" and "feature_segment" not in self.request.query_params:
            # The plain list is the environment defaults; an override's state is listed
            # with ?feature_segment= and reachable by id. Identity overrides live under identities/.
            queryset = queryset.filter(feature_segment__isnull=True)
        return queryset

    def perform_update(self, serializer: FeatureStateSerializer) -> None:
        feature_state = serializer.save()
        # Read back what was written: the value and shares were changed through other rows.
        serializer.instance = self.get_queryset().get(pk=feature_state.pk)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("environment", int, required=True, description="Id of the environment."),
            OpenApiParameter("feature", int, required=True, description="Id of the feature."),
        ]
    ),
    update_priorities=extend_schema(
        request=FeatureSegmentPrioritySerializer(many=True), responses=FeatureSegmentSerializer(many=True)
    ),
)
class FeatureSegmentViewSet(UUIDLookupMixin, ReplicaListMixin, viewsets.ModelViewSet):
    """Segment overrides (``features/feature-segments/``): VIEW_ENVIRONMENT reads, MANAGE_SEGMENT_OVERRIDES writes.

    The list names its (feature, environment) in the query; a write names its
    environment in the body, so an environment the caller cannot see is a 404
    as it is for nested routes.
    """

    serializer_class = FeatureSegmentSerializer
    permission_classes = [HasPermission]
    permission_keys = {
        "list": VIEW_ENVIRONMENT,
        "retrieve": VIEW_ENVIRONMENT,
        "get_by_uuid": VIEW_ENVIRONMENT,
        "create": MANAGE_SEGMENT_OVERRIDES,
        "update": MANAGE_SEGMENT_OVERRIDES,
        "partial_update": MANAGE_SEGMENT_OVERRIDES,
        "destroy": MANAGE_SEGMENT_OVERRIDES,
        "update_priorities": MANAGE_SEGMENT_OVERRIDES,
    }
    filterset_class = FeatureSegmentFilterSet
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> QuerySet[FeatureSegment]:
        if getattr(self, "swagger_fake_view", False):
            return FeatureSegment.objects.none()
        return (
            FeatureSegment.objects.filter(environment__in=Environment.objects.for_user(self.request.user))
            .select_related("segment", "environment__project__organisation")
            .order_by("priority", "id")
        )

    def filter_queryset(self, queryset: QuerySet[FeatureSegment]) -> QuerySet[FeatureSegment]:
        # The required (feature, environment) filter is for the list; an id names one override.
        return super().filter_queryset(queryset) if self.action == "list" else queryset

    def _visible_environment(self, environment_id: Any) -> Environment | None:
        if isinstance(environment_id, bool) or not str(environment_id).isdigit():
            return None  # missing or malformed: the filterset or serializer says so with a 400
        return get_object_or_404(
            Environment.objects.for_user(self.request.user).select_related("project__organisation"),
            pk=int(environment_id),
        )

    def get_permission_target(self, obj: FeatureSegment | None = None) -> Environment | None:
        if obj is not None:
            return obj.environment
        environment = None
        if self.action == "list":
            environment = self._visible_environment(self.request.query_params.get("environment"))
        elif self.action == "create" and isinstance(self.request.data, dict):
            environment = self._visible_environment(self.request.data.get("environment"))
        elif self.action == "update_priorities" and isinstance(self.request.data, list):
            ids = [
                int(item["id"])
                for item in self.request.data
                if isinstance(item, dict) and not isinstance(item.get("id"), bool) and str(item.get("id")).isdigit()
            ]
            first = self.get_queryset().filter(pk__in=ids).first() if ids else None
            if ids and first is None:
                raise NotFound("Not found: none of these segment overrides exists.")
            environment = first.environment if first else None
        return environment

    def perform_create(self, serializer: FeatureSegmentSerializer) -> None:
        feature_segment = serializer.save()
        serializer.instance = self.get_queryset().get(pk=feature_segment.pk)

    def perform_destroy(self, instance: FeatureSegment) -> None:
        services.delete_segment_override(instance, self.request.user)

    @action(detail=False, methods=["post"], url_path="update-priorities", filterset_class=None)
    def update_priorities(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = FeatureSegmentPrioritySerializer(
            data=request.data, many=True, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        ordered = serializer.save()
        fresh = self.get_queryset().filter(pk__in=[item.pk for item in ordered])
        return Response(FeatureSegmentSerializer(fresh, many=True, context=self.get_serializer_context()).data)


class EnvironmentMetricsView(EnvironmentNestedMixin, GenericAPIView):
    """``GET environments/{api_key}/metrics/``: the summary Flagsmith's dashboard shows above
    an environment's features, counted as Flagsmith counts them (api/metrics/): features that
    are not archived, those enabled, their segment overrides and identity overrides.
    """

    serializer_class = EnvironmentMetricsSerializer
    permission_classes = [HasPermission]

    def get_required_permission(self, obj: object = None) -> str:
        return VIEW_ENVIRONMENT

    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        environment = self.get_environment()
        live = FeatureState.objects.filter(environment=environment, feature__is_archived=False)
        counts = live.aggregate(
            total=Count("id", filter=Q(identity__isnull=True, feature_segment__isnull=True)),
            enabled=Count("id", filter=Q(identity__isnull=True, feature_segment__isnull=True, enabled=True)),
            segment_overrides=Count("id", filter=Q(feature_segment__isnull=False)),
            identity_overrides=Count("id", filter=Q(identity__isnull=False)),
        )
        rows = (
            ("total_features", "Total features", "features", counts["total"]),
            ("enabled_features", "Features enabled", "features", counts["enabled"]),
            ("segment_overrides", "Segment overrides", "segments", counts["segment_overrides"]),
            ("identity_overrides", "Identity overrides", "identities", counts["identity_overrides"]),
        )
        metrics = [
            {"name": name, "description": description, "entity": entity, "value": value, "rank": rank}
            for rank, (name, description, entity, value) in enumerate(rows, start=1)
        ]
        return Response(self.get_serializer({"metrics": metrics}).data)


class CreateSegmentOverrideView(EnvironmentNestedMixin, GenericAPIView):
    """``POST environments/{api_key}/features/{feature_id}/create-segment-override/``:
    a segment override and its feature state in one call, as Flagsmith's dashboard makes them.
    """

    serializer_class = CreateSegmentOverrideSerializer
    permission_classes = [HasPermission]

    def get_required_permission(self, obj: object = None) -> str:
        return MANAGE_SEGMENT_OVERRIDES

    def get_feature(self) -> Feature:
        return get_object_or_404(
            Feature.objects.filter(project_id=self.get_environment().project_id), pk=self.kwargs["feature_pk"]
        )

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False):
            context.update(environment=self.get_environment(), feature=self.get_feature())
        return context

    @extend_schema(request=CreateSegmentOverrideSerializer, responses={201: SegmentOverrideFeatureStateSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        feature_state = serializer.save()
        fresh = (
            FeatureState.objects.select_related("feature_segment", "feature_state_value")
            .prefetch_related("multivariate_feature_state_values")
            .get(pk=feature_state.pk)
        )
        return Response(SegmentOverrideFeatureStateSerializer(fresh).data, status=status.HTTP_201_CREATED)


class SimpleFeatureStateViewSet(
    ReplicaListMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """``features/featurestates/``: feature states by id, as Flagsmith's Terraform provider writes them.

    The list names its environment (``?environment=``, required; ``feature`` and
    ``feature_segment`` narrow it). VIEW_ENVIRONMENT reads; UPDATE_FEATURE_STATE
    changes an environment default, MANAGE_SEGMENT_OVERRIDES a segment override's
    state. Identity overrides are not served here (they live under identities/).
    """

    serializer_class = SimpleFeatureStateSerializer
    permission_classes = [HasPermission]
    filterset_class = SimpleFeatureStateFilterSet
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> QuerySet[FeatureState]:
        if getattr(self, "swagger_fake_view", False):
            return FeatureState.objects.none()
        return (
            FeatureState.objects.filter(
                environment__in=Environment.objects.for_user(self.request.user), identity__isnull=True
            )
            .select_related("feature_state_value", "environment__project__organisation")
            .prefetch_related("multivariate_feature_state_values")
            .order_by("id")
        )

    def filter_queryset(self, queryset: QuerySet[FeatureState]) -> QuerySet[FeatureState]:
        # The required environment filter is for the list; an id names one state.
        return super().filter_queryset(queryset) if self.action == "list" else queryset

    def get_required_permission(self, obj: FeatureState | None = None) -> str:
        if self.action in ("list", "retrieve"):
            return VIEW_ENVIRONMENT
        if obj is not None:
            return MANAGE_SEGMENT_OVERRIDES if obj.feature_segment_id is not None else UPDATE_FEATURE_STATE
        segment_override = isinstance(self.request.data, dict) and self.request.data.get("feature_segment") is not None
        return MANAGE_SEGMENT_OVERRIDES if segment_override else UPDATE_FEATURE_STATE

    def get_permission_target(self, obj: FeatureState | None = None) -> Environment | None:
        if obj is not None:
            return obj.environment
        if self.action == "list":
            raw = self.request.query_params.get("environment")
        elif self.action == "create" and isinstance(self.request.data, dict):
            raw = self.request.data.get("environment")
        else:
            return None
        if isinstance(raw, bool) or not str(raw).isdigit():
            return None  # missing or malformed: the filterset or serializer says so with a 400
        return get_object_or_404(
            Environment.objects.for_user(self.request.user).select_related("project__organisation"), pk=int(raw)
        )

    def _fresh(self, serializer: SimpleFeatureStateSerializer) -> None:
        # Read back what was written: the value and shares were changed through other rows.
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)

    def perform_create(self, serializer: SimpleFeatureStateSerializer) -> None:
        serializer.save()
        self._fresh(serializer)

    def perform_update(self, serializer: SimpleFeatureStateSerializer) -> None:
        serializer.save()
        self._fresh(serializer)


class FeatureByUUIDView(UUIDLookupView):
    """``features/get-by-uuid/<uuid>/``: a feature of a project the caller may see."""

    serializer_class = FeatureSerializer

    def get_queryset(self) -> QuerySet[Feature]:
        return Feature.objects.for_user(self.request.user).prefetch_related(
            "multivariate_options", "tags", "owners", "group_owners"
        )


class FeatureStateByUUIDView(UUIDLookupView):
    """``features/featurestates/get-by-uuid/<uuid>/``: an environment default or segment override's state."""

    serializer_class = SimpleFeatureStateSerializer

    def get_queryset(self) -> QuerySet[FeatureState]:
        return (
            FeatureState.objects.filter(
                environment__in=Environment.objects.for_user(self.request.user), identity__isnull=True
            )
            .select_related("feature_state_value")
            .prefetch_related("multivariate_feature_state_values")
        )


class MultivariateOptionByUUIDView(UUIDLookupView):
    """``multivariate/options/get-by-uuid/<uuid>/``: a variant of a feature the caller may see."""

    serializer_class = MultivariateFeatureOptionSerializer

    def get_queryset(self) -> QuerySet[MultivariateFeatureOption]:
        return MultivariateFeatureOption.objects.filter(feature__in=Feature.objects.for_user(self.request.user))
