from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, QuerySet
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core import bounded_regex
from environments.models import Environment
from features import services
from features.models import (
    FEATURE_VALUE_LIMIT,
    MAX_32_BIT_INTEGER,
    MIN_32_BIT_INTEGER,
    Feature,
    FeatureSegment,
    FeatureState,
    FeatureStateValue,
    FeatureValueType,
    MultivariateFeatureOption,
    MultivariateFeatureStateValue,
    Tag,
)
from organisations.models import UserPermissionGroup
from projects.models import Project
from segments.models import Segment
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
            "key",
        )
        read_only_fields = ("id", "uuid", "feature")

    def validate_key(self, key: str | None) -> str | None:
        # The engine reports "control" for identities that fall outside every variant
        # (Flagsmith refuses exactly that key: features/multivariate/serializers.py:78).
        if key == "control":
            raise serializers.ValidationError('"control" is reserved for the control value.')
        return key or None

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
        fields = ("id", "email", "first_name", "last_name", "last_login", "uuid")
        read_only_fields = fields


class FeatureGroupOwnerSerializer(serializers.ModelSerializer):
    class Meta:
        model = UserPermissionGroup
        fields = ("id", "name")
        read_only_fields = fields


class FeatureOwnersInputSerializer(serializers.Serializer):
    """The body of add-owners/ and remove-owners/."""

    user_ids = serializers.ListField(child=serializers.IntegerField(min_value=1), allow_empty=False)


class FeatureGroupOwnersInputSerializer(serializers.Serializer):
    """The body of add-group-owners/ and remove-group-owners/."""

    group_ids = serializers.ListField(child=serializers.IntegerField(min_value=1), allow_empty=False)


class _OrganisationMemberField(serializers.PrimaryKeyRelatedField):
    """A member of the feature's organisation, written as an id and read as the owner object."""

    default_error_messages = {"does_not_exist": "User {pk_value} is not a member of this organisation."}

    def get_queryset(self):
        return User.objects.filter(memberships__organisation_id=self.root._project().organisation_id)

    def use_pk_only_optimization(self) -> bool:
        return False

    def to_representation(self, value: User) -> dict[str, Any]:
        return FeatureOwnerSerializer(value).data


class _OrganisationGroupField(serializers.PrimaryKeyRelatedField):
    """A group of the feature's organisation, written as an id and read as ``{id, name}``."""

    default_error_messages = {"does_not_exist": "Group {pk_value} is not a group of this organisation."}

    def get_queryset(self):
        return UserPermissionGroup.objects.filter(organisation_id=self.root._project().organisation_id)

    def use_pk_only_optimization(self) -> bool:
        return False

    def to_representation(self, value: UserPermissionGroup) -> dict[str, Any]:
        return FeatureGroupOwnerSerializer(value).data


class FeatureStateSmallSerializer(serializers.ModelSerializer):
    """A feature's state in one environment, as Flagsmith's feature list carries it
    (``FeatureStateSerializerSmall``): the value as plain JSON, the ids of what it belongs to.
    """

    feature_state_value = serializers.SerializerMethodField()

    class Meta:
        model = FeatureState
        fields = ("id", "feature_state_value", "environment", "identity", "feature_segment", "enabled")
        read_only_fields = fields

    @extend_schema_field(
        {"oneOf": [{"type": "string"}, {"type": "integer"}, {"type": "boolean"}], "nullable": True},
    )
    def get_feature_state_value(self, state: FeatureState) -> Any:
        value = getattr(state, "feature_state_value", None)
        return value.value if value is not None else None


