from __future__ import annotations

from rest_framework import serializers

from environments.models import Environment, EnvironmentAPIKey
from projects.models import Project


class UserProjectField(serializers.PrimaryKeyRelatedField):
    """A project in one of the requesting user's organisations."""

    def get_queryset(self):
        return Project.objects.for_user(self.context["request"].user)


class EnvironmentSerializer(serializers.ModelSerializer):
    project = UserProjectField()
    # Flagsmith's description is nullable (environments/models.py:96); null is kept as "".
    description = serializers.CharField(allow_blank=True, allow_null=True, required=False)

    class Meta:
        model = Environment
        fields = (
            "id",
            "uuid",
            "name",
            "api_key",
            "description",
            "project",
            "created_date",
            "minimum_change_request_approvals",
            "allow_client_traits",
            "banner_text",
            "banner_colour",
            "hide_disabled_flags",
            "use_mv_v2_evaluation",
            "use_identity_composite_key_for_hashing",
            "hide_sensitive_data",
            "use_identity_overrides_in_local_eval",
            "use_v2_feature_versioning",
            "protected",
        )
        # Turned on by enable-v2-versioning/, as in Flagsmith (environments/serializers.py:62).
        read_only_fields = ("id", "uuid", "api_key", "created_date", "use_v2_feature_versioning")

    def validate_description(self, description: str | None) -> str:
        return description or ""

    def validate_project(self, project: Project) -> Project:
        if self.instance is not None and project != self.instance.project:
            raise serializers.ValidationError("An environment cannot move to another project.")
        return project


class EnvironmentCloneSerializer(serializers.Serializer):
    """The body of ``clone/``; Flagsmith's ``clone_feature_states_async`` is accepted and ignored."""

    name = serializers.CharField(max_length=Environment._meta.get_field("name").max_length)


class EnvironmentAPIKeySerializer(serializers.ModelSerializer):
    """Server-side keys. ``key`` is only ever returned by the create call."""

    key = serializers.SerializerMethodField()

    class Meta:
        model = EnvironmentAPIKey
        fields = ("id", "name", "key", "key_preview", "active", "created_at", "expires_at")
        read_only_fields = ("id", "key", "key_preview", "created_at")

    def get_key(self, api_key: EnvironmentAPIKey) -> str | None:
        return getattr(api_key, "plain_key", None)
