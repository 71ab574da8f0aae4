from __future__ import annotations

import math
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from features.models import Feature, FeatureState
from features.serializers import FEATURE_STATE_FIELDS, FeatureStateValueField
from identities import services
from identities.models import (
    MAX_64_BIT_INTEGER,
    MIN_64_BIT_INTEGER,
    TRAIT_STRING_VALUE_LIMIT,
    Identity,
    Trait,
    TraitValueType,
)


class IdentitySerializer(serializers.ModelSerializer):
    """An identity as the dashboard lists it. Only ``dashboard_alias`` changes after creation."""

    identity_uuid = serializers.UUIDField(source="uuid", read_only=True)

    class Meta:
        model = Identity
        fields = ("id", "identifier", "identity_uuid", "environment", "created_date", "dashboard_alias")
        read_only_fields = ("id", "identity_uuid", "environment", "created_date")
        # validate() checks the (environment, identifier) uniqueness with a message naming the field.
        validators: list[Any] = []

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        if self.instance is not None:
            fields["identifier"].required = False
        return fields

    def validate_identifier(self, identifier: str) -> str:
        if self.instance is not None:
            if identifier != self.instance.identifier:
                raise serializers.ValidationError("An identity's identifier cannot change.")
            return identifier
        if Identity.objects.filter(environment=self.context["view"].get_environment(), identifier=identifier).exists():
            raise serializers.ValidationError(services.IDENTIFIER_TAKEN)
        return identifier

    def create(self, validated_data: dict[str, Any]) -> Identity:
        view = self.context["view"]
        return services.create_identity(view.get_environment(), validated_data, self.context["request"].user)


@extend_schema_field(
    {"oneOf": [{"type": "string"}, {"type": "integer"}, {"type": "number"}, {"type": "boolean"}]},
)
class TraitValueField(serializers.Field):
    """A trait value as plain JSON: string, integer (64-bit), float or boolean, for the admin and SDK APIs.

    Objects and arrays are kept as their Python text, as Flagsmith keeps them. The
    SDK API passes ``allow_null=True``: there a null value deletes the trait.
    """

    default_error_messages = {
        "too_long": f"A trait value may have at most {TRAIT_STRING_VALUE_LIMIT} characters.",
        "out_of_range": f"An integer trait must be between {MIN_64_BIT_INTEGER} and {MAX_64_BIT_INTEGER}.",
        "not_finite": "A float trait must be a finite number.",
        "nul": "A trait value may not contain a NUL character.",
    }

    def to_representation(self, value: Any) -> Any:
        return value

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, bool):
            return data
        if isinstance(data, float):
            if not math.isfinite(data):
                self.fail("not_finite")
            return data
        if isinstance(data, int):
            if not MIN_64_BIT_INTEGER <= data <= MAX_64_BIT_INTEGER:
                self.fail("out_of_range")
            return data
        text = data if isinstance(data, str) else str(data)
        if len(text) > TRAIT_STRING_VALUE_LIMIT:
            self.fail("too_long")
        if "\x00" in text:
            self.fail("nul")
        return text


# Flagsmith's admin trait body names the type and fills one column: value_type → (column, JSON types).
_TYPED_TRAIT_COLUMNS: dict[str, tuple[str, tuple[type, ...]]] = {
    TraitValueType.STRING: ("string_value", (str,)),
    TraitValueType.INTEGER: ("integer_value", (int,)),
    TraitValueType.FLOAT: ("float_value", (int, float)),
    TraitValueType.BOOLEAN: ("boolean_value", (bool,)),
}