@dataclass(frozen=True)
class EnvironmentListing:
    """What a feature list with ``?environment=`` adds to each feature of its page."""

    defaults: dict[int, FeatureState]
    segment_states: dict[int, FeatureState]
    segment_override_counts: dict[int, int]
    identity_override_counts: dict[int, int]

    @classmethod
    def load(cls, environment: Environment, feature_ids: list[int], segment_id: int | None) -> EnvironmentListing:
        """Four queries for the whole page (three without a segment), whatever its size."""
        states = FeatureState.objects.filter(environment=environment, feature_id__in=feature_ids).select_related(
            "feature_state_value"
        )
        defaults = {state.feature_id: state for state in states.filter(identity=None, feature_segment=None)}
        segment_states = (
            {state.feature_id: state for state in states.filter(feature_segment__segment_id=segment_id)}
            if segment_id is not None
            else {}
        )
        segment_counts = (
            FeatureSegment.objects.filter(environment=environment, feature_id__in=feature_ids)
            .values("feature_id")
            .annotate(count=Count("id"))
        )
        identity_counts = (
            FeatureState.objects.filter(environment=environment, feature_id__in=feature_ids, identity__isnull=False)
            .values("feature_id")
            .annotate(count=Count("id"))
        )
        return cls(
            defaults=defaults,
            segment_states=segment_states,
            segment_override_counts={row["feature_id"]: row["count"] for row in segment_counts},
            identity_override_counts={row["feature_id"]: row["count"] for row in identity_counts},
        )


class FeatureSerializer(serializers.ModelSerializer):
    """A feature as the dashboard reads and writes it; variants may be given on create.

    Listed with ``?environment=``, each carries its state and override counts there, as
    Flagsmith's list does; elsewhere those fields are null (the counts 0 and null).
    """

    multivariate_options = MultivariateFeatureOptionSerializer(many=True, required=False)
    tags = ProjectTagField(many=True, required=False)
    # Given on create (as Flagsmith's Terraform provider sends them); afterwards they
    # change through add-owners/ and add-group-owners/, so an update ignores them.
    owners = _OrganisationMemberField(many=True, required=False)
    group_owners = _OrganisationGroupField(many=True, required=False)
    environment_feature_state = serializers.SerializerMethodField(
        help_text="With ?environment= on the list: the feature's state there."
    )
    segment_feature_state = serializers.SerializerMethodField(
        help_text="With ?environment=&segment= on the list: the segment's override state."
    )
    num_segment_overrides = serializers.SerializerMethodField(
        help_text="With ?environment= on the list: its segment overrides there."
    )
    num_identity_overrides = serializers.SerializerMethodField(
        help_text="With ?environment= on the list: its identity overrides there; otherwise null."
    )
    is_num_identity_overrides_complete = serializers.SerializerMethodField()
    last_modified_in_any_environment = serializers.SerializerMethodField(
        help_text="Flagsmith's, from feature versioning: always null here."
    )
    last_modified_in_current_environment = serializers.SerializerMethodField(
        help_text="Flagsmith's, from feature versioning: always null here."
    )

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
            "group_owners",
            "environment_feature_state",
            "segment_feature_state",
            "num_segment_overrides",
            "num_identity_overrides",
            "is_num_identity_overrides_complete",
            "last_modified_in_any_environment",
            "last_modified_in_current_environment",
        )
        read_only_fields = ("id", "uuid", "created_date", "project")

    def _listing(self) -> EnvironmentListing | None:
        return self.context.get("environment_listing")

    @extend_schema_field(FeatureStateSmallSerializer(allow_null=True))
    def get_environment_feature_state(self, feature: Feature) -> dict[str, Any] | None:
        listing = self._listing()
        state = listing.defaults.get(feature.pk) if listing else None
        return FeatureStateSmallSerializer(state).data if state is not None else None

    @extend_schema_field(FeatureStateSmallSerializer(allow_null=True))
    def get_segment_feature_state(self, feature: Feature) -> dict[str, Any] | None:
        listing = self._listing()
        state = listing.segment_states.get(feature.pk) if listing else None
        return FeatureStateSmallSerializer(state).data if state is not None else None

    def get_num_segment_overrides(self, feature: Feature) -> int:
        listing = self._listing()
        return listing.segment_override_counts.get(feature.pk, 0) if listing else 0

    def get_num_identity_overrides(self, feature: Feature) -> int | None:
        listing = self._listing()
        return listing.identity_override_counts.get(feature.pk, 0) if listing else None

    def get_is_num_identity_overrides_complete(self, feature: Feature) -> bool:
        return True

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_last_modified_in_any_environment(self, feature: Feature) -> None:
        return None

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_last_modified_in_current_environment(self, feature: Feature) -> None:
        return None

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, (list, QuerySet)):
            fields["owners"] = _OrganisationMemberField(many=True, read_only=True)
            fields["group_owners"] = _OrganisationGroupField(many=True, read_only=True)
        return fields

    def _project(self) -> Project:
        if self.instance is not None:
            return self.instance.project
        return self.context["view"].get_project()

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        # Flagsmith keeps a non-string initial value as its text (features/serializers.py:271):
        # 5 is "5", true is "True"; false and 0 are refused there too.
        if isinstance(data, dict) and data.get("initial_value") and not isinstance(data["initial_value"], str):
            data = {**data, "initial_value": str(data["initial_value"])}
        return super().to_internal_value(data)

    def validate_name(self, name: str) -> str:
        name = name.strip()
        if not name:
            raise serializers.ValidationError("A feature needs a name.")
        project = self._project()
        # Wrapped in ^…$ as Flagsmith does (projects/models.py:200), not re.fullmatch: for a
        # pattern like "a|b" the two differ, and names Flagsmith took must stay valid here.
        if project.feature_name_regex and not bounded_regex.match(f"^{project.feature_name_regex}$", name):
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

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if (
            self.instance is None
            and self._project().enforce_feature_owners
            and not data.get("owners")
            and not data.get("group_owners")
        ):
            raise serializers.ValidationError(
                {"owners": ["This project requires at least one owner or group owner when creating a feature."]}
            )
        return data

    def create(self, validated_data: dict[str, Any]) -> Feature:
        user = self.context["request"].user
        if not validated_data.get("owners") and isinstance(user, User):
            # As Flagsmith's API does (features/serializers.py:286-291): without owners, a
            # signed-in creator owns the feature; an API key owns nothing.
            validated_data = {**validated_data, "owners": [user]}
        return services.create_feature(self._project(), validated_data, user)

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


