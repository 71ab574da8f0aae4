from __future__ import annotations

from rest_framework import serializers

from core import bounded_regex
from organisations.models import Organisation
from projects.models import Project


class UserOrganisationField(serializers.PrimaryKeyRelatedField):
    """An organisation the requesting user belongs to; others do not exist for them."""

    def get_queryset(self):
        return Organisation.objects.for_user(self.context["request"].user)


class ProjectSerializer(serializers.ModelSerializer):
    organisation = UserOrganisationField()
    # Flagsmith's Edge/DynamoDB switches: always off here, kept so clients find them.
    enable_dynamo_db = serializers.SerializerMethodField()
    use_edge_identities = serializers.SerializerMethodField()
    migration_status = serializers.SerializerMethodField()

    class Meta:
        model = Project
        fields = (
            "id",
            "uuid",
            "name",
            "organisation",
            "created_date",
            "hide_disabled_flags",
            "prevent_flag_defaults",
            "enable_realtime_updates",
            "only_allow_lower_case_feature_names",
            "feature_name_regex",
            "stale_flags_limit_days",
            "enforce_feature_owners",
            "max_segments_allowed",
            "max_features_allowed",
            "max_segment_overrides_allowed",
            "enable_dynamo_db",
            "use_edge_identities",
            "migration_status",
        )
        read_only_fields = (
            "id",
            "uuid",
            "created_date",
            "max_segments_allowed",
            "max_features_allowed",
            "max_segment_overrides_allowed",
        )

    def get_enable_dynamo_db(self, project: Project) -> bool:
        return False

    def get_use_edge_identities(self, project: Project) -> bool:
        return False

    def get_migration_status(self, project: Project) -> str:
        return "NOT_APPLICABLE"

    def validate_feature_name_regex(self, value: str | None) -> str | None:
        if value:
            # Feature names are matched against the pattern wrapped in ^…$ (features.serializers).
            reason = bounded_regex.refusal(f"^{value}$") or bounded_regex.refusal(value)
            if reason is not None:
                raise serializers.ValidationError(reason)
        return value

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        if self.instance is not None:
            # Flagsmith's dashboard saves a project's settings without its organisation
            # (Flagsmith: read-only on update, ProjectUpdateSerializer); one given must match.
            fields["organisation"].required = False
        return fields

    def validate_organisation(self, organisation: Organisation) -> Organisation:
        if self.instance is not None and organisation != self.instance.organisation:
            raise serializers.ValidationError("A project cannot move to another organisation.")
        return organisation
