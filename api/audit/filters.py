from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import django_filters
from django.db.models import QuerySet

from audit.models import AuditAction, AuditLog, AuditSource


class UTCIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 time compared in UTC: PostgreSQL refuses offsets past 15:59 that ISO 8601 allows."""

    def filter(self, qs: QuerySet[Any], value: datetime | None) -> QuerySet[Any]:
        if value is not None and value.tzinfo is not None:
            try:
                value = value.astimezone(UTC)
            except OverflowError:  # before year 1 or after 9999 in UTC: bounds nothing, or everything
                return qs if self.lookup_expr == "gte" and value.year == 1 else qs.none()
        return super().filter(qs, value)


class AuditLogFilterSet(django_filters.FilterSet):
    project = django_filters.NumberFilter(field_name="project_id")
    environment = django_filters.NumberFilter(field_name="environment_id")
    # Flagsmith's dashboard sends ``environments`` (one id); accepted as an alias.
    environments = django_filters.NumberFilter(field_name="environment_id")
    author = django_filters.NumberFilter(field_name="author_id")
    api_key = django_filters.CharFilter(field_name="api_key__prefix")
    related_object_type = django_filters.CharFilter(lookup_expr="iexact")
    related_object_id = django_filters.NumberFilter()
    action = django_filters.ChoiceFilter(choices=AuditAction.choices)
    source = django_filters.ChoiceFilter(choices=AuditSource.choices)
    since = UTCIsoDateTimeFilter(field_name="created_date", lookup_expr="gte")
    until = UTCIsoDateTimeFilter(field_name="created_date", lookup_expr="lte")
    search = django_filters.CharFilter(field_name="log", lookup_expr="icontains")
    is_system_event = django_filters.BooleanFilter()

    class Meta:
        model = AuditLog
        fields = ["project", "environment", "author", "related_object_type", "action", "source", "is_system_event"]
