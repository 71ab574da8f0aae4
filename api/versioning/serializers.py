"""Flagsmith 2.265's shapes for versions (``features/versioning/serializers.py``) and their states."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from features.models import MAX_32_BIT_INTEGER, MultivariateFeatureOption
from features.serializers import TypedFeatureStateValueField
from features.services import json_typed_value
from organisations.models import UserPermissionGroup
from segments.models import Segment
from users.models import User
from versioning import change_requests, services
from versioning.models import (
    ChangeRequest,
    ChangeRequestApproval,
    ChangeRequestGroupAssignment,
    EnvironmentFeatureVersion,
    VersionFeatureState,
)
from versioning.services import StateData


class EnvironmentFeatureVersionSerializer(serializers.ModelSerializer):
    published = serializers.BooleanField(read_only=True)
    is_live = serializers.BooleanField(read_only=True)

    class Meta:
        model = EnvironmentFeatureVersion
        fields = (
            "created_at",
            "updated_at",
            "published",
            "live_from",
            "uuid",
            "is_live",
            "published_by",
            "created_by",
            "description",
        )
        # live_from is writable on a draft, as in Flagsmith: publishing (or committing its
        # change request) makes it live then.
        read_only_fields = ("created_at", "updated_at", "uuid", "published_by", "created_by")


class EnvironmentFeatureVersionRetrieveSerializer(EnvironmentFeatureVersionSerializer):
    previous_version_uuid = serializers.SerializerMethodField()

    class Meta(EnvironmentFeatureVersionSerializer.Meta):
        fields = (*EnvironmentFeatureVersionSerializer.Meta.fields, "previous_version_uuid", "feature", "environment")
        read_only_fields = fields

    def get_previous_version_uuid(self, version: EnvironmentFeatureVersion) -> str | None:
        previous = services.previous_version(version)
        return str(previous.uuid) if previous is not None else None


class ScheduledChangeSerializer(EnvironmentFeatureVersionRetrieveSerializer):
    """A published version whose live_from is still to come (Banderole's scheduled-changes/ list)."""

    class Meta(EnvironmentFeatureVersionRetrieveSerializer.Meta):
        fields = (*EnvironmentFeatureVersionRetrieveSerializer.Meta.fields, "published_at")
        read_only_fields = fields


# --- a version's feature states ---------------------------------------------------------------


@extend_schema_field({"type": "integer"})
class _OptionField(serializers.PrimaryKeyRelatedField):
    """A variant of the version's feature (``context["feature"]``)."""

    def get_queryset(self):
        return MultivariateFeatureOption.objects.filter(feature=self.context["feature"])


class _ShareSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    multivariate_feature_option = _OptionField()
    percentage_allocation = serializers.FloatField(min_value=0, max_value=100, default=100)


@extend_schema_field({"type": "integer"})
class _SegmentField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        feature = self.context.get("feature")
        if feature is None:
            return Segment.objects.none()
        return Segment.objects.filter(project_id=feature.project_id)


class _FeatureSegmentSerializer(serializers.Serializer):
    """``feature_segment`` of a version's segment override; its id is the version state's own."""

    id = serializers.IntegerField(read_only=True)
    uuid = serializers.UUIDField(read_only=True)
    segment = _SegmentField()
    priority = serializers.IntegerField(min_value=0, max_value=MAX_32_BIT_INTEGER, required=False, allow_null=True)

    def to_representation(self, state: VersionFeatureState) -> dict[str, Any]:
        return {"id": state.pk, "uuid": str(state.uuid), "segment": state.segment_id, "priority": state.priority}


class VersionFeatureStateSerializer(serializers.Serializer):
    """A state of a version, in the shape of Flagsmith's feature states (``versions/{uuid}/featurestates/``)."""

    id = serializers.IntegerField(read_only=True)
    uuid = serializers.UUIDField(read_only=True)
    feature = serializers.SerializerMethodField()
    environment = serializers.SerializerMethodField()
    identity = serializers.SerializerMethodField()
    feature_segment = _FeatureSegmentSerializer(required=False, allow_null=True)
    enabled = serializers.BooleanField(required=False)
    feature_state_value = TypedFeatureStateValueField(required=False, allow_null=True)
    multivariate_feature_state_values = _ShareSerializer(many=True, required=False)
    environment_feature_version = serializers.SerializerMethodField()
    live_from = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def get_feature(self, state: VersionFeatureState) -> int:
        return state.version.feature_id

    def get_environment(self, state: VersionFeatureState) -> int:
        return state.version.environment_id

    def get_identity(self, state: VersionFeatureState) -> int | None:
        return None

    def get_environment_feature_version(self, state: VersionFeatureState) -> str:
        return str(state.version.uuid)

    def get_live_from(self, state: VersionFeatureState) -> Any:
        live_from = state.version.live_from
        return serializers.DateTimeField().to_representation(live_from) if live_from else None

    def to_representation(self, state: VersionFeatureState) -> dict[str, Any]:
        data = super().to_representation(state)
        data["feature_segment"] = (
            _FeatureSegmentSerializer().to_representation(state) if state.segment_id is not None else None
        )
        data["feature_state_value"] = state.value
        data["multivariate_feature_state_values"] = [
            {
                "id": share.pk,
                "multivariate_feature_option": share.multivariate_feature_option_id,
                "percentage_allocation": share.percentage_allocation,
            }
            for share in state.multivariate_feature_state_values.all()
        ]
        return data

    def validate_multivariate_feature_state_values(self, shares: list[dict[str, Any]]) -> list[dict[str, Any]]:
        option_ids = [share["multivariate_feature_option"].pk for share in shares]
        if len(option_ids) != len(set(option_ids)):
            raise serializers.ValidationError("Each variant may appear only once.")
        total = sum(share["percentage_allocation"] for share in shares)
        if total > 100:
            raise serializers.ValidationError(f"The allocations add up to {total:g}%, over 100%.")
        return shares

    def validate_feature_segment(self, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is None:
            return None
        segment = value["segment"]
        feature = self.context["feature"]
        if segment.feature_id is not None and segment.feature_id != feature.pk:
            raise serializers.ValidationError(
                {"segment": [f"This segment is specific to feature {segment.feature_id}; it cannot override others."]}
            )
        return value


def apply_state_change(state: StateData | None, data: dict[str, Any], segment_id: int | None) -> StateData:
    """``state`` (None: a new override) changed as a validated state body says."""
    if state is None:
        state = StateData(segment_id, None, False, json_typed_value(None)["type"], None, {})
    if "enabled" in data:
        state.enabled = data["enabled"]
    if "feature_state_value" in data:
        typed = json_typed_value(data["feature_state_value"])
        state.value_type = typed["type"]
        state.value = data["feature_state_value"]
    if "multivariate_feature_state_values" in data:
        state.shares = {
            share["multivariate_feature_option"].pk: share["percentage_allocation"]
            for share in data["multivariate_feature_state_values"]
        }
    feature_segment = data.get("feature_segment")
    if feature_segment and feature_segment.get("priority") is not None:
        state.priority = feature_segment["priority"]
    return state


class EnvironmentFeatureVersionCreateSerializer(EnvironmentFeatureVersionSerializer):
    feature_states_to_create = VersionFeatureStateSerializer(
        many=True,
        required=False,
        allow_null=True,
        write_only=True,
        help_text="Feature states created in the new version: segment overrides only.",
    )
    feature_states_to_update = VersionFeatureStateSerializer(
        many=True, required=False, allow_null=True, write_only=True, help_text="Feature states to update."
    )
    segment_ids_to_delete_overrides = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        allow_null=True,
        write_only=True,
        help_text="Segments whose overrides the new version removes.",
    )
    publish_immediately = serializers.BooleanField(required=False, default=False, write_only=True)

    class Meta(EnvironmentFeatureVersionSerializer.Meta):
        fields = (
            *EnvironmentFeatureVersionSerializer.Meta.fields,
            "feature_states_to_create",
            "feature_states_to_update",
            "segment_ids_to_delete_overrides",
            "publish_immediately",
        )

    def states(self) -> list[StateData]:
        """The new version's states: what is live now, with the body's changes."""
        environment, feature = self.context["environment"], self.context["feature"]
        states = {state.segment_id: state for state in services.base_states(environment, feature)}
        data = self.validated_data
        for item in data.get("feature_states_to_create") or []:
            feature_segment = item.get("feature_segment")
            if feature_segment is None:
                raise serializers.ValidationError(
                    {"message": "Cannot create FeatureState objects that are not segment overrides."}
                )
            segment = feature_segment["segment"]
            if segment.pk in states:
                raise serializers.ValidationError(
                    {
                        "message": "An unresolvable conflict occurred: "
                        f"segment override already exists for segment '{segment.name}'"
                    }
                )
            new = apply_state_change(None, item, segment.pk)
            if new.priority is None:
                new.priority = sum(1 for key in states if key is not None)
            states[segment.pk] = new
        for item in data.get("feature_states_to_update") or []:
            feature_segment = item.get("feature_segment")
            key = feature_segment["segment"].pk if feature_segment else None
            if key not in states:
                raise serializers.ValidationError(
                    {
                        "message": "An unresolvable conflict occurred: "
                        f"segment override does not exist for segment '{feature_segment['segment'].name}'."
                    }
                )
            apply_state_change(states[key], item, key)
        for segment_id in data.get("segment_ids_to_delete_overrides") or []:
            states.pop(segment_id, None)
        ordered = sorted(
            (state for key, state in states.items() if key is not None), key=lambda state: state.priority or 0
        )
        for index, state in enumerate(ordered):
            state.priority = index
        return [state for key, state in states.items() if key is None] + ordered


class EnvironmentFeatureVersionPublishSerializer(serializers.Serializer):
    live_from = serializers.DateTimeField(required=False, allow_null=True)


class RestoreSerializer(EnvironmentFeatureVersionPublishSerializer):
    """The body of Banderole's ``restore/``: when the copy goes live (now if left out)."""


class VersionDiffSerializer(serializers.Serializer):
    """Field-level differences between two versions (Banderole's ``diff/``)."""

    version = serializers.UUIDField()
    compared_to = serializers.UUIDField(allow_null=True)
    changes = serializers.ListField(child=serializers.DictField())


# --- change requests ------------------------------------------------------------------------------


class _OrganisationUserField(serializers.PrimaryKeyRelatedField):
    """A member of the environment's organisation (``context["environment"]``)."""

    def get_queryset(self):
        environment = self.context.get("environment")
        if environment is None:
            return User.objects.none()
        return User.objects.filter(organisations__id=environment.project.organisation_id)


class _OrganisationGroupField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        environment = self.context.get("environment")
        if environment is None:
            return UserPermissionGroup.objects.none()
        return UserPermissionGroup.objects.filter(organisation_id=environment.project.organisation_id)


class _DraftField(serializers.SlugRelatedField):
    """A draft version of the environment, by uuid."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(slug_field="uuid", **kwargs)

    def get_queryset(self):
        environment = self.context.get("environment")
        if environment is None:
            return EnvironmentFeatureVersion.objects.none()
        return EnvironmentFeatureVersion.objects.alive().filter(environment=environment)


class ChangeRequestApprovalSerializer(serializers.ModelSerializer):
    user = _OrganisationUserField()

    class Meta:
        model = ChangeRequestApproval
        fields = ("id", "user", "approved_at", "created_at")
        read_only_fields = ("id", "approved_at", "created_at")


class ChangeRequestGroupAssignmentSerializer(serializers.ModelSerializer):
    group = _OrganisationGroupField()

    class Meta:
        model = ChangeRequestGroupAssignment
        fields = ("id", "group")
        read_only_fields = ("id",)


class ChangeRequestSerializer(serializers.ModelSerializer):
    """A change request in Flagsmith's open field names; the rest is Banderole's own, plainly."""

    approvals = ChangeRequestApprovalSerializer(many=True, required=False)
    group_assignments = ChangeRequestGroupAssignmentSerializer(many=True, required=False)
    environment_feature_versions = _DraftField(many=True)
    is_approved = serializers.SerializerMethodField()
    is_committed = serializers.BooleanField(read_only=True)

    class Meta:
        model = ChangeRequest
        fields = (
            "id",
            "uuid",
            "created_at",
            "updated_at",
            "title",
            "description",
            "user",
            "project",
            "environment",
            "committed_at",
            "committed_by",
            "approvals",
            "group_assignments",
            "environment_feature_versions",
            "is_approved",
            "is_committed",
        )
        read_only_fields = (
            "id",
            "uuid",
            "created_at",
            "updated_at",
            "user",
            "project",
            "environment",
            "committed_at",
            "committed_by",
        )

    def get_is_approved(self, change_request: ChangeRequest) -> bool:
        return change_requests.is_approved(change_request)


class ChangeRequestUpdateSerializer(serializers.ModelSerializer):
    class Meta:
        model = ChangeRequest
        fields = ("title", "description")
