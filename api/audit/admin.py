"""The audit log in the Django admin (read-only); ``AuditedModelAdmin`` lives in ``core.admin``."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from audit.models import AuditLog
from core.admin import AuditedModelAdmin

__all__ = ["AuditLogAdmin", "AuditedModelAdmin"]


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    list_display = ("created_date", "action", "related_object_type", "log", "author", "api_key", "source")
    list_filter = ("action", "source", "related_object_type", "organisation")
    search_fields = ("log", "author__email")
    raw_id_fields = ("organisation", "project", "environment", "author", "api_key")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
