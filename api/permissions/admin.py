from django.contrib import admin

from core.admin import AuditedModelAdmin
from permissions.models import EnvironmentPermission, OrganisationPermission, ProjectPermission


@admin.register(OrganisationPermission)
class OrganisationPermissionAdmin(AuditedModelAdmin):
    list_display = ("id", "organisation", "user", "group")
    raw_id_fields = ("organisation", "user", "group")
    filter_horizontal = ("permissions",)


@admin.register(ProjectPermission)
class ProjectPermissionAdmin(AuditedModelAdmin):
    list_display = ("id", "project", "user", "group", "admin")
    raw_id_fields = ("project", "user", "group")
    filter_horizontal = ("permissions",)


@admin.register(EnvironmentPermission)
class EnvironmentPermissionAdmin(AuditedModelAdmin):
    list_display = ("id", "environment", "user", "group", "admin")
    raw_id_fields = ("environment", "user", "group")
    filter_horizontal = ("permissions",)
