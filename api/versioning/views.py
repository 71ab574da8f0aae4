"""Flagsmith 2.265's versioning routes (``features/versioning/urls.py``), plus Banderole's restore, diff and schedules.

``environments/{environment_pk}/features/{feature_pk}/versions/`` and below name the
environment by id, as Flagsmith does; the environment and the feature are scoped to
what the caller may see (404 otherwise). VIEW_ENVIRONMENT reads, UPDATE_FEATURE_STATE
writes.
"""

from __future__ import annotations

import uuid as uuid_module
from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.generics import GenericAPIView, ListAPIView, RetrieveAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from environments.mixins import EnvironmentNestedMixin
from environments.models import Environment
from features.models import Feature
from permissions.access import ADMIN, HasPermission, mark_visible
from permissions.models import (
    APPROVE_CHANGE_REQUEST,
    CREATE_CHANGE_REQUEST,
    UPDATE_FEATURE_STATE,
    VIEW_ENVIRONMENT,
)
from versioning import change_requests, services
from versioning.models import ChangeRequest, EnvironmentFeatureVersion, VersionFeatureState
from versioning.serializers import (
    ChangeRequestSerializer,
    ChangeRequestUpdateSerializer,
    EnvironmentFeatureVersionCreateSerializer,
    EnvironmentFeatureVersionPublishSerializer,
    EnvironmentFeatureVersionRetrieveSerializer,
    EnvironmentFeatureVersionSerializer,
    RestoreSerializer,
    ScheduledChangeSerializer,
    VersionDiffSerializer,
    VersionFeatureStateSerializer,
    apply_state_change,
)

_READS = ("list", "retrieve", "diff")


class _VersionedFeatureMixin:
    """The environment (by id) and feature of a versions route, scoped to the caller."""

    def get_environment(self) -> Environment:
        if not hasattr(self, "_environment"):
            self._environment = get_object_or_404(
                Environment.objects.for_user(self.request.user).select_related("project__organisation"),  # type: ignore[attr-defined]
                pk=self.kwargs["environment_pk"],  # type: ignore[attr-defined]
            )
            mark_visible(self._environment, self.request.user)  # type: ignore[attr-defined]
        return self._environment

    def get_feature(self) -> Feature:
        if not hasattr(self, "_feature"):
            self._feature = get_object_or_404(
                Feature.objects.filter(project_id=self.get_environment().project_id),
                pk=self.kwargs["feature_pk"],  # type: ignore[attr-defined]
            )
        return self._feature

    def get_permission_target(self, obj: object = None) -> Environment:
        return self.get_environment()

    def get_required_permission(self, obj: object = None) -> str:
        return VIEW_ENVIRONMENT if self.action in _READS else UPDATE_FEATURE_STATE  # type: ignore[attr-defined]

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()  # type: ignore[misc]
        if not getattr(self, "swagger_fake_view", False):
            context.update(environment=self.get_environment(), feature=self.get_feature())
        return context


