from __future__ import annotations

from typing import Any

from rest_framework import serializers

from organisations.models import Invite, InviteLink, Organisation, OrganisationRole, UserOrganisation
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
        fields = ("id", "email", "first_name", "last_name", "last_login", "date_joined", "role")
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
