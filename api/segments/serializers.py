from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import serializers

from projects.models import Project
from segments import services
from segments.models import Condition, Segment, SegmentRule


def _raw_depth(rules: Any) -> int:
    """Levels of nesting in unvalidated rules, counted without recursion."""
    depth = 0
    level = rules if isinstance(rules, list) else []
    while level:
        depth += 1
        level = [
            child
            for rule in level
            if isinstance(rule, dict) and isinstance(rule.get("rules"), list)
            for child in rule["rules"]
        ]
    return depth


class ConditionValueField(serializers.CharField):
    """A condition value: any JSON value, kept as text the way Flagsmith keeps it.

    Flagsmith stores ``str()`` of whatever it is sent (``true`` becomes
    ``"True"``, ``5`` becomes ``"5"``), so Terraform states and exports may carry
    such values; the engine reads the text when it evaluates.
    """

    def to_internal_value(self, data: Any) -> str:
        return super().to_internal_value(data if isinstance(data, str) else str(data))


class ConditionSerializer(serializers.ModelSerializer):
    """One condition; ``delete: true`` (sent by Flagsmith clients for removed rows) drops it.

    As in Flagsmith, property and value may be null whatever the operator: the
    engine reads a missing property as no trait. A blank property means the
    same; Flagsmith refuses it, Banderole always accepted it (docs/compatibility.md).
    """

    delete = serializers.BooleanField(write_only=True, required=False, default=False)
    property = serializers.CharField(max_length=1000, required=False, allow_null=True, allow_blank=True)
    value = ConditionValueField(required=False, allow_null=True, allow_blank=True)

    class Meta:
        model = Condition
        fields = ("id", "operator", "property", "value", "description", "delete")
        read_only_fields = ("id",)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("delete"):
            return attrs
        errors = services.condition_errors(attrs["operator"], attrs.get("property"), attrs.get("value"))
        if errors:
            raise serializers.ValidationError({field: [message] for field, message in errors.items()})
        return attrs


class SegmentRuleSerializer(serializers.ModelSerializer):
    """A rule with its conditions and sub-rules, to any depth."""

    # A placeholder that get_fields() replaces with this serializer, many=True.
    rules = serializers.ListField(required=False)
    conditions = ConditionSerializer(many=True, required=False)
    delete = serializers.BooleanField(write_only=True, required=False, default=False)

    class Meta:
        model = SegmentRule
        fields = ("id", "type", "rules", "conditions", "delete")
        read_only_fields = ("id",)

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        # Replaced here because a class cannot name itself in its own body;
        # get_fields() runs lazily per level, so only as deep as the data goes.
        fields["rules"] = SegmentRuleSerializer(many=True, required=False, source="child_rules")
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # Services speak the API's shape: {type, rules, conditions}.
        attrs["rules"] = attrs.pop("child_rules", [])
        attrs.setdefault("conditions", [])
        return attrs


class ProjectFeatureField(serializers.PrimaryKeyRelatedField):
    """A feature of the segment's own project; other projects' features do not exist here."""

    def get_queryset(self):
        view = self.context.get("view")
        if view is None or getattr(view, "swagger_fake_view", False):
            # The model the foreign key names (features sit above segments, so no import).
            return Segment.feature.field.related_model.objects.none()
        return view.get_project().features.all()


class SegmentSerializer(serializers.ModelSerializer):
    """A segment with its whole rule tree, as the dashboard reads and writes it.

    Writing ``rules`` replaces the tree; a PATCH without ``rules`` leaves it alone.
    """

    rules = SegmentRuleSerializer(many=True, source="top_level_rules")
    feature = ProjectFeatureField(required=False, allow_null=True)

    class Meta:
        model = Segment
        fields = ("id", "uuid", "name", "description", "project", "feature", "created_date", "updated_at", "rules")
        read_only_fields = ("id", "uuid", "project", "created_date", "updated_at")

    def validate_name(self, name: str) -> str:
        name = name.strip()
        if not name:
            raise serializers.ValidationError("A segment needs a name.")
        return name

    def validate_rules(self, rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if services.rules_depth(rules) > services.MAX_RULE_DEPTH:
            raise serializers.ValidationError(f"Rules may be nested at most {services.MAX_RULE_DEPTH} levels deep.")
        total = services.count_conditions(rules)
        limit = settings.SEGMENT_RULES_CONDITIONS_LIMIT
        if total > limit:
            raise serializers.ValidationError(f"A segment may have at most {limit} conditions; this one has {total}.")
        return rules

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        # Checked on the raw data first: nested validation recurses once per level.
        if isinstance(data, dict) and _raw_depth(data.get("rules")) > services.MAX_RULE_DEPTH:
            raise serializers.ValidationError(
                {"rules": [f"Rules may be nested at most {services.MAX_RULE_DEPTH} levels deep."]}
            )
        validated = super().to_internal_value(data)
        if "top_level_rules" in validated:
            validated["rules"] = validated.pop("top_level_rules")
        return validated

    def _project(self) -> Project:
        if self.instance is not None:
            return self.instance.project
        return self.context["view"].get_project()

    def create(self, validated_data: dict[str, Any]) -> Segment:
        return services.create_segment(self._project(), validated_data, self.context["request"].user)

    def update(self, instance: Segment, validated_data: dict[str, Any]) -> Segment:
        return services.update_segment(instance, validated_data, self.context["request"].user)


class CloneSegmentSerializer(serializers.Serializer):
    """The body of ``clone/``: the new segment's name."""

    name = serializers.CharField(max_length=Segment._meta.get_field("name").max_length)

    def validate_name(self, name: str) -> str:
        if not name.strip():
            raise serializers.ValidationError("A segment needs a name.")
        return name
