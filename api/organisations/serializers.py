from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, serializers

from organisations.authentication import is_api_key_user
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

# What a self-hosted Banderole tells Flagsmith's dashboard about an organisation's plan:
# no plan limits. The dashboard, on an installation that is not Flagsmith's SaaS
# (``is_saas`` false in /version/), unlocks a paid feature (a second project, the
# permission tabs, flag owners...) only for a plan whose id names Enterprise
# (common/utils/utils.tsx: getPlanName, getRequiredPlan); limits it shows as
# "Unlimited" when null (BillingTab.tsx). There is no billing here, hence no ids, dates
# or billing status. docs/compatibility.md lists the values.
SELF_HOSTED_PLAN = "enterprise"


class SubscriptionSerializer(serializers.Serializer):
    """Flagsmith's ``Subscription`` of an organisation, as a self-hosted installation has it."""

    id = serializers.IntegerField(help_text="The organisation's id: one subscription per organisation.")
    uuid = serializers.UUIDField(help_text="The organisation's uuid.")
    subscription_id = serializers.CharField(allow_null=True)
    subscription_date = serializers.DateTimeField(allow_null=True)
    plan = serializers.CharField(allow_null=True)
    max_seats = serializers.IntegerField(allow_null=True, help_text="null: no limit.")
    max_api_calls = serializers.IntegerField(allow_null=True, help_text="null: no limit.")
    cancellation_date = serializers.DateTimeField(allow_null=True)
    customer_id = serializers.CharField(allow_null=True)
    billing_status = serializers.CharField(allow_null=True)
    payment_method = serializers.CharField(allow_null=True)
    notes = serializers.CharField(allow_null=True)
    deleted_at = serializers.DateTimeField(allow_null=True)
    has_active_billing_periods = serializers.BooleanField()


def self_hosted_subscription(organisation: Organisation) -> dict[str, Any]:
    return {
        "id": organisation.pk,
        "uuid": str(organisation.uuid),
        "subscription_id": None,
        "subscription_date": None,
        "plan": SELF_HOSTED_PLAN,
        "max_seats": None,
        "max_api_calls": None,
        "cancellation_date": None,
        "customer_id": None,
        "billing_status": None,
        "payment_method": None,
        "notes": None,
        "deleted_at": None,
        "has_active_billing_periods": False,
    }


class SubscriptionMetadataSerializer(serializers.Serializer):
    """``organisations/{id}/get-subscription-metadata/``: the plan's limits, null for none."""

    max_seats = serializers.IntegerField(allow_null=True)
    max_api_calls = serializers.IntegerField(allow_null=True)
    max_projects = serializers.IntegerField(allow_null=True)
    payment_source = serializers.CharField(allow_null=True)
    chargebee_email = serializers.EmailField(allow_null=True)
    feature_history_visibility_days = serializers.IntegerField(allow_null=True)
    audit_log_visibility_days = serializers.IntegerField(allow_null=True)


SELF_HOSTED_SUBSCRIPTION_METADATA: dict[str, Any] = {
    "max_seats": None,
    "max_api_calls": None,
    "max_projects": None,
    "payment_source": None,
    "chargebee_email": None,
    "feature_history_visibility_days": None,
    "audit_log_visibility_days": None,
}


class UsageDataSerializer(serializers.Serializer):
    """One day of API usage, as Flagsmith's ``organisations/{id}/usage-data/`` lists it."""

    flags = serializers.IntegerField()
    identities = serializers.IntegerField()
    traits = serializers.IntegerField()
    environment_document = serializers.IntegerField()
    day = serializers.CharField()


class UsageTotalCountSerializer(serializers.Serializer):
    count = serializers.IntegerField()


class OrganisationSerializer(serializers.ModelSerializer):
    num_seats = serializers.SerializerMethodField(help_text="How many users are members.")
    subscription = serializers.SerializerMethodField()
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
            "num_seats",
            "subscription",
            "force_2fa",
            "role",
        )
        read_only_fields = ("id", "uuid", "created_date", "stop_serving_flags", "block_access_to_admin", "role")

    def get_role(self, organisation: Organisation) -> str | None:
        return organisation_role(self.context["request"].user, organisation)

    def get_num_seats(self, organisation: Organisation) -> int:
        # Lists annotate it (OrganisationViewSet.get_queryset); a single object counts.
        seats = getattr(organisation, "member_count", None)
        return seats if seats is not None else organisation.memberships.count()

    @extend_schema_field(SubscriptionSerializer)
    def get_subscription(self, organisation: Organisation) -> dict[str, Any]:
        return self_hosted_subscription(organisation)


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


class MultiInviteItemSerializer(serializers.Serializer):
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=OrganisationRole.choices, default=OrganisationRole.USER)
    permission_groups = serializers.ListField(child=serializers.IntegerField(), required=False, allow_null=True)

    def validate_permission_groups(self, groups: list[int] | None) -> list[int]:
        if groups:
            raise serializers.ValidationError(
                "Invites into groups are not supported here; add the member to groups once they have joined."
            )
        return []


class MultiInviteSerializer(serializers.Serializer):
    """Flagsmith's ``organisations/{id}/invite/`` body (``MultiInvitesSerializer``): ``invites``,
    or ``emails`` for invites with the USER role; ``frontend_base_url`` is accepted and ignored
    (the invite email links to this installation's own address).
    """

    invites = MultiInviteItemSerializer(many=True, required=False)
    emails = serializers.ListField(child=serializers.EmailField(), required=False)
    frontend_base_url = serializers.CharField(required=False, allow_blank=True)

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        invites = [{"email": item["email"], "role": item["role"]} for item in data.get("invites", [])] + [
            {"email": email, "role": OrganisationRole.USER} for email in data.get("emails", [])
        ]
        if not invites:
            raise serializers.ValidationError({"invites": ["Give at least one invite."]})
        return {"invites": invites}


class MultiInviteResponseSerializer(serializers.Serializer):
    invites = InviteSerializer(many=True)


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

    def validate_revoked(self, revoked: bool) -> bool:
        if self.instance is not None and self.instance.revoked and not revoked:
            raise serializers.ValidationError("A revoked key stays revoked; create a new key instead.")
        return revoked

    def validate_expiry_date(self, expiry_date: Any) -> Any:
        if self.instance is not None and expiry_date == self.instance.expiry_date:
            return expiry_date  # unchanged (a PUT repeating what it read)
        if self.instance is not None and self.instance.has_expired:
            raise serializers.ValidationError("An expired key stays expired; create a new key instead.")
        if expiry_date is not None and expiry_date <= timezone.now():
            raise serializers.ValidationError("The expiry date must be in the future.")
        return expiry_date

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        is_admin = attrs.get("is_admin", self.instance.is_admin if self.instance else True)
        group = attrs.get("group", self.instance.group if self.instance else None)
        if not is_admin and group is None:
            raise serializers.ValidationError({"group": ["A key that is not an admin key needs a group."]})
        request = self.context.get("request")
        was_admin = self.instance is not None and self.instance.is_admin
        if is_admin and not was_admin and request is not None and is_api_key_user(request.user):
            # A leaked key must not be able to mint keys that outlive its own revocation.
            raise exceptions.PermissionDenied("Only a signed-in user can create an admin API key.")
        return attrs