class TraitSerializer(serializers.ModelSerializer):
    """A stored trait. Written as ``{trait_key, trait_value}`` or in Flagsmith's typed shape
    ``{trait_key, value_type, string_value|integer_value|float_value|boolean_value}``; read with both.
    """

    trait_value = TraitValueField()

    class Meta:
        model = Trait
        fields = (
            "id",
            "trait_key",
            "trait_value",
            "value_type",
            "string_value",
            "integer_value",
            "float_value",
            "boolean_value",
            "created_date",
        )
        read_only_fields = (
            "id",
            "value_type",
            "string_value",
            "integer_value",
            "float_value",
            "boolean_value",
            "created_date",
        )
        validators: list[Any] = []

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if isinstance(data, dict) and "trait_value" not in data and "value_type" in data:
            data = {**data, "trait_value": self._typed_value(data)}
        return super().to_internal_value(data)

    @staticmethod
    def _typed_value(data: dict[str, Any]) -> Any:
        value_type = data["value_type"]
        if value_type not in _TYPED_TRAIT_COLUMNS:
            choices = ", ".join(_TYPED_TRAIT_COLUMNS)
            raise serializers.ValidationError({"value_type": [f"Must be one of {choices}."]})
        column, json_types = _TYPED_TRAIT_COLUMNS[value_type]
        value = data.get(column)
        # bool is an int in Python; a boolean is never an integer or float trait.
        if value is None or not isinstance(value, json_types) or (bool not in json_types and isinstance(value, bool)):
            raise serializers.ValidationError({column: [f"A {value_type} trait needs its value in {column}."]})
        return float(value) if value_type == TraitValueType.FLOAT else value

    def validate_trait_key(self, key: str) -> str:
        key = key.strip()
        if not key:
            raise serializers.ValidationError("A trait needs a key.")
        identity = self.instance.identity if self.instance is not None else self.context["view"].get_identity()
        clash = Trait.objects.filter(identity=identity, trait_key=key)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError(services.TRAIT_KEY_TAKEN)
        return key

    def create(self, validated_data: dict[str, Any]) -> Trait:
        trait = Trait(identity=self.context["view"].get_identity())
        return services.save_trait(
            trait, validated_data["trait_key"], validated_data["trait_value"], self.context["request"].user
        )

    def update(self, instance: Trait, validated_data: dict[str, Any]) -> Trait:
        value = validated_data.get("trait_value", instance.trait_value)
        return services.save_trait(instance, validated_data.get("trait_key"), value, self.context["request"].user)


class TraitKeysSerializer(serializers.Serializer):
    keys = serializers.ListField(child=serializers.CharField())


class DeleteTraitsSerializer(serializers.Serializer):
    key = serializers.CharField(max_length=200)


class IdentityFeatureField(serializers.PrimaryKeyRelatedField):
    """A feature of the identity's project; another project's features do not exist here."""

    default_error_messages = {"does_not_exist": "Feature {pk_value} is not a feature of this project."}

    def get_queryset(self):
        return Feature.objects.filter(project_id=self.context["view"].get_environment().project_id)


class IdentityFeatureStateSerializer(serializers.ModelSerializer):
    """An identity override: ``{feature, enabled, feature_state_value}``; no variant shares."""

    feature = IdentityFeatureField()
    feature_state_value = FeatureStateValueField(required=False, allow_null=True)
    multivariate_feature_state_values = serializers.ListField(
        child=serializers.DictField(),
        required=False,
        write_only=True,
        max_length=0,
        error_messages={"max_length": "Identity overrides have no variant allocations; send an empty list."},
        help_text="Always empty: SDKs ignore variant shares on identity overrides.",
    )

    class Meta:
        model = FeatureState
        fields = FEATURE_STATE_FIELDS
        read_only_fields = ("id", "uuid", "identity", "environment", "feature_segment", "created_at", "updated_at")

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        if self.instance is not None:
            fields["feature"].required = False
        return fields

    def to_representation(self, feature_state: FeatureState) -> dict[str, Any]:
        data = super().to_representation(feature_state)
        data["multivariate_feature_state_values"] = []
        return data

    def validate_feature(self, feature: Feature) -> Feature:
        if self.instance is not None:
            if feature.pk != self.instance.feature_id:
                raise serializers.ValidationError("An override's feature cannot change; delete it and create another.")
            return feature
        if FeatureState.objects.filter(identity=self.context["view"].get_identity(), feature=feature).exists():
            raise serializers.ValidationError(services.OVERRIDE_EXISTS)
        return feature

    def create(self, validated_data: dict[str, Any]) -> FeatureState:
        return services.create_identity_override(
            self.context["view"].get_identity(), validated_data["feature"], validated_data, self.context["request"].user
        )

    def update(self, instance: FeatureState, validated_data: dict[str, Any]) -> FeatureState:
        return services.update_identity_override(instance, validated_data, self.context["request"].user)


class CloneIdentityOverridesSerializer(serializers.Serializer):
    source_identity_id = serializers.IntegerField(min_value=1)

    def validate_source_identity_id(self, source_id: int) -> Identity:
        view = self.context["view"]
        source = Identity.objects.filter(environment=view.get_environment(), pk=source_id).first()
        if source is None:
            raise serializers.ValidationError(f"No identity {source_id} in this environment.")
        if source.pk == view.get_identity().pk:
            raise serializers.ValidationError("An identity cannot clone its own overrides.")
        return source
