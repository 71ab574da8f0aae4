from __future__ import annotations

from typing import Any

from rest_framework import serializers

from organisations.models import (
    Invite,
    InviteLink,
    Organisation,
    OrganisationAPIKey,
    OrganisationRole,
    UserOrganisation,
    UserPermissionGroup,
)
from organisations.permissions import organisation_role
from users.models import User


class OrganisationSerializer(serializers.ModelSerializer):
    role = serializers.SerializerMethodField(help_text="The requesting user's role in this organisation.")

    class Meta:
        model = Organisation
        fields = (
            "id",
            "uuid",
            "name",
            "created_date",
            "webhook_notification_email",
            "persist_trait_data",
            "stop_serving_flags",
            "restrict_project_create_to_admin",
            "block_access_to_admin",
            "role",
        )
        read_only_fields = ("id", "uuid", "created_date", "stop_serving_flags", "block_access_to_admin", "role")

    def get_role(self, organisation: Organisation) -> str | None:
        return organisation_role(self.context["request"].user, organisation)


class OrganisationMemberSerializer(serializers.ModelSerializer):
    """A user as seen by the other members of one organisation."""

    role = serializers.CharField(read_only=True)

    class Meta:
        model = User
        fields = ("id", "email", "first_name", "last_name", "last_login", "date_joined", "uuid", "role")
        read_only_fields = fields


class UpdateRoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=OrganisationRole.choices)


class RemoveUserSerializer(serializers.Serializer):
    id = serializers.IntegerField()


class InviteSerializer(serializers.ModelSerializer):
    invited_by = serializers.SerializerMethodField()

    class Meta:
        model = Invite
        fields = ("id", "email", "role", "hash", "date_created", "invited_by")
        read_only_fields = ("id", "hash", "date_created", "invited_by")

    def get_invited_by(self, invite: Invite) -> dict[str, Any] | None:
        if invite.invited_by is None:
            return None
        return {"id": invite.invited_by_id, "email": invite.invited_by.email}


class InviteLinkSerializer(serializers.ModelSerializer):
    class Meta:
        model = InviteLink
        fields = ("id", "role", "hash", "expires_at", "date_created")
        read_only_fields = ("id", "hash", "date_created")


class MembershipSerializer(serializers.ModelSerializer):
    class Meta:
        model = UserOrganisation
        fields = ("user", "organisation", "role", "date_joined")
        read_only_fields = fields


class GroupMemberSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="user.id", read_only=True)
    email = serializers.EmailField(source="user.email", read_only=True)
    first_name = serializers.CharField(source="user.first_name", read_only=True)
    last_name = serializers.CharField(source="user.last_name", read_only=True)
    group_admin = serializers.BooleanField(read_only=True)


class UserPermissionGroupSerializer(serializers.ModelSerializer):
    users = GroupMemberSerializer(source="memberships", many=True, read_only=True)

    class Meta:
        model = UserPermissionGroup
        fields = ("id", "name", "users", "is_default", "external_id")
        read_only_fields = ("id", "users")


class UserPermissionGroupSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = UserPermissionGroup
        fields = ("id", "name")
        read_only_fields = fields


class GroupUserIdsSerializer(serializers.Serializer):
    user_ids = serializers.ListField(child=serializers.IntegerField(), allow_empty=False)


class OrganisationAPIKeySerializer(serializers.ModelSerializer):
    """Organisation API keys. ``key`` is only ever returned by the create call."""

    key = serializers.SerializerMethodField()
    has_expired = serializers.BooleanField(read_only=True)

    class Meta:
        model = OrganisationAPIKey
        fields = (
            "id",
            "prefix",
            "key",
            "name",
            "created",
            "expiry_date",
            "revoked",
            "is_admin",
            "group",
            "has_expired",
        )
        read_only_fields = ("id", "prefix", "key", "created", "has_expired")

    def get_key(self, api_key: OrganisationAPIKey) -> str | None:
        return getattr(api_key, "plain_key", None)

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        organisation = self.context.get("organisation")
        group_field = fields["group"]
        group_field.queryset = (  # type: ignore[attr-defined]
            UserPermissionGroup.objects.filter(organisation=organisation)
            if organisation is not None
            else UserPermissionGroup.objects.none()
        )
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        is_admin = attrs.get("is_admin", self.instance.is_admin if self.instance else True)
        group = attrs.get("group", self.instance.group if self.instance else None)
        if not is_admin and group is None:
            raise serializers.ValidationError({"group": ["A key that is not an admin key needs a group."]})
        return attrs
