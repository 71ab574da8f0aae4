from __future__ import annotations

import re
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from features import services
from features.models import (
    FEATURE_VALUE_LIMIT,
    MAX_32_BIT_INTEGER,
    MIN_32_BIT_INTEGER,
    Feature,
    FeatureState,
    FeatureStateValue,
    MultivariateFeatureOption,
    MultivariateFeatureStateValue,
    Tag,
)
from projects.models import Project
from users.models import User


def _allocation_total(items: list[dict[str, Any]], key: str) -> float:
    return sum(item.get(key, 100) for item in items)


class MultivariateFeatureOptionSerializer(serializers.ModelSerializer):
    class Meta:
        model = MultivariateFeatureOption
        fields = (
            "id",
            "uuid",
            "feature",
            "type",
            "string_value",
            "integer_value",
            "boolean_value",
            "default_percentage_allocation",
        )
        read_only_fields = ("id", "uuid", "feature")

    def create(self, validated_data: dict[str, Any]) -> MultivariateFeatureOption:
        view = self.context["view"]
        return services.create_multivariate_option(view.get_feature(), validated_data, self.context["request"].user)

    def update(self, instance: MultivariateFeatureOption, validated_data: dict[str, Any]) -> MultivariateFeatureOption:
        return services.update_multivariate_option(instance, validated_data, self.context["request"].user)


class TagSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ("id", "uuid", "label", "color", "description", "project")
        read_only_fields = ("id", "uuid", "project")

    def _project(self) -> Project:
        if self.instance is not None:
            return self.instance.project
        return self.context["view"].get_project()

    def validate_label(self, label: str) -> str:
        label = label.strip()
        if not label:
            raise serializers.ValidationError("A tag needs a label.")
        clash = Tag.objects.filter(project=self._project(), label__iexact=label)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError(services.TAG_LABEL_TAKEN)
        return label

    def create(self, validated_data: dict[str, Any]) -> Tag:
        return services.save_tag(Tag(project=self._project()), validated_data, self.context["request"].user)

    def update(self, instance: Tag, validated_data: dict[str, Any]) -> Tag:
        return services.save_tag(instance, validated_data, self.context["request"].user)


class ProjectTagField(serializers.PrimaryKeyRelatedField):
    """A tag of the feature's own project; another project's tags do not exist here."""

    default_error_messages = {"does_not_exist": "Tag {pk_value} is not a tag of this project."}

    def get_queryset(self):
        return Tag.objects.filter(project=self.root._project())


class FeatureOwnerSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ("id", "email", "first_name", "last_name")
        read_only_fields = fields


class FeatureOwnersInputSerializer(serializers.Serializer):
    """The body of add-owners/ and remove-owners/."""

    user_ids = serializers.ListField(child=serializers.IntegerField(min_value=1), allow_empty=False)


class FeatureSerializer(serializers.ModelSerializer):
    """A feature as the dashboard reads and writes it; variants may be given on create."""

    multivariate_options = MultivariateFeatureOptionSerializer(many=True, required=False)
    tags = ProjectTagField(many=True, required=False)
    owners = FeatureOwnerSerializer(many=True, read_only=True)

    class Meta:
        model = Feature
        fields = (
            "id",
            "uuid",
            "name",
            "type",
            "description",
            "initial_value",
            "default_enabled",
            "is_server_key_only",
            "is_archived",
            "created_date",
            "project",
            "multivariate_options",
            "tags",
            "owners",
        )
        read_only_fields = ("id", "uuid", "created_date", "project")

    def _project(self) -> Project:
        if self.instance is not None:
            return self.instance.project
        return self.context["view"].get_project()

    def validate_name(self, name: str) -> str:
        name = name.strip()
        if not name:
            raise serializers.ValidationError("A feature needs a name.")
        project = self._project()
        if project.feature_name_regex and not re.fullmatch(project.feature_name_regex, name):
            raise serializers.ValidationError(
                f"The name must match the project's pattern {project.feature_name_regex}."
            )
        clash = Feature.objects.filter(project=project, name__iexact=name)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError("A feature with this name already exists in the project.")
        return name

    def validate_multivariate_options(self, options: list[dict[str, Any]]) -> list[dict[str, Any]]:
        total = _allocation_total(options, "default_percentage_allocation")
        if total > 100:
            raise serializers.ValidationError(f"The default allocations add up to {total:g}%, over 100%.")
        return options

    def create(self, validated_data: dict[str, Any]) -> Feature:
        return services.create_feature(self._project(), validated_data, self.context["request"].user)

    def update(self, instance: Feature, validated_data: dict[str, Any]) -> Feature:
        # Variants change through mv-options/; the dashboard sends them back on
        # every PUT, so they are accepted and ignored here rather than refused.
        validated_data.pop("multivariate_options", None)
        return services.update_feature(instance, validated_data, self.context["request"].user)


