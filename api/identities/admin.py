from django.contrib import admin

from core.admin import AuditedModelAdmin
from identities.models import Identity, Trait


class TraitInline(admin.TabularInline):
    model = Trait
    extra = 0
    fields = ("trait_key", "value_type", "string_value", "integer_value", "float_value", "boolean_value")


@admin.register(Identity)
class IdentityAdmin(AuditedModelAdmin):
    list_display = ("id", "identifier", "environment", "dashboard_alias", "created_date")
    list_filter = ("environment__project__organisation",)
    search_fields = ("identifier", "dashboard_alias", "environment__name", "environment__api_key")
    raw_id_fields = ("environment",)
    readonly_fields = ("uuid", "created_date")
    list_select_related = ("environment__project",)
    inlines = [TraitInline]
