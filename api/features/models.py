"""Features, their per-environment states and typed values, and multivariate options."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower

from core.audit import AuditAction, Audited, AuditScope
from environments.models import Environment
from projects.models import Project

# Flagsmith's limits (reference §2.5): values are strings of at most this many
# characters or signed 32-bit integers; there are no float values.
FEATURE_VALUE_LIMIT = 20_000
MAX_32_BIT_INTEGER = 2**31 - 1
MIN_32_BIT_INTEGER = -(2**31)


class FeatureType(models.TextChoices):
    STANDARD = "STANDARD"
    MULTIVARIATE = "MULTIVARIATE"


class FeatureValueType(models.TextChoices):
    """The stored type of a value; the strings are Flagsmith's, as the SDKs and dashboard expect."""

    INTEGER = "int", "Integer"
    STRING = "unicode", "String"
    BOOLEAN = "bool", "Boolean"


class Tag(Audited):
    """A label on features of one project, used to filter and group them."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="tags")
    label = models.CharField(max_length=100)
    color = models.CharField(max_length=10, default="#6837FC")
    description = models.CharField(max_length=512, null=True, blank=True)
    created_date = models.DateTimeField(auto_now_add=True)

    class Meta:
        # Labels need not be unique, as in Flagsmith: its exports and Terraform states may repeat one.
        ordering = ["id"]

    def __str__(self) -> str:
        return self.label

    audit_object_type = "TAG"

    def audit_scope(self) -> AuditScope:
        return self.project.audit_scope()


class FeatureQuerySet(models.QuerySet["Feature"]):
    def for_user(self, user) -> FeatureQuerySet:
        from permissions.checks import projects_for

        return self.filter(project__in=projects_for(user).values("pk"))


class Feature(Audited):
    """A flag or remote-config key of a project; its value per environment is a FeatureState."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="features")
    name = models.CharField(max_length=2000)
    type = models.CharField(max_length=50, choices=FeatureType.choices, default=FeatureType.STANDARD)
    description = models.TextField(null=True, blank=True)
    initial_value = models.CharField(
        max_length=FEATURE_VALUE_LIMIT,
        null=True,
        blank=True,
        help_text="The value given to every environment when the feature is created.",
    )
    default_enabled = models.BooleanField(default=False)
    is_server_key_only = models.BooleanField(default=False, help_text="Only served to server-side keys.")
    is_archived = models.BooleanField(default=False, help_text="Hidden in the dashboard; still served to SDKs.")
    created_date = models.DateTimeField(auto_now_add=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="features")
    owners = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="owned_features")
    group_owners = models.ManyToManyField(
        "organisations.UserPermissionGroup", blank=True, related_name="owned_features"
    )

    objects = FeatureQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            # Flagsmith treats "Checkout" and "checkout" as the same feature.
            models.UniqueConstraint(Lower("name"), "project", name="features_feature_unique_name_per_project"),
        ]

    def __str__(self) -> str:
        return self.name

    audit_object_type = "FEATURE"

    def audit_scope(self) -> AuditScope:
        return self.project.audit_scope()

    def audit_flag_states(self, action: str) -> Iterable[FeatureState]:
        """Deleting a feature takes its flag away from every environment (FLAG_DELETED each)."""
        if action != AuditAction.DELETE:
            return ()
        return FeatureState.objects.filter(feature=self, feature_segment=None, identity=None).select_related(
            "environment", "feature__project"
        )


class AbstractTypedValue(models.Model):
    """A value stored as Flagsmith stores it: a type plus one column per type."""

    type = models.CharField(max_length=10, choices=FeatureValueType.choices, default=FeatureValueType.STRING)
    string_value = models.TextField(null=True, blank=True, validators=[MaxLengthValidator(FEATURE_VALUE_LIMIT)])
    integer_value = models.IntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(MIN_32_BIT_INTEGER), MaxValueValidator(MAX_32_BIT_INTEGER)],
    )
    boolean_value = models.BooleanField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def value(self) -> Any:
        if self.type == FeatureValueType.INTEGER:
            return self.integer_value
        if self.type == FeatureValueType.BOOLEAN:
            return self.boolean_value
        return self.string_value


