from django.contrib import admin

from core.admin import AuditedModelAdmin
from environments.models import Environment, EnvironmentAPIKey


@admin.register(Environment)
class EnvironmentAdmin(AuditedModelAdmin):
    list_display = ("id", "name", "project", "api_key", "created_date", "updated_at")
    list_filter = ("allow_client_traits", "hide_sensitive_data", "project__organisation")
    search_fields = ("name", "api_key", "project__name", "project__organisation__name")
    raw_id_fields = ("project",)
    readonly_fields = ("api_key", "created_date", "updated_at")


@admin.register(EnvironmentAPIKey)
class EnvironmentAPIKeyAdmin(AuditedModelAdmin):
    list_display = ("name", "key_preview", "environment", "active", "expires_at", "created_at")
    list_filter = ("active",)
    search_fields = ("name", "key_preview", "environment__name", "environment__api_key")
    raw_id_fields = ("environment",)
    readonly_fields = ("key_preview", "created_at")

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        if change:
            return super().save_model(request, obj, form, change)
        key = EnvironmentAPIKey.generate_key()
        obj.set_key(key)
        super().save_model(request, obj, form, change)
        self.message_user(request, f"The new server-side key is {key}; copy it now, it is not shown again.")
