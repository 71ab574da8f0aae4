import django_filters
from django.db.models import QuerySet

from identities.models import Identity


class IdentityFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_q", help_text='Part of the identifier; in double quotes ("alice") the whole identifier.'
    )

    class Meta:
        model = Identity
        fields = ["q"]

    def filter_q(self, queryset: QuerySet[Identity], name: str, value: str) -> QuerySet[Identity]:
        # Flagsmith's convention: a quoted query is an exact match.
        if len(value) >= 2 and value.startswith('"') and value.endswith('"'):
            return queryset.filter(identifier=value[1:-1])
        return queryset.filter(identifier__icontains=value)