class EnvironmentFeatureVersionViewSet(
    _VersionedFeatureMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """A feature's versions in one environment, newest first: drafts, scheduled changes, published versions."""

    permission_classes = [HasPermission]
    lookup_field = "uuid"
    lookup_value_regex = "[0-9a-fA-F-]{32,36}"

    def get_serializer_class(self) -> Any:
        return {
            "publish": EnvironmentFeatureVersionPublishSerializer,
            "restore": RestoreSerializer,
            "retrieve": EnvironmentFeatureVersionRetrieveSerializer,
            "create": EnvironmentFeatureVersionCreateSerializer,
            "diff": VersionDiffSerializer,
        }.get(self.action, EnvironmentFeatureVersionSerializer)

    def get_queryset(self) -> QuerySet[EnvironmentFeatureVersion]:
        if getattr(self, "swagger_fake_view", False):
            return EnvironmentFeatureVersion.objects.none()
        queryset = EnvironmentFeatureVersion.objects.alive().filter(
            environment=self.get_environment(), feature=self.get_feature()
        )
        is_live = self.request.query_params.get("is_live")
        if is_live is not None and self.action == "list":
            if is_live.lower() not in ("true", "false"):
                raise ValidationError({"is_live": ["Must be true or false."]})
            live = {"published_at__isnull": False, "live_from__lte": timezone.now()}
            queryset = queryset.filter(**live) if is_live.lower() == "true" else queryset.exclude(**live)
        return queryset.newest_first()

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.ensure_initial_version(self.get_environment(), self.get_feature())
        return super().list(request, *args, **kwargs)

    def get_object(self) -> EnvironmentFeatureVersion:
        try:
            return super().get_object()
        except Exception as error:  # a malformed uuid is a missing version too
            if isinstance(error, ValidationError | ValueError):
                raise NotFound("No such version.") from error
            raise

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        environment, feature = self.get_environment(), self.get_feature()
        if not environment.use_v2_feature_versioning:
            raise ValidationError({"environment": services.NOT_V2})
        version = services.create_version(
            environment,
            feature,
            request.user,
            description=serializer.validated_data.get("description"),
            states=serializer.states(),
            live_from=serializer.validated_data.get("live_from"),
        )
        if serializer.validated_data.get("publish_immediately"):
            version = services.publish(version, request.user, version.live_from)
        data = EnvironmentFeatureVersionSerializer(version, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: EnvironmentFeatureVersion) -> None:
        services.delete_version(instance, self.request.user)

    @extend_schema(request=EnvironmentFeatureVersionPublishSerializer, responses=EnvironmentFeatureVersionSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Publish a draft now, or at ``live_from`` (a time in the past publishes now)."""
        version = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        version = services.publish(version, request.user, serializer.validated_data.get("live_from"))
        return Response(EnvironmentFeatureVersionSerializer(version, context=self.get_serializer_context()).data)

    @extend_schema(request=RestoreSerializer, responses={201: EnvironmentFeatureVersionSerializer})
    @action(detail=True, methods=["post"])
    def restore(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Roll back (Banderole): publish a new version that copies this one, now or at ``live_from``."""
        version = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        copy = services.restore(version, request.user, serializer.validated_data.get("live_from"))
        data = EnvironmentFeatureVersionSerializer(copy, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[
            OpenApiParameter("compare_to", str, description="The other version's uuid; by default the previous one.")
        ],
        responses=VersionDiffSerializer,
    )
    @action(detail=True, methods=["get"])
    def diff(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Field-level differences (Banderole) from ``compare_to`` (default: the previous version) to this one."""
        version = self.get_object()
        other_uuid = request.query_params.get("compare_to")
        if other_uuid:
            other = self.get_queryset().filter(uuid=_uuid_or_404(other_uuid)).first()
            if other is None:
                raise NotFound("No such version to compare to.")
        else:
            other = services.previous_version(version)
        return Response(
            {
                "version": str(version.uuid),
                "compared_to": str(other.uuid) if other is not None else None,
                "changes": services.diff_versions(version, other),
            }
        )


def _uuid_or_404(text: str) -> str:
    try:
        return str(uuid_module.UUID(text))
    except ValueError as error:
        raise NotFound("No such version.") from error


class EnvironmentFeatureVersionFeatureStatesViewSet(
    _VersionedFeatureMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """A version's states; a published version's are read-only (400)."""

    serializer_class = VersionFeatureStateSerializer
    permission_classes = [HasPermission]
    pagination_class = None
    lookup_value_regex = "[0-9]+"

    def get_version(self) -> EnvironmentFeatureVersion:
        if not hasattr(self, "_version"):
            self._version = get_object_or_404(
                EnvironmentFeatureVersion.objects.alive().filter(
                    environment=self.get_environment(), feature=self.get_feature()
                ),
                uuid=_uuid_or_404(self.kwargs["environment_feature_version_uuid"]),
            )
        return self._version

    def get_queryset(self) -> QuerySet[VersionFeatureState]:
        if getattr(self, "swagger_fake_view", False):
            return VersionFeatureState.objects.none()
        return (
            VersionFeatureState.objects.filter(version=self.get_version())
            .select_related("version")
            .prefetch_related("multivariate_feature_state_values")
        )

    def perform_create(self, serializer: VersionFeatureStateSerializer) -> None:
        data = serializer.validated_data
        feature_segment = data.get("feature_segment")
        if not feature_segment:
            raise ValidationError({"message": "Cannot create FeatureState objects that are not segment overrides."})
        state = apply_state_change(None, data, feature_segment["segment"].pk)
        serializer.instance = services.save_draft_state(self.get_version(), state)

    def perform_update(self, serializer: VersionFeatureStateSerializer) -> None:
        row = serializer.instance
        state = apply_state_change(services.state_data(row), serializer.validated_data, row.segment_id)
        serializer.instance = services.save_draft_state(self.get_version(), state, row)

    def perform_destroy(self, instance: VersionFeatureState) -> None:
        services.delete_draft_state(self.get_version(), instance)


class EnvironmentFeatureVersionRetrieveAPIView(RetrieveAPIView):
    """``environment-feature-versions/{uuid}/``: a version by uuid alone, in an environment the caller may view."""

    serializer_class = EnvironmentFeatureVersionRetrieveSerializer
    permission_classes = [IsAuthenticated]

    def get_object(self) -> EnvironmentFeatureVersion:
        version = get_object_or_404(
            EnvironmentFeatureVersion.objects.alive()
            .filter(environment__in=Environment.objects.for_user(self.request.user))
            .select_related("environment"),
            uuid=_uuid_or_404(self.kwargs["uuid"]),
        )
        return version


class EnableV2VersioningView(EnvironmentNestedMixin, GenericAPIView):
    """``POST environments/{api_key}/enable-v2-versioning/`` (an environment admin): 202, as in Flagsmith."""

    permission_classes = [HasPermission]
    serializer_class = None

    def get_required_permission(self, obj: object = None) -> str:
        return ADMIN

    @extend_schema(request=None, responses={202: None})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.enable_v2_versioning(self.get_environment(), request.user)
        return Response(status=status.HTTP_202_ACCEPTED)


class DisableV2VersioningView(EnableV2VersioningView):
    """``POST environments/{api_key}/disable-v2-versioning/`` (an environment admin): 202, as in Flagsmith.

    The live flags stay; scheduled changes are cancelled; the history is kept.
    """

    @extend_schema(request=None, responses={202: None})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.disable_v2_versioning(self.get_environment(), request.user)
        return Response(status=status.HTTP_202_ACCEPTED)


class ScheduledChangesView(EnvironmentNestedMixin, GenericAPIView):
    """``GET environments/{api_key}/scheduled-changes/`` (Banderole): published versions still to go live, soonest first.

    Cancel one with ``DELETE environments/{id}/features/{feature_id}/versions/{uuid}/``.
    """

    permission_classes = [HasPermission]
    serializer_class = ScheduledChangeSerializer
    pagination_class = None

    def get_required_permission(self, obj: object = None) -> str:
        return VIEW_ENVIRONMENT

    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        environment = self.get_environment()
        scheduled = (
            EnvironmentFeatureVersion.objects.published()
            .filter(environment=environment, live_from__gt=timezone.now())
            .order_by("live_from", "created_at", "id")
        )
        return Response(self.get_serializer(scheduled, many=True).data)


# --- change requests ----------------------------------------------------------------------------


class CreateChangeRequestView(EnvironmentNestedMixin, GenericAPIView):
    """``POST environments/{api_key}/create-change-request/`` (CREATE_CHANGE_REQUEST): drafts to approve, then commit."""

    permission_classes = [HasPermission]
    serializer_class = ChangeRequestSerializer

    def get_required_permission(self, obj: object = None) -> str:
        return CREATE_CHANGE_REQUEST

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False):
            context["environment"] = self.get_environment()
        return context

    @extend_schema(request=ChangeRequestSerializer, responses={201: ChangeRequestSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        change_request = change_requests.create_change_request(
            self.get_environment(),
            request.user,
            title=data["title"],
            description=data.get("description"),
            versions_to_publish=list(data["environment_feature_versions"]),
            approvers=[item["user"] for item in data.get("approvals", [])],
            groups=[item["group"] for item in data.get("group_assignments", [])],
        )
        return Response(self.get_serializer(change_request).data, status=status.HTTP_201_CREATED)


class ListChangeRequestsView(EnvironmentNestedMixin, ListAPIView):
    """``GET environments/{api_key}/list-change-requests/`` (VIEW_ENVIRONMENT), newest first; ``?committed=``."""

    permission_classes = [HasPermission]
    serializer_class = ChangeRequestSerializer

    def get_required_permission(self, obj: object = None) -> str:
        return VIEW_ENVIRONMENT

    @extend_schema(parameters=[OpenApiParameter("committed", bool, description="Only committed, or open, ones.")])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[ChangeRequest]:
        if getattr(self, "swagger_fake_view", False):
            return ChangeRequest.objects.none()
        queryset = (
            ChangeRequest.objects.filter(environment=self.get_environment(), deleted_at__isnull=True)
            .select_related("environment")
            .prefetch_related("approvals", "group_assignments", "environment_feature_versions")
        )
        committed = self.request.query_params.get("committed")
        if committed is not None:
            if committed.lower() not in ("true", "false"):
                raise ValidationError({"committed": ["Must be true or false."]})
            queryset = queryset.filter(committed_at__isnull=committed.lower() == "false")
        return queryset


class ChangeRequestViewSet(
    mixins.RetrieveModelMixin, mixins.UpdateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """``features/workflows/change-requests/{id}/``: read, retitle, cancel; ``approve/`` and ``commit/``.

    VIEW_ENVIRONMENT reads, CREATE_CHANGE_REQUEST changes or cancels, APPROVE_CHANGE_REQUEST
    approves (anyone but the author), UPDATE_FEATURE_STATE commits an approved request.
    """

    permission_classes = [HasPermission]
    permission_keys = {
        "retrieve": VIEW_ENVIRONMENT,
        "update": CREATE_CHANGE_REQUEST,
        "partial_update": CREATE_CHANGE_REQUEST,
        "destroy": CREATE_CHANGE_REQUEST,
        "approve": APPROVE_CHANGE_REQUEST,
        "commit": UPDATE_FEATURE_STATE,
    }
    lookup_value_regex = "[0-9]+"

    def get_serializer_class(self) -> Any:
        return ChangeRequestUpdateSerializer if self.action in ("update", "partial_update") else ChangeRequestSerializer

    def get_queryset(self) -> QuerySet[ChangeRequest]:
        if getattr(self, "swagger_fake_view", False):
            return ChangeRequest.objects.none()
        return (
            ChangeRequest.objects.filter(
                environment__in=Environment.objects.for_user(self.request.user), deleted_at__isnull=True
            )
            .select_related("environment__project__organisation")
            .prefetch_related("approvals", "group_assignments", "environment_feature_versions")
        )

    def get_permission_target(self, obj: ChangeRequest | None = None) -> Environment | None:
        return obj.environment if obj is not None else None

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        if "pk" in self.kwargs and not getattr(self, "swagger_fake_view", False):
            change_request = self.get_queryset().filter(pk=self.kwargs["pk"]).first()
            if change_request is not None:
                context["environment"] = change_request.environment
        return context

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        change_request = self.get_object()
        if change_request.committed_at is not None:
            raise ValidationError({"detail": change_requests.COMMITTED})
        super().update(request, *args, **kwargs)
        return Response(ChangeRequestSerializer(self.get_object(), context=self.get_serializer_context()).data)

    def perform_destroy(self, instance: ChangeRequest) -> None:
        change_requests.delete(instance, self.request.user)

    @extend_schema(request=None, responses=ChangeRequestSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        change_request = change_requests.approve(self.get_object(), request.user)
        return Response(ChangeRequestSerializer(self.get_queryset().get(pk=change_request.pk)).data)

    @extend_schema(request=None, responses=ChangeRequestSerializer)
    @action(detail=True, methods=["post"])
    def commit(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        change_request = change_requests.commit(self.get_object(), request.user)
        return Response(ChangeRequestSerializer(self.get_queryset().get(pk=change_request.pk)).data)


__all__ = [
    "ChangeRequestViewSet",
    "CreateChangeRequestView",
    "DisableV2VersioningView",
    "EnableV2VersioningView",
    "EnvironmentFeatureVersionFeatureStatesViewSet",
    "EnvironmentFeatureVersionRetrieveAPIView",
    "EnvironmentFeatureVersionViewSet",
    "ListChangeRequestsView",
    "ScheduledChangesView",
]
