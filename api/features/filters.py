from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import F, QuerySet, TextChoices
from django.db.models.functions import Lower

from features.models import Feature, FeatureSegment, FeatureState, FeatureType


class IdListField(forms.CharField):
    """Comma-separated ids (``1,2,3``), cleaned to a list of integers."""

    default_error_messages = {"invalid": "Enter ids separated by commas, such as 1,2."}

    def to_python(self, value: Any) -> list[int] | None:
        value = super().to_python(value)
        if not value:
            return None
        try:
            ids = [int(part) for part in value.split(",") if part.strip()]
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        if not ids or any(item < 1 for item in ids):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return ids


class StrictBooleanField(forms.Field):
    """``true`` or ``false``; unlike django-filter's own, anything else is an error rather than ignored."""

    default_error_messages = {"invalid": 'Enter "true" or "false".'}

    def to_python(self, value: Any) -> bool | None:
        if value in (None, ""):
            return None
        text = str(value).strip().lower()
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid")


class IdListFilter(django_filters.Filter):
    field_class = IdListField


class StrictBooleanFilter(django_filters.Filter):
    field_class = StrictBooleanField


class TagStrategy(TextChoices):
    UNION = "UNION"
    INTERSECTION = "INTERSECTION"


class SortField(TextChoices):
    NAME = "name"
    CREATED_DATE = "created_date"


class SortDirection(TextChoices):
    ASC = "ASC"
    DESC = "DESC"


class FeatureFilterSet(django_filters.FilterSet):
    """The dashboard's feature list filters, with Flagsmith's parameter names."""

    search = django_filters.CharFilter(method="filter_search", help_text="Part of the name, any case.")
    tags = IdListFilter(method="filter_tags", help_text="Tag ids, comma-separated.")
    tag_strategy = django_filters.ChoiceFilter(
        choices=TagStrategy.choices,
        method="keep",
        help_text="UNION (default): features with any of the tags; INTERSECTION: with all of them.",
    )
    is_archived = StrictBooleanFilter(field_name="is_archived")
    type = django_filters.ChoiceFilter(choices=FeatureType.choices)
    sort_field = django_filters.ChoiceFilter(
        choices=SortField.choices, method="keep", help_text="Without it, features come in creation (id) order."
    )
    sort_direction = django_filters.ChoiceFilter(choices=SortDirection.choices, method="keep")

    class Meta:
        model = Feature
        fields = ["search", "tags", "tag_strategy", "is_archived", "type", "sort_field", "sort_direction"]

    def keep(self, queryset: QuerySet[Feature], name: str, value: Any) -> QuerySet[Feature]:
        """For parameters that shape another filter or the order, applied in ``filter_queryset``."""
        return queryset

    def filter_search(self, queryset: QuerySet[Feature], name: str, value: str) -> QuerySet[Feature]:
        return queryset.filter(name__icontains=value)

    def filter_tags(self, queryset: QuerySet[Feature], name: str, tag_ids: list[int]) -> QuerySet[Feature]:
        # Subqueries on the join table rather than joins: no duplicate rows, so no DISTINCT.
        tagged = Feature.tags.through.objects
        if self.form.cleaned_data.get("tag_strategy") == TagStrategy.INTERSECTION:
            for tag_id in set(tag_ids):
                queryset = queryset.filter(id__in=tagged.filter(tag_id=tag_id).values("feature_id"))
            return queryset
        return queryset.filter(id__in=tagged.filter(tag_id__in=tag_ids).values("feature_id"))

    def filter_queryset(self, queryset: QuerySet[Feature]) -> QuerySet[Feature]:
        queryset = super().filter_queryset(queryset)
        sort_field = self.form.cleaned_data.get("sort_field")
        descending = self.form.cleaned_data.get("sort_direction") == SortDirection.DESC
        keys: list[Any] = []
        if sort_field == SortField.NAME:
            keys.append(Lower("name"))
        elif sort_field == SortField.CREATED_DATE:
            keys.append(F("created_date"))
        # The id breaks ties, so pages never overlap or skip a feature.
        keys.append(F("id"))
        return queryset.order_by(*[key.desc() if descending else key.asc() for key in keys])


class FeatureStateFilterSet(django_filters.FilterSet):
    feature = django_filters.NumberFilter(field_name="feature_id")
    feature_name = django_filters.CharFilter(field_name="feature__name", lookup_expr="iexact")
    feature_segment = django_filters.NumberFilter(
        field_name="feature_segment_id", help_text="A segment override's state (without it: environment defaults)."
    )

    class Meta:
        model = FeatureState
        fields = ["feature", "feature_name", "feature_segment"]


class FeatureSegmentFilterSet(django_filters.FilterSet):
    """The list of segment overrides is always of one feature in one environment, as in Flagsmith."""

    environment = django_filters.NumberFilter(field_name="environment_id", required=True)
    feature = django_filters.NumberFilter(field_name="feature_id", required=True)

    class Meta:
        model = FeatureSegment
        fields = ["environment", "feature"]


class SimpleFeatureStateFilterSet(django_filters.FilterSet):
    """``features/featurestates/``: the states of one environment, as Flagsmith filters them."""

    environment = django_filters.NumberFilter(field_name="environment_id", required=True)
    feature = django_filters.NumberFilter(field_name="feature_id")
    feature_segment = django_filters.NumberFilter(field_name="feature_segment_id")

    class Meta:
        model = FeatureState
        fields = ["environment", "feature", "feature_segment"]