# Every feature state reads the same, whichever endpoint or kind (default, segment, identity override).
FEATURE_STATE_FIELDS = (
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


class FeatureStateSerializer(serializers.ModelSerializer):
    """An environment default or a segment override's state (``feature_segment`` set); ``identity`` is null."""

    feature_state_value = FeatureStateValueField(required=False, allow_null=True)
    multivariate_feature_state_values = MultivariateFeatureStateValueSerializer(many=True, required=False)
    identity = serializers.SerializerMethodField()
    feature_segment = serializers.SerializerMethodField()

    class Meta:
        model = FeatureState
        fields = FEATURE_STATE_FIELDS
        read_only_fields = ("id", "uuid", "feature", "environment", "created_at", "updated_at")

    def get_identity(self, feature_state: FeatureState) -> int | None:
        return None

    def get_feature_segment(self, feature_state: FeatureState) -> int | None:
        return feature_state.feature_segment_id

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


# --- Segment overrides -------------------------------------------------------------------

_OVERRIDE_EXISTS = "This segment already overrides the feature in this environment."


class IdentityOverrideStateSerializer(FeatureStateSerializer):
    """An identity override's state with its identity, as Flagsmith lists them with
    ``?anyIdentity=`` (``FeatureStateSerializerWithIdentity``): ``identity`` is ``{id, identifier}``.
    """

    identity = serializers.SerializerMethodField(method_name="get_identity_summary")

    @extend_schema_field(
        {
            "type": "object",
            "properties": {"id": {"type": "integer"}, "identifier": {"type": "string"}},
            "required": ["id", "identifier"],
        }
    )
    def get_identity_summary(self, feature_state: FeatureState) -> dict[str, Any]:
        return {"id": feature_state.identity_id, "identifier": feature_state.identity.identifier}


class _VisibleObjectField(serializers.PrimaryKeyRelatedField):
    """An object of the caller's organisations; anyone else's does not exist here."""

    model: Any = None

    def get_queryset(self):
        return self.model.objects.for_user(self.context["request"].user)


class _VisibleFeatureField(_VisibleObjectField):
    model = Feature


class _VisibleSegmentField(_VisibleObjectField):
    model = Segment


class _VisibleEnvironmentField(_VisibleObjectField):
    model = Environment


class FeatureSegmentSerializer(serializers.ModelSerializer):
    """A segment override: which segment overrides which feature in which environment, and its priority.

    Creating one also creates its feature state (a copy of the environment
    default); after creation only the priority changes.
    """

    feature = _VisibleFeatureField()
    segment = _VisibleSegmentField()
    environment = _VisibleEnvironmentField()
    priority = serializers.IntegerField(
        min_value=0,
        max_value=MAX_32_BIT_INTEGER,
        required=False,
        # Flagsmith's Terraform provider sends null when no priority is configured.
        allow_null=True,
        help_text="0 is the top. On create the override goes here (the others move down) or, without it (or null), last.",
    )
    segment_name = serializers.CharField(source="segment.name", read_only=True)
    is_feature_specific = serializers.SerializerMethodField()

    class Meta:
        model = FeatureSegment
        fields = ("id", "uuid", "feature", "segment", "environment", "priority", "segment_name", "is_feature_specific")
        read_only_fields = ("id", "uuid")
        # validate() checks the (feature, segment, environment) uniqueness with a message naming the segment.
        validators: list[Any] = []

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        if self.instance is not None:
            # An update names the priority only; a PUT must still name it.
            for name in ("feature", "segment", "environment"):
                fields[name].required = False
            fields["priority"].required = not self.partial
        return fields

    def get_is_feature_specific(self, feature_segment: FeatureSegment) -> bool:
        return feature_segment.segment.feature_id is not None

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if self.instance is not None:
            if "priority" in data and data["priority"] is None:
                raise serializers.ValidationError({"priority": ["An override's priority cannot be null."]})
            for name in ("feature", "segment", "environment"):
                if name in data and data[name] != getattr(self.instance, name):
                    raise serializers.ValidationError(
                        {name: ["Only the priority of an override changes; delete it and create another."]}
                    )
            return data
        feature, segment, environment = data["feature"], data["segment"], data["environment"]
        if environment.project_id != feature.project_id:
            raise serializers.ValidationError({"environment": ["The environment is not in the feature's project."]})
        if segment.project_id != feature.project_id:
            raise serializers.ValidationError({"segment": ["The segment is not in the feature's project."]})
        if segment.feature_id is not None and segment.feature_id != feature.pk:
            raise serializers.ValidationError(
                {"segment": [f"This segment is specific to feature {segment.feature_id}; it cannot override others."]}
            )
        if FeatureSegment.objects.filter(feature=feature, segment=segment, environment=environment).exists():
            raise serializers.ValidationError({"segment": [_OVERRIDE_EXISTS]})
        return data

    def create(self, validated_data: dict[str, Any]) -> FeatureSegment:
        feature_state = services.create_segment_override(
            feature=validated_data["feature"],
            segment=validated_data["segment"],
            environment=validated_data["environment"],
            priority=validated_data.get("priority"),
            user=self.context["request"].user,
        )
        return feature_state.feature_segment

    def update(self, instance: FeatureSegment, validated_data: dict[str, Any]) -> FeatureSegment:
        if "priority" in validated_data:
            return services.move_segment_override(instance, validated_data["priority"], self.context["request"].user)
        return instance


class FeatureSegmentPrioritiesSerializer(serializers.ListSerializer):
    """The body of update-priorities/: overrides of one feature in one environment, each once."""

    def validate(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        ids = [item["id"] for item in items]
        if len(set(ids)) != len(ids):
            raise serializers.ValidationError("Each override may appear only once.")
        priorities = [item["priority"] for item in items]
        if len(set(priorities)) != len(priorities):
            raise serializers.ValidationError("Two overrides cannot take the same priority.")
        found = {
            feature_segment.pk: feature_segment
            for feature_segment in self.context["view"].get_queryset().filter(pk__in=ids)
        }
        unknown = sorted(set(ids) - set(found))
        if unknown:
            raise serializers.ValidationError(f"Unknown segment overrides: {', '.join(map(str, unknown))}.")
        if len({(item.feature_id, item.environment_id) for item in found.values()}) > 1:
            raise serializers.ValidationError("All overrides must be of the same feature in the same environment.")
        return items

    def create(self, validated_data: list[dict[str, Any]]) -> list[FeatureSegment]:
        return services.reorder_segment_overrides(
            {item["id"]: item["priority"] for item in validated_data}, self.context["request"].user
        )


class FeatureSegmentPrioritySerializer(serializers.Serializer):
    id = serializers.IntegerField(min_value=1)
    priority = serializers.IntegerField(min_value=0, max_value=MAX_32_BIT_INTEGER)

    class Meta:
        list_serializer_class = FeatureSegmentPrioritiesSerializer


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string"},
            {"type": "integer"},
            {"type": "boolean"},
            {
                "type": "object",
                "properties": {
                    "type": {"type": "string", "enum": ["int", "unicode", "bool"]},
                    "string_value": {"type": "string", "nullable": True},
                    "integer_value": {"type": "integer", "nullable": True},
                    "boolean_value": {"type": "boolean", "nullable": True},
                },
            },
        ],
        "nullable": True,
    }
)
class TypedFeatureStateValueField(FeatureStateValueField):
    """A value as plain JSON, or as Flagsmith's typed object ``{type, string_value, integer_value, boolean_value}``.

    It is written in the typed shape, as Flagsmith's create-segment-override answers.
    """

    default_error_messages = {
        **FeatureStateValueField.default_error_messages,
        "unknown_type": "The type must be one of int, unicode, bool.",
        "mismatch": "{column} must hold a value of type {type}.",
    }
    _COLUMNS = {
        FeatureValueType.INTEGER: ("integer_value", int),
        FeatureValueType.BOOLEAN: ("boolean_value", bool),
        FeatureValueType.STRING: ("string_value", str),
    }

    def to_representation(self, value: FeatureStateValue) -> Any:
        return {
            "type": value.type,
            "string_value": value.string_value,
            "integer_value": value.integer_value,
            "boolean_value": value.boolean_value,
        }

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            value_type = data.get("type", FeatureValueType.STRING)
            if value_type not in self._COLUMNS:
                self.fail("unknown_type")
            column, python_type = self._COLUMNS[value_type]
            data = data.get(column)
            # bool is an int in Python, and never the other way round.
            wrong_bool = python_type is int and isinstance(data, bool)
            if data is not None and (wrong_bool or not isinstance(data, python_type)):
                self.fail("mismatch", column=column, type=value_type)
        return super().to_internal_value(data)


