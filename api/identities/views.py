from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.viewsets import ReplicaListMixin
from environments.mixins import EnvironmentNestedMixin
from features.models import FeatureState
from identities import services
from identities.filters import IdentityFilterSet
from identities.models import Identity, Trait
from identities.serializers import (
    CloneIdentityOverridesSerializer,
    DeleteTraitsSerializer,
    IdentityFeatureStateSerializer,
    IdentitySerializer,
    TraitKeysSerializer,
    TraitSerializer,
)
from permissions.access import HasPermission
from permissions.models import MANAGE_IDENTITIES, VIEW_IDENTITIES

_ENVIRONMENT_KEY = OpenApiParameter("environment_api_key", str, OpenApiParameter.PATH)
_IDENTITY_ID = OpenApiParameter("identity_pk", int, OpenApiParameter.PATH)
_CRUD = ("list", "create", "retrieve", "update", "partial_update", "destroy")
# Identities, their traits and overrides: VIEW_IDENTITIES reads, MANAGE_IDENTITIES writes.
_IDENTITY_KEYS = {
    "list": VIEW_IDENTITIES,
    "retrieve": VIEW_IDENTITIES,
    "trait_keys": VIEW_IDENTITIES,
    "create": MANAGE_IDENTITIES,
    "update": MANAGE_IDENTITIES,
    "partial_update": MANAGE_IDENTITIES,
    "destroy": MANAGE_IDENTITIES,
    "clone_from_given_identity": MANAGE_IDENTITIES,
    "delete_traits": MANAGE_IDENTITIES,
}


class IdentityNestedMixin(EnvironmentNestedMixin):
    """For routes under ``environments/{api_key}/identities/{identity_pk}/``: the identity, else 404."""

    def get_identity(self) -> Identity:
        if not hasattr(self, "_identity"):
            self._identity = get_object_or_404(
                Identity.objects.filter(environment=self.get_environment()),
                pk=self.kwargs["identity_pk"],  # type: ignore[attr-defined]
            )
        return self._identity


@extend_schema_view(**{name: extend_schema(parameters=[_ENVIRONMENT_KEY]) for name in _CRUD})
class IdentityViewSet(EnvironmentNestedMixin, ReplicaListMixin, viewsets.ModelViewSet):
    """Identities of one environment: VIEW_IDENTITIES reads, MANAGE_IDENTITIES writes."""

    serializer_class = IdentitySerializer
    permission_classes = [HasPermission]
    permission_keys = _IDENTITY_KEYS
    filterset_class = IdentityFilterSet
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> QuerySet[Identity]:
        if getattr(self, "swagger_fake_view", False):
            return Identity.objects.none()
        return Identity.objects.filter(environment=self.get_environment()).order_by("created_date", "id")

    def perform_update(self, serializer: IdentitySerializer) -> None:
        serializer.instance = services.update_identity(
            serializer.instance, serializer.validated_data, self.request.user
        )

    def perform_destroy(self, instance: Identity) -> None:
        services.delete_identity(instance, self.request.user)


@extend_schema_view(**{name: extend_schema(parameters=[_ENVIRONMENT_KEY, _IDENTITY_ID]) for name in _CRUD})
class TraitViewSet(IdentityNestedMixin, viewsets.ModelViewSet):
    """Traits of one identity."""

    serializer_class = TraitSerializer
    permission_classes = [HasPermission]
    permission_keys = _IDENTITY_KEYS
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> QuerySet[Trait]:
        if getattr(self, "swagger_fake_view", False):
            return Trait.objects.none()
        return Trait.objects.filter(identity=self.get_identity())

    @extend_schema(
        parameters=[
            _ENVIRONMENT_KEY,
            _IDENTITY_ID,
            OpenApiParameter(
                "deleteAllMatchingTraits", bool, description="Delete this key from every identity of the environment."
            ),
        ]
    )
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        trait = self.get_object()
        if request.query_params.get("deleteAllMatchingTraits", "").lower() == "true":
            services.delete_traits_by_key(self.get_environment(), trait.trait_key, request.user)
        else:
            services.delete_trait(trait, request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    **{name: extend_schema(parameters=[_ENVIRONMENT_KEY, _IDENTITY_ID]) for name in _CRUD},
    clone_from_given_identity=extend_schema(
        parameters=[_ENVIRONMENT_KEY, _IDENTITY_ID],
        request=CloneIdentityOverridesSerializer,
        responses=IdentityFeatureStateSerializer(many=True),
    ),
)
class IdentityFeatureStateViewSet(IdentityNestedMixin, viewsets.ModelViewSet):
    """Feature overrides of one identity; each write changes the environment document."""

    serializer_class = IdentityFeatureStateSerializer
    permission_classes = [HasPermission]
    permission_keys = _IDENTITY_KEYS
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> QuerySet[FeatureState]:
        if getattr(self, "swagger_fake_view", False):
            return FeatureState.objects.none()
        return FeatureState.objects.filter(identity=self.get_identity()).select_related("feature_state_value")

    def perform_create(self, serializer: IdentityFeatureStateSerializer) -> None:
        feature_state = serializer.save()
        serializer.instance = self.get_queryset().get(pk=feature_state.pk)

    def perform_update(self, serializer: IdentityFeatureStateSerializer) -> None:
        feature_state = serializer.save()
        # Read back what was written: the value changed through another row.
        serializer.instance = self.get_queryset().get(pk=feature_state.pk)

    def perform_destroy(self, instance: FeatureState) -> None:
        services.delete_identity_override(instance, self.request.user)

    @action(detail=False, methods=["post"], url_path="clone-from-given-identity")
    def clone_from_given_identity(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Replace this identity's overrides with copies of another identity's; answers the new overrides."""
        serializer = CloneIdentityOverridesSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        services.clone_identity_overrides(
            self.get_identity(), serializer.validated_data["source_identity_id"], request.user
        )
        return Response(self.get_serializer(self.get_queryset(), many=True).data)


class EnvironmentTraitViewSet(EnvironmentNestedMixin, viewsets.GenericViewSet):
    """Trait keys across an environment's identities: ``trait-keys/`` and ``delete-traits/``."""

    permission_classes = [HasPermission]
    permission_keys = _IDENTITY_KEYS
    serializer_class = TraitKeysSerializer
    pagination_class = None

    @extend_schema(parameters=[_ENVIRONMENT_KEY], responses=TraitKeysSerializer)
    def trait_keys(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        keys = (
            Trait.objects.filter(identity__environment=self.get_environment())
            .order_by("trait_key")
            .values_list("trait_key", flat=True)
            .distinct()
        )
        return Response({"keys": list(keys)})

    @extend_schema(parameters=[_ENVIRONMENT_KEY], request=DeleteTraitsSerializer, responses={200: dict})
    def delete_traits(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = DeleteTraitsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        deleted = services.delete_traits_by_key(self.get_environment(), serializer.validated_data["key"], request.user)
        return Response({"key": serializer.validated_data["key"], "deleted": deleted})
