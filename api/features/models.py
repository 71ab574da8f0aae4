"""Features, their per-environment states and typed values, and multivariate options."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower

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


class FeatureQuerySet(models.QuerySet["Feature"]):
    def for_user(self, user) -> FeatureQuerySet:
        if not user.is_authenticated:
            return self.none()
        return self.filter(project__organisation__memberships__user=user)


class Feature(models.Model):
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
    is_archived = models.BooleanField(default=False)
    created_date = models.DateTimeField(auto_now_add=True)

    objects = FeatureQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            # Flagsmith treats "Checkout" and "checkout" as the same feature.
            models.UniqueConstraint(Lower("name"), "project", name="features_feature_unique_name_per_project"),
        ]

    def __str__(self) -> str:
        return self.name


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


class FeatureState(models.Model):
    """Whether a feature is on in an environment, and with which value (the environment default)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    feature = models.ForeignKey(Feature, on_delete=models.CASCADE, related_name="feature_states")
    environment = models.ForeignKey(Environment, on_delete=models.CASCADE, related_name="feature_states")
    enabled = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["feature", "environment"], name="features_featurestate_unique_default"),
        ]

    def __str__(self) -> str:
        return f"{self.feature.name} in {self.environment.name}"


class FeatureStateValue(AbstractTypedValue):
    """The (control) value of a feature state."""

    feature_state = models.OneToOneField(FeatureState, on_delete=models.CASCADE, related_name="feature_state_value")

    def __str__(self) -> str:
        return f"{self.value!r} ({self.type})"


class MultivariateFeatureOption(AbstractTypedValue):
    """One variant of a multivariate feature, with its default share of identities."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    feature = models.ForeignKey(Feature, on_delete=models.CASCADE, related_name="multivariate_options")
    default_percentage_allocation = models.FloatField(
        default=100, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.feature.name}: {self.value!r}"


class MultivariateFeatureStateValue(models.Model):
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