@extend_schema_field({"type": "integer"})
class _OverriddenFeatureOptionField(serializers.PrimaryKeyRelatedField):
    """A variant of the feature being overridden (``context["feature"]``)."""

    def get_queryset(self):
        return MultivariateFeatureOption.objects.filter(feature=self.context["feature"])


class _NewShareSerializer(serializers.Serializer):
    multivariate_feature_option = _OverriddenFeatureOptionField()
    percentage_allocation = serializers.FloatField(min_value=0, max_value=100, default=100)


class _OverrideSegmentSerializer(serializers.Serializer):
    segment = serializers.PrimaryKeyRelatedField(queryset=Segment.objects.none())
    priority = serializers.IntegerField(min_value=0, max_value=MAX_32_BIT_INTEGER, required=False, allow_null=True)

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        # Segments of the overridden feature's project only.
        feature = self.context.get("feature")  # absent while the OpenAPI schema is generated
        if feature is not None:
            fields["segment"].queryset = Segment.objects.filter(project_id=feature.project_id)
        return fields


class CreateSegmentOverrideSerializer(serializers.Serializer):
    """The body of create-segment-override/, in Flagsmith's shape.

    The segment is named by ``feature_segment: {segment, priority?}`` (as the
    dashboard sends it) or by ``segment_id``/``segment`` with ``priority``.
    Whatever of ``enabled``, ``feature_state_value`` and
    ``multivariate_feature_state_values`` is left out is copied from the
    environment default.
    """

    feature_segment = _OverrideSegmentSerializer(required=False)
    segment_id = serializers.IntegerField(min_value=1, required=False, write_only=True)
    segment = serializers.IntegerField(min_value=1, required=False, write_only=True)
    priority = serializers.IntegerField(min_value=0, max_value=MAX_32_BIT_INTEGER, required=False, write_only=True)
    enabled = serializers.BooleanField(required=False)
    feature_state_value = TypedFeatureStateValueField(required=False, allow_null=True)
    multivariate_feature_state_values = _NewShareSerializer(many=True, required=False)

    def validate_multivariate_feature_state_values(self, shares: list[dict[str, Any]]) -> list[dict[str, Any]]:
        option_ids = [share["multivariate_feature_option"].pk for share in shares]
        if len(option_ids) != len(set(option_ids)):
            raise serializers.ValidationError("Each variant may appear only once.")
        total = _allocation_total(shares, "percentage_allocation")
        if total > 100:
            raise serializers.ValidationError(f"The allocations add up to {total:g}%, over 100%.")
        return shares

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        feature: Feature = self.context["feature"]
        nested = data.pop("feature_segment", None) or {}
        segment = nested.get("segment")
        priority = nested.get("priority", data.pop("priority", None))
        segment_id, plain_segment_id = data.pop("segment_id", None), data.pop("segment", None)
        segment_id = plain_segment_id if segment_id is None else segment_id
        if segment is None and segment_id is not None:
            segment = Segment.objects.filter(project_id=feature.project_id, pk=segment_id).first()
            if segment is None:
                raise serializers.ValidationError(
                    {"segment_id": [f"No segment {segment_id} in the feature's project."]}
                )
        if segment is None:
            raise serializers.ValidationError(
                {"feature_segment": ["Name the segment: feature_segment.segment, or segment_id."]}
            )
        if segment.feature_id is not None and segment.feature_id != feature.pk:
            raise serializers.ValidationError(
                {"segment": [f"This segment is specific to feature {segment.feature_id}; it cannot override others."]}
            )
        if FeatureSegment.objects.filter(
            feature=feature, segment=segment, environment=self.context["environment"]
        ).exists():
            raise serializers.ValidationError({"segment": [_OVERRIDE_EXISTS]})
        data["segment_object"] = segment
        data["priority"] = priority
        return data

    def create(self, validated_data: dict[str, Any]) -> FeatureState:
        data = dict(validated_data)
        segment, priority = data.pop("segment_object"), data.pop("priority")
        return services.create_segment_override(
            feature=self.context["feature"],
            segment=segment,
            environment=self.context["environment"],
            priority=priority,
            state=data,
            user=self.context["request"].user,
        )


class SegmentOverrideFeatureSegmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = FeatureSegment
        fields = ("id", "uuid", "segment", "priority")
        read_only_fields = fields


class SegmentOverrideFeatureStateSerializer(serializers.ModelSerializer):
    """A segment override's feature state, as create-segment-override/ answers (Flagsmith's shape)."""

    feature_segment = SegmentOverrideFeatureSegmentSerializer(read_only=True)
    feature_state_value = TypedFeatureStateValueField(read_only=True)
    multivariate_feature_state_values = MultivariateFeatureStateValueSerializer(many=True, read_only=True)

    class Meta:
        model = FeatureState
        fields = FEATURE_STATE_FIELDS
        read_only_fields = fields


# --- features/featurestates/ (Flagsmith's id-addressed feature states) ------------------


class _VisibleFeatureSegmentField(serializers.PrimaryKeyRelatedField):
    """A segment override in an environment the caller can see."""

    def get_queryset(self):
        return FeatureSegment.objects.filter(
            environment__in=Environment.objects.for_user(self.context["request"].user)
        ).select_related("feature_state")


@extend_schema_field({"type": "integer"})
class _VisibleFeatureOptionField(serializers.PrimaryKeyRelatedField):
    """A variant of a feature the caller can see; validate() checks it is the state's own feature's."""

    def get_queryset(self):
        return MultivariateFeatureOption.objects.filter(
            feature__in=Feature.objects.for_user(self.context["request"].user)
        )


