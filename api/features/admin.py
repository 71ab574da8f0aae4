from django.contrib import admin
from django.db import models, transaction

from core.admin import AuditedModelAdmin
from features import services
from features.models import (
    Feature,
    FeatureSegment,
    FeatureState,
    FeatureStateValue,
    MultivariateFeatureOption,
    MultivariateFeatureStateValue,
)


def _versioned(feature_state: FeatureState | None) -> bool:
    """A flag of an environment with v2 feature versioning: it changes through versions only, as in the API."""
    if feature_state is None or feature_state.identity_id is not None:
        return False
    environment = feature_state.environment
    return environment.use_v2_feature_versioning or environment.minimum_change_request_approvals is not None


class VersionedReadOnlyMixin:
    """Shows flags of a versioned environment read-only (the API refuses direct writes there too)."""

    def _state(self, obj):  # type: ignore[no-untyped-def]
        return obj

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return not _versioned(self._state(obj)) and super().has_change_permission(request, obj)  # type: ignore[misc]

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return not _versioned(self._state(obj)) and super().has_delete_permission(request, obj)  # type: ignore[misc]


class MultivariateFeatureOptionInline(admin.TabularInline):
    model = MultivariateFeatureOption
    extra = 0
    fields = ("type", "string_value", "integer_value", "boolean_value", "default_percentage_allocation")


@admin.register(Feature)
class FeatureAdmin(AuditedModelAdmin):
    list_display = ("id", "name", "project", "type", "default_enabled", "is_server_key_only", "is_archived")
    list_filter = ("type", "default_enabled", "is_server_key_only", "is_archived", "project__organisation")
    search_fields = ("name", "description", "project__name", "project__organisation__name")
    raw_id_fields = ("project",)
    readonly_fields = ("uuid", "created_date")
    inlines = [MultivariateFeatureOptionInline]

    def save_related(self, request, form, formsets, change):  # type: ignore[no-untyped-def]
        # A feature added here needs its environment defaults like one added by the API;
        # after the inlines are saved, so the defaults include the variants' shares.
        with transaction.atomic():
            super().save_related(request, form, formsets, change)
            if not change:
                services.create_feature_states_for_feature(form.instance)


class FeatureStateValueInline(admin.StackedInline):
    model = FeatureStateValue
    can_delete = False


class MultivariateFeatureStateValueInline(admin.TabularInline):
    model = MultivariateFeatureStateValue
    extra = 0
    raw_id_fields = ("multivariate_feature_option",)


@admin.register(FeatureState)
class FeatureStateAdmin(VersionedReadOnlyMixin, AuditedModelAdmin):
    list_display = ("id", "feature", "environment", "enabled", "updated_at")
    list_filter = ("enabled", "environment__project__organisation")
    search_fields = ("feature__name", "environment__name", "environment__api_key")
    raw_id_fields = ("feature", "environment")
    readonly_fields = ("uuid", "created_at", "updated_at")
    list_select_related = ("feature", "environment__project")
    inlines = [FeatureStateValueInline, MultivariateFeatureStateValueInline]


@admin.register(FeatureStateValue)
class FeatureStateValueAdmin(VersionedReadOnlyMixin, AuditedModelAdmin):
    def _state(self, obj):  # type: ignore[no-untyped-def]
        return obj.feature_state if obj is not None else None

    list_display = ("id", "feature_state", "type", "string_value", "integer_value", "boolean_value")
    list_filter = ("type",)
    search_fields = ("string_value", "feature_state__feature__name", "feature_state__environment__name")
    raw_id_fields = ("feature_state",)


@admin.register(MultivariateFeatureOption)
class MultivariateFeatureOptionAdmin(AuditedModelAdmin):
    list_display = (
        "id",
        "feature",
        "type",
        "string_value",
        "integer_value",
        "boolean_value",
        "default_percentage_allocation",
    )
    list_filter = ("type",)
    search_fields = ("string_value", "feature__name", "feature__project__name")
    raw_id_fields = ("feature",)
    readonly_fields = ("uuid",)


@admin.register(MultivariateFeatureStateValue)
class MultivariateFeatureStateValueAdmin(VersionedReadOnlyMixin, AuditedModelAdmin):
    def _state(self, obj):  # type: ignore[no-untyped-def]
        return obj.feature_state if obj is not None else None

    list_display = ("id", "feature_state", "multivariate_feature_option", "percentage_allocation")
    list_filter = ("feature_state__environment__project__organisation",)
    search_fields = ("feature_state__feature__name", "feature_state__environment__name")
    raw_id_fields = ("feature_state", "multivariate_feature_option")
    readonly_fields = ("uuid",)


# Priorities are kept dense by the API's services, so the admin shows them read-only.
@admin.register(FeatureSegment)
class FeatureSegmentAdmin(AuditedModelAdmin):
    list_display = ("id", "feature", "segment", "environment", "priority", "created_at")
    list_filter = ("environment__project__organisation",)
    search_fields = ("feature__name", "segment__name", "environment__name", "environment__api_key")
    raw_id_fields = ("feature", "segment", "environment")
    readonly_fields = ("uuid", "priority", "created_at")
    list_select_related = ("feature", "segment", "environment__project")

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        # An override needs its feature state and a place in the priorities: the API creates both.
        return False

    def _versioned(self, obj) -> bool:  # type: ignore[no-untyped-def]
        return obj is not None and (
            obj.environment.use_v2_feature_versioning or obj.environment.minimum_change_request_approvals is not None
        )

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return not self._versioned(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return not self._versioned(obj) and super().has_delete_permission(request, obj)

    def delete_model(self, request, obj):  # type: ignore[no-untyped-def]
        services.delete_segment_override(obj, request.user)

    def delete_queryset(self, request, queryset):  # type: ignore[no-untyped-def]
        versioned = queryset.filter(
            models.Q(environment__use_v2_feature_versioning=True)
            | models.Q(environment__minimum_change_request_approvals__isnull=False)
        )
        if versioned.exists():
            self.message_user(
                request,
                "Overrides in environments with feature versioning change through versions only; they were kept.",
                level="warning",
            )
        for feature_segment in queryset.exclude(pk__in=versioned.values("pk")):
            services.delete_segment_override(feature_segment, request.user)
