from django.contrib import admin

from organisations.models import Invite, InviteLink, Organisation, UserOrganisation


class MembershipInline(admin.TabularInline):
    model = UserOrganisation
    extra = 0
    autocomplete_fields = ("user",)


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "created_date", "persist_trait_data", "stop_serving_flags")
    list_filter = ("persist_trait_data", "stop_serving_flags", "restrict_project_create_to_admin")
    search_fields = ("name", "memberships__user__email")
    inlines = [MembershipInline]


@admin.register(UserOrganisation)
class UserOrganisationAdmin(admin.ModelAdmin):
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
