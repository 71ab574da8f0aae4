from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import Exists, F, OuterRef, Q, QuerySet, TextChoices
from django.db.models.functions import Lower
from django.http import HttpRequest
from rest_framework.exceptions import ValidationError

from environments.models import Environment
from features.models import Feature, FeatureSegment, FeatureState, FeatureType, FeatureValueType


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


class NullableStrictBooleanField(StrictBooleanField):
    """As StrictBooleanField, and ``null`` means no filter: Flagsmith's dashboard sends
    ``is_enabled=null`` when no state is chosen (Flagsmith: BooleanField(allow_null=True)).
    """

    def to_python(self, value: Any) -> bool | None:
        if isinstance(value, str) and value.strip().lower() == "null":
            return None
        return super().to_python(value)


class IdListFilter(django_filters.Filter):
    field_class = IdListField


class StrictBooleanFilter(django_filters.Filter):
    field_class = StrictBooleanField


class NullableStrictBooleanFilter(django_filters.Filter):
    field_class = NullableStrictBooleanField


class TagStrategy(TextChoices):
    UNION = "UNION"
    INTERSECTION = "INTERSECTION"


class SortField(TextChoices):
    NAME = "name"
    CREATED_DATE = "created_date"


class SortDirection(TextChoices):
    ASC = "ASC"
    DESC = "DESC"


def _project_environments(request: HttpRequest | None) -> QuerySet[Environment]:
    """The environments of the listed project that the caller may see."""
    if request is None:
        return Environment.objects.none()
    project_pk = request.parser_context["kwargs"]["project_pk"]  # type: ignore[attr-defined]
    return Environment.objects.for_user(request.user).filter(project_id=project_pk)


