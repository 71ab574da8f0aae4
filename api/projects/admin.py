from django.contrib import admin

from core.admin import AuditedModelAdmin
from projects.models import Project


@admin.register(Project)
class ProjectAdmin(AuditedModelAdmin):
    list_display = ("id", "name", "organisation", "created_date", "hide_disabled_flags")
    list_filter = ("hide_disabled_flags", "enable_realtime_updates", "organisation")
    search_fields = ("name", "organisation__name")
    raw_id_fields = ("organisation",)