@extend_schema_field(
    {"oneOf": [{"type": "string"}, {"type": "integer"}, {"type": "boolean"}], "nullable": True},
)
class FeatureStateValueField(serializers.Field):
    """A feature state's value as plain JSON; its JSON type decides the stored type."""

    default_error_messages = {
        "invalid_type": "A value must be a string, an integer, a boolean or null.",
        "too_long": f"A value may have at most {FEATURE_VALUE_LIMIT} characters.",
        "out_of_range": f"An integer value must be between {MIN_32_BIT_INTEGER} and {MAX_32_BIT_INTEGER}.",
    }

    def to_representation(self, value: FeatureStateValue) -> Any:
        return value.value

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, bool) or data is None:
            return data
        if isinstance(data, int):
            if not MIN_32_BIT_INTEGER <= data <= MAX_32_BIT_INTEGER:
                self.fail("out_of_range")
            return data
        if isinstance(data, float):
            # Flagsmith has no float values: a float is kept as its text.
            data = repr(data)
        if not isinstance(data, str):
            self.fail("invalid_type")
        if len(data) > FEATURE_VALUE_LIMIT:
            self.fail("too_long")
        return data


class FeatureOptionField(serializers.PrimaryKeyRelatedField):
    """A variant of the feature whose state is being changed; other features' variants do not exist here."""

    def get_queryset(self):
        feature_state = self.root.instance
        if not isinstance(feature_state, FeatureState):
            return MultivariateFeatureOption.objects.none()
        return MultivariateFeatureOption.objects.filter(feature_id=feature_state.feature_id)


class MultivariateFeatureStateValueSerializer(serializers.ModelSerializer):
    multivariate_feature_option = FeatureOptionField()

    class Meta:
        model = MultivariateFeatureStateValue
        fields = ("id", "multivariate_feature_option", "percentage_allocation")
        read_only_fields = ("id",)


class FeatureStateSerializer(serializers.ModelSerializer):
    """An environment default. ``identity`` and ``feature_segment`` are always null here."""

    feature_state_value = FeatureStateValueField(required=False, allow_null=True)
    multivariate_feature_state_values = MultivariateFeatureStateValueSerializer(many=True, required=False)
    identity = serializers.SerializerMethodField()
    feature_segment = serializers.SerializerMethodField()

    class Meta:
        model = FeatureState
        fields = (
            "id",
            "uuid",
            "feature",
            "environment",
            "identity",
            "feature_segment",
            "enabled",
            "feature_state_value",
            "multivariate_feature_state_values",
            "created_at",
            "updated_at",
        )
        read_only_fields = ("id", "uuid", "feature", "environment", "created_at", "updated_at")

    def get_identity(self, feature_state: FeatureState) -> int | None:
        return None

    def get_feature_segment(self, feature_state: FeatureState) -> int | None:
        return None

    def validate_multivariate_feature_state_values(self, shares: list[dict[str, Any]]) -> list[dict[str, Any]]:
        option_ids = [share["multivariate_feature_option"].pk for share in shares]
        if len(option_ids) != len(set(option_ids)):
            raise serializers.ValidationError("Each variant may appear only once.")
        total = _allocation_total(shares, "percentage_allocation")
        if total > 100:
            raise serializers.ValidationError(f"The allocations add up to {total:g}%, over 100%.")
        return shares

    def update(self, instance: FeatureState, validated_data: dict[str, Any]) -> FeatureState:
        return services.update_feature_state(instance, validated_data, self.context["request"].user)
