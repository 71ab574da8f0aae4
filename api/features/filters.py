import django_filters
from django.db.models import QuerySet

from features.models import Feature, FeatureState, FeatureType


class FeatureFilterSet(django_filters.FilterSet):
    search = django_filters.CharFilter(method="filter_search", help_text="Part of the name, any case.")
    is_archived = django_filters.BooleanFilter()
    type = django_filters.ChoiceFilter(choices=FeatureType.choices)

    class Meta:
        model = Feature
        fields = ["search", "is_archived", "type"]

    def filter_search(self, queryset: QuerySet[Feature], name: str, value: str) -> QuerySet[Feature]:
        return queryset.filter(name__icontains=value)


class FeatureStateFilterSet(django_filters.FilterSet):
    feature = django_filters.NumberFilter(field_name="feature_id")
    feature_name = django_filters.CharFilter(field_name="feature__name", lookup_expr="iexact")

    class Meta:
        model = FeatureState
        fields = ["feature", "feature_name"]
