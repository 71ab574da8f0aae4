from __future__ import annotations

from django.contrib import admin
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from core.admin import AuditedModelAdmin
from segments import services
from segments.models import Segment, SegmentRule


def _rule_html(rule: SegmentRule) -> SafeString:
    conditions = format_html_join(
        "",
        "<li><code>{}</code> {} <code>{}</code></li>",
        ((condition.property or "", condition.operator, condition.value or "") for condition in rule.conditions.all()),
    )
    sub_rules = format_html_join("", "{}", ((_rule_html(child),) for child in rule.child_rules))
    return format_html("<li><strong>{}</strong><ul>{}{}</ul></li>", rule.type, conditions, sub_rules)


@admin.register(Segment)
class SegmentAdmin(AuditedModelAdmin):
    """Segments with their rule trees shown read-only: the tree is edited through the API.

    Admin edits of the segment's own fields go through the same environment bump
    as API writes, so SDK documents notice them.
    """

    list_display = ("id", "name", "project", "feature", "created_date")
    list_filter = ("project__organisation", ("feature", admin.EmptyFieldListFilter), "created_date")
    search_fields = ("name", "description", "project__name", "project__organisation__name")
    raw_id_fields = ("project", "feature")
    readonly_fields = ("uuid", "created_date", "updated_at", "rule_tree")
    list_select_related = ("project", "feature")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Segment]:
        return super().get_queryset(request).with_rule_trees()

    @admin.display(description="Rules")
    def rule_tree(self, segment: Segment) -> SafeString:
        if segment.pk is None:
            return format_html("{}", "Add rules through the API once the segment exists.")
        rules = format_html_join("", "{}", ((_rule_html(rule),) for rule in segment.top_level_rules))
        return format_html("<ul>{}</ul>", rules)

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            services.touch_project_environments(obj.project_id)

    def delete_model(self, request, obj):  # type: ignore[no-untyped-def]
        services.delete_segment(obj, request.user)

    def delete_queryset(self, request, queryset):  # type: ignore[no-untyped-def]
        with transaction.atomic():
            for segment in queryset:
                services.delete_segment(segment, request.user)
