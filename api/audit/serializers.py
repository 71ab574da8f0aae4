from __future__ import annotations

from typing import Any

from rest_framework import serializers

from audit.models import AuditLog


class AuditLogSerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()
    api_key = serializers.SerializerMethodField()
    project = serializers.IntegerField(source="project_id", read_only=True, allow_null=True)
    environment = serializers.IntegerField(source="environment_id", read_only=True, allow_null=True)
    organisation = serializers.IntegerField(source="organisation_id", read_only=True)

    class Meta:
        model = AuditLog
        fields = (
            "id",
            "created_date",
            "log",
            "author",
            "api_key",
            "source",
            "action",
            "organisation",
            "project",
            "environment",
            "related_object_type",
            "related_object_id",
            "is_system_event",
            "changes",
        )
        read_only_fields = fields

    def get_author(self, entry: AuditLog) -> dict[str, Any] | None:
        if entry.author is None:
            return None
        return {
            "id": entry.author_id,
            "email": entry.author.email,
            "first_name": entry.author.first_name,
            "last_name": entry.author.last_name,
        }

    def get_api_key(self, entry: AuditLog) -> dict[str, Any] | None:
        if entry.api_key is None:
            return None
        return {"id": entry.api_key_id, "prefix": entry.api_key.prefix, "name": entry.api_key.name}
