import django_filters
from django.db.models import QuerySet

from segments.models import Segment


class SegmentFilterSet(django_filters.FilterSet):
    # Flagsmith's dashboard sends ``q``; ``search`` matches the other list endpoints here.
    q = django_filters.CharFilter(method="filter_name", help_text="Part of the name, any case.")
    search = django_filters.CharFilter(method="filter_name", help_text="Part of the name, any case.")
    include_feature_specific = django_filters.BooleanFilter(
        method="filter_include_feature_specific",
        help_text="false leaves out segments that belong to one feature.",
    )
    feature = django_filters.NumberFilter(field_name="feature_id")

    class Meta:
        model = Segment
        fields = ["q", "search", "include_feature_specific", "feature"]

    def filter_name(self, queryset: QuerySet[Segment], name: str, value: str) -> QuerySet[Segment]:
        return queryset.filter(name__icontains=value)

    def filter_include_feature_specific(
        self, queryset: QuerySet[Segment], name: str, value: bool | None
    ) -> QuerySet[Segment]:
        if value is False:
            return queryset.filter(feature__isnull=True)
        return queryset