class _SimpleShareSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    multivariate_feature_option = _VisibleFeatureOptionField()
    percentage_allocation = serializers.FloatField(min_value=0, max_value=100, default=100)


class SimpleFeatureStateSerializer(FeatureStateSerializer):
    """A feature state named by ids, as Flagsmith's ``features/featurestates/`` reads and writes it.

    The value is in the typed shape ``{type, string_value, integer_value,
    boolean_value}`` (plain JSON values are accepted too). A create names a
    segment override (``feature_segment``): an override is made with its state,
    so the create fills in that state. An update may not move the state to
    another feature, environment or override.
    """

    feature = _VisibleFeatureField()
    environment = _VisibleEnvironmentField()
    feature_segment = _VisibleFeatureSegmentField(required=False, allow_null=True)
    feature_state_value = TypedFeatureStateValueField(required=False, allow_null=True)
    multivariate_feature_state_values = _SimpleShareSerializer(many=True, required=False)

    class Meta(FeatureStateSerializer.Meta):
        read_only_fields = ("id", "uuid", "created_at", "updated_at")

    def to_representation(self, instance: FeatureState) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["feature_segment"] = instance.feature_segment_id
        data["identity"] = instance.identity_id
        return data

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if self.instance is not None:
            current = {
                "feature": self.instance.feature,
                "environment": self.instance.environment,
                "feature_segment": self.instance.feature_segment,
            }
            for name, value in current.items():
                if name in data and data[name] != value:
                    raise serializers.ValidationError(
                        {name: [f"The {name.replace('_', ' ')} of a feature state cannot change."]}
                    )
            feature = self.instance.feature
        else:
            feature, environment = data["feature"], data["environment"]
            if environment.project_id != feature.project_id:
                raise serializers.ValidationError({"feature": ["The feature is not in the environment's project."]})
            feature_segment = data.get("feature_segment")
            if feature_segment is None:
                raise serializers.ValidationError(
                    {
                        "feature_segment": [
                            "Every feature already has its environment default: change it with PUT "
                            "features/featurestates/{id}/. Identity overrides are made under "
                            "environments/{api_key}/identities/{id}/featurestates/."
                        ]
                    }
                )
            if feature_segment.feature_id != feature.pk or feature_segment.environment_id != environment.pk:
                raise serializers.ValidationError(
                    {"feature_segment": ["The segment override is of another feature or environment."]}
                )
        for share in data.get("multivariate_feature_state_values", []):
            if share["multivariate_feature_option"].feature_id != feature.pk:
                raise serializers.ValidationError(
                    {"multivariate_feature_state_values": ["A variant of another feature cannot be given a share."]}
                )
        return data

    def _state_changes(self, validated_data: dict[str, Any]) -> dict[str, Any]:
        names = ("enabled", "feature_state_value", "multivariate_feature_state_values")
        return {name: validated_data[name] for name in names if name in validated_data}

    def create(self, validated_data: dict[str, Any]) -> FeatureState:
        state = validated_data["feature_segment"].feature_state
        return services.update_feature_state(state, self._state_changes(validated_data), self.context["request"].user)

    def update(self, instance: FeatureState, validated_data: dict[str, Any]) -> FeatureState:
        return services.update_feature_state(
            instance, self._state_changes(validated_data), self.context["request"].user
        )


class EnvironmentMetricSerializer(serializers.Serializer):
    name = serializers.CharField()
    description = serializers.CharField()
    entity = serializers.CharField()
    value = serializers.IntegerField()
    rank = serializers.IntegerField()


class EnvironmentMetricsSerializer(serializers.Serializer):
    """``environments/{key}/metrics/``, as Flagsmith's ``EnvironmentMetricsSerializer``."""

    metrics = EnvironmentMetricSerializer(many=True)