class FeatureSegment(Audited):
    """A segment override of a feature in one environment; its state is the FeatureState pointing here.

    Among the matching segments of an identity, the override with the lowest
    ``priority`` wins. Priorities are dense from 0 per (feature, environment).
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    feature = models.ForeignKey(Feature, on_delete=models.CASCADE, related_name="feature_segments")
    segment = models.ForeignKey("segments.Segment", on_delete=models.CASCADE, related_name="feature_segments")
    environment = models.ForeignKey(Environment, on_delete=models.CASCADE, related_name="feature_segments")
    priority = models.PositiveIntegerField(default=0, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["priority", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["feature", "segment", "environment"], name="features_featuresegment_unique_override"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.feature.name} for {self.segment.name} (priority {self.priority})"

    audit_object_type = "SEGMENT_OVERRIDE"

    def audit_scope(self) -> AuditScope:
        return self.environment.audit_scope()

    def audit_flag_states(self, action: str) -> Iterable[FeatureState]:
        """Creating or deleting an override adds or takes away its state; a new priority changes no state."""
        if action == AuditAction.UPDATE:
            return ()
        return FeatureState.objects.filter(feature_segment=self)[:1]


class FeatureStateKind(models.TextChoices):
    ENVIRONMENT = "ENVIRONMENT"
    SEGMENT = "SEGMENT"
    IDENTITY = "IDENTITY"


class FeatureState(Audited):
    """Whether a feature is on, and with which value: an environment default, a segment
    override (``feature_segment`` set) or an identity override (``identity`` set).
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    feature = models.ForeignKey(Feature, on_delete=models.CASCADE, related_name="feature_states")
    environment = models.ForeignKey(Environment, on_delete=models.CASCADE, related_name="feature_states")
    feature_segment = models.OneToOneField(
        FeatureSegment, on_delete=models.CASCADE, related_name="feature_state", null=True, blank=True
    )
    identity = models.ForeignKey(
        "identities.Identity", on_delete=models.CASCADE, related_name="identity_overrides", null=True, blank=True
    )
    enabled = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["feature", "environment"],
                condition=models.Q(feature_segment__isnull=True, identity__isnull=True),
                name="features_featurestate_unique_default",
            ),
            models.UniqueConstraint(
                fields=["feature", "identity"],
                condition=models.Q(identity__isnull=False),
                name="features_featurestate_unique_identity_override",
            ),
            models.CheckConstraint(
                condition=models.Q(feature_segment__isnull=True) | models.Q(identity__isnull=True),
                name="features_featurestate_segment_or_identity",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.feature.name} in {self.environment.name}"

    audit_object_type = "FEATURE_STATE"

    def audit_scope(self) -> AuditScope:
        return self.environment.audit_scope()

    def audit_flag_states(self, action: str) -> Iterable[FeatureState]:
        return (self,)

    @property
    def kind(self) -> str:
        if self.identity_id:
            return FeatureStateKind.IDENTITY
        if self.feature_segment_id:
            return FeatureStateKind.SEGMENT
        return FeatureStateKind.ENVIRONMENT


class FeatureStateValue(Audited, AbstractTypedValue):
    """The (control) value of a feature state."""

    feature_state = models.OneToOneField(FeatureState, on_delete=models.CASCADE, related_name="feature_state_value")

    def __str__(self) -> str:
        return f"{self.value!r} ({self.type})"

    audit_object_type = "FEATURE_STATE_VALUE"

    def audit_scope(self) -> AuditScope:
        return self.feature_state.environment.audit_scope()


class MultivariateFeatureOption(Audited, AbstractTypedValue):
    """One variant of a multivariate feature, with its default share of identities."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    feature = models.ForeignKey(Feature, on_delete=models.CASCADE, related_name="multivariate_options")
    key = models.CharField(
        max_length=255, null=True, blank=True, help_text='Names the variant in SDK results; "control" is reserved.'
    )
    default_percentage_allocation = models.FloatField(
        default=100, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.feature.name}: {self.value!r}"

    audit_object_type = "MULTIVARIATE_OPTION"

    def audit_scope(self) -> AuditScope:
        return self.feature.project.audit_scope()


class MultivariateFeatureStateValue(Audited):
    """A variant's share of identities in one feature state."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    feature_state = models.ForeignKey(
        FeatureState, on_delete=models.CASCADE, related_name="multivariate_feature_state_values"
    )
    multivariate_feature_option = models.ForeignKey(
        MultivariateFeatureOption, on_delete=models.CASCADE, related_name="feature_state_values"
    )
    percentage_allocation = models.FloatField(default=100, validators=[MinValueValidator(0), MaxValueValidator(100)])

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["feature_state", "multivariate_feature_option"],
                name="features_mvfsvalue_unique_option_per_state",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.multivariate_feature_option}: {self.percentage_allocation}%"

    audit_object_type = "MULTIVARIATE_FEATURE_STATE_VALUE"

    def audit_scope(self) -> AuditScope:
        return self.feature_state.environment.audit_scope()