class FeatureFilterSet(django_filters.FilterSet):
    """The dashboard's feature list filters, with Flagsmith's parameter names
    (its ``FeatureQuerySerializer``, features/serializers.py).

    With ``environment`` each feature carries its state there (``environment_feature_state``)
    and its override counts; ``is_enabled`` and ``value_search`` filter on that state.
    """

    search = django_filters.CharFilter(method="filter_search", help_text="Part of the name, any case.")
    tags = IdListFilter(method="filter_tags", help_text="Tag ids, comma-separated.")
    tag_strategy = django_filters.ChoiceFilter(
        choices=TagStrategy.choices,
        method="keep",
        help_text="INTERSECTION (default, as Flagsmith): features with all of the tags; UNION: with any of them.",
    )
    is_archived = StrictBooleanFilter(field_name="is_archived")
    type = django_filters.ChoiceFilter(choices=FeatureType.choices)
    sort_field = django_filters.ChoiceFilter(
        choices=SortField.choices, method="keep", help_text="Without it, features come in creation (id) order."
    )
    sort_direction = django_filters.ChoiceFilter(choices=SortDirection.choices, method="keep")
    environment = django_filters.ModelChoiceFilter(
        queryset=_project_environments,
        method="keep",
        help_text="Id of an environment of the project: each feature comes with its state there.",
    )
    segment = django_filters.NumberFilter(
        method="keep",
        help_text="With environment: the segment's override state comes along, its features first.",
    )
    identity = django_filters.NumberFilter(method="keep", help_text="Features this identity overrides come first.")
    is_enabled = NullableStrictBooleanFilter(method="keep", help_text="With environment: enabled or disabled there.")
    value_search = django_filters.CharFilter(
        method="keep",
        help_text="With environment: a string value containing it (any case), or an equal boolean or integer.",
    )
    owners = IdListFilter(method="filter_owners", help_text="User ids, comma-separated: features any of them owns.")
    group_owners = IdListFilter(
        method="filter_group_owners", help_text="Group ids, comma-separated: features any of them owns."
    )

    class Meta:
        model = Feature
        fields = [
            "search",
            "tags",
            "tag_strategy",
            "is_archived",
            "type",
            "sort_field",
            "sort_direction",
            "environment",
            "segment",
            "identity",
            "is_enabled",
            "value_search",
            "owners",
            "group_owners",
        ]

    def keep(self, queryset: QuerySet[Feature], name: str, value: Any) -> QuerySet[Feature]:
        """For parameters that shape another filter or the order, applied in ``filter_queryset``."""
        return queryset

    def filter_search(self, queryset: QuerySet[Feature], name: str, value: str) -> QuerySet[Feature]:
        return queryset.filter(name__icontains=value)

    def filter_tags(self, queryset: QuerySet[Feature], name: str, tag_ids: list[int]) -> QuerySet[Feature]:
        # Subqueries on the join table rather than joins: no duplicate rows, so no DISTINCT.
        tagged = Feature.tags.through.objects
        if self.form.cleaned_data.get("tag_strategy") != TagStrategy.UNION:
            for tag_id in set(tag_ids):
                queryset = queryset.filter(id__in=tagged.filter(tag_id=tag_id).values("feature_id"))
            return queryset
        return queryset.filter(id__in=tagged.filter(tag_id__in=tag_ids).values("feature_id"))

    def filter_owners(self, queryset: QuerySet[Feature], name: str, user_ids: list[int]) -> QuerySet[Feature]:
        owned = Feature.owners.through.objects.filter(user_id__in=user_ids)
        return queryset.filter(id__in=owned.values("feature_id"))

    def filter_group_owners(self, queryset: QuerySet[Feature], name: str, group_ids: list[int]) -> QuerySet[Feature]:
        owned = Feature.group_owners.through.objects.filter(userpermissiongroup_id__in=group_ids)
        return queryset.filter(id__in=owned.values("feature_id"))

    def _filter_by_state(self, queryset: QuerySet[Feature], environment: Environment) -> QuerySet[Feature]:
        """Flagsmith's ``apply_state_to_queryset``: on the environment default state."""
        data = self.form.cleaned_data
        states = FeatureState.objects.filter(
            environment=environment, identity__isnull=True, feature_segment__isnull=True
        )
        if data.get("is_enabled") is not None:
            states = states.filter(enabled=data["is_enabled"])
        value_search = data.get("value_search")
        if value_search:
            match = Q(
                feature_state_value__type=FeatureValueType.STRING,
                feature_state_value__string_value__icontains=value_search,
            )
            if value_search.lower() in ("true", "false"):
                match |= Q(
                    feature_state_value__type=FeatureValueType.BOOLEAN,
                    feature_state_value__boolean_value=value_search.lower() == "true",
                )
            if value_search.isdigit():
                match |= Q(
                    feature_state_value__type=FeatureValueType.INTEGER,
                    feature_state_value__integer_value=int(value_search),
                )
            states = states.filter(match)
        return queryset.filter(id__in=states.values("feature_id"))

    def filter_queryset(self, queryset: QuerySet[Feature]) -> QuerySet[Feature]:
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        environment = data.get("environment")
        if data.get("is_enabled") is not None or data.get("value_search"):
            if environment is None:
                raise ValidationError(
                    {"environment": ["Filtering by is_enabled or value_search needs an environment."]}
                )
            queryset = self._filter_by_state(queryset, environment)
        # As Flagsmith: features the segment or the identity overrides come first.
        keys: list[Any] = []
        if environment is not None and data.get("segment") is not None:
            queryset = queryset.annotate(
                has_segment_override=Exists(
                    FeatureSegment.objects.filter(
                        feature=OuterRef("pk"), environment=environment, segment_id=data["segment"]
                    )
                )
            )
            keys.append(F("has_segment_override").desc())
        if data.get("identity") is not None:
            queryset = queryset.annotate(
                has_identity_override=Exists(
                    FeatureState.objects.filter(feature=OuterRef("pk"), identity_id=data["identity"])
                )
            )
            keys.append(F("has_identity_override").desc())
        sort_field = data.get("sort_field")
        descending = data.get("sort_direction") == SortDirection.DESC
        sort_keys: list[Any] = []
        if sort_field == SortField.NAME:
            sort_keys.append(Lower("name"))
        elif sort_field == SortField.CREATED_DATE:
            sort_keys.append(F("created_date"))
        # The id breaks ties, so pages never overlap or skip a feature.
        sort_keys.append(F("id"))
        keys += [key.desc() if descending else key.asc() for key in sort_keys]
        return queryset.order_by(*keys)


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
