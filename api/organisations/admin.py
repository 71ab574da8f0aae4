from django.contrib import admin

from core.admin import AuditedModelAdmin
from organisations.models import (
    Invite,
    InviteLink,
    Organisation,
    OrganisationAPIKey,
    UserOrganisation,
    UserPermissionGroup,
    UserPermissionGroupMembership,
)


class MembershipInline(admin.TabularInline):
    model = UserOrganisation
    extra = 0
    autocomplete_fields = ("user",)


@admin.register(Organisation)
class OrganisationAdmin(AuditedModelAdmin):
    list_display = ("id", "name", "created_date", "persist_trait_data", "stop_serving_flags")
    list_filter = ("persist_trait_data", "stop_serving_flags", "restrict_project_create_to_admin")
    search_fields = ("name", "memberships__user__email")
    inlines = [MembershipInline]


@admin.register(UserOrganisation)
class UserOrganisationAdmin(AuditedModelAdmin):
    list_display = ("user", "organisation", "role", "date_joined")
    list_filter = ("role",)
    search_fields = ("user__email", "organisation__name")
    autocomplete_fields = ("user", "organisation")


@admin.register(Invite)
class InviteAdmin(admin.ModelAdmin):
    list_display = ("email", "organisation", "role", "invited_by", "date_created")
    list_filter = ("role",)
    search_fields = ("email", "organisation__name")
    raw_id_fields = ("organisation", "invited_by")


@admin.register(InviteLink)
class InviteLinkAdmin(admin.ModelAdmin):
    list_display = ("organisation", "role", "expires_at", "date_created")
    list_filter = ("role",)
    search_fields = ("organisation__name",)
    raw_id_fields = ("organisation",)


class GroupMembershipInline(admin.TabularInline):
    model = UserPermissionGroupMembership
    extra = 0
    raw_id_fields = ("user",)


@admin.register(UserPermissionGroup)
class UserPermissionGroupAdmin(AuditedModelAdmin):
    list_display = ("id", "name", "organisation", "is_default")
    search_fields = ("name", "organisation__name")
    raw_id_fields = ("organisation",)
    inlines = [GroupMembershipInline]


@admin.register(OrganisationAPIKey)
class OrganisationAPIKeyAdmin(AuditedModelAdmin):
    """Keys are created through the API (the key is shown once there); here they are revoked or deleted."""

    list_display = ("name", "prefix", "organisation", "is_admin", "revoked", "expiry_date", "created")
    list_filter = ("revoked", "is_admin")
    search_fields = ("name", "prefix", "organisation__name")
    raw_id_fields = ("organisation", "group")
    readonly_fields = ("prefix", "created")

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False
