import django_filters

from audit.models import AuditAction, AuditLog, AuditSource


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
    since = django_filters.IsoDateTimeFilter(field_name="created_date", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="created_date", lookup_expr="lte")
    search = django_filters.CharFilter(field_name="log", lookup_expr="icontains")
    is_system_event = django_filters.BooleanFilter()

    class Meta:
        model = AuditLog
        fields = ["project", "environment", "author", "related_object_type", "action", "source", "is_system_event"]
