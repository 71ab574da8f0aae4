"""Identities (the users of an SDK's application) and their typed traits."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models

from core.audit import Audited, AuditScope
from environments.models import Environment

# A trait's string value and key are capped as Flagsmith caps them.
TRAIT_STRING_VALUE_LIMIT = 2000
TRAIT_KEY_LIMIT = 200
IDENTIFIER_LIMIT = 2000
# Integer traits live in a signed 64-bit column.
MAX_64_BIT_INTEGER = 2**63 - 1
MIN_64_BIT_INTEGER = -(2**63)


class IdentityQuerySet(models.QuerySet["Identity"]):
    def for_user(self, user) -> IdentityQuerySet:
        from permissions.checks import environments_for
        from permissions.models import VIEW_IDENTITIES

        return self.filter(environment__in=environments_for(user, VIEW_IDENTITIES).values("pk"))


class Identity(Audited):
    """One user of an environment, named by the identifier the application sends."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    identifier = models.CharField(max_length=IDENTIFIER_LIMIT)
    environment = models.ForeignKey(Environment, on_delete=models.CASCADE, related_name="identities")
    created_date = models.DateTimeField(auto_now_add=True)
    dashboard_alias = models.CharField(max_length=100, null=True, blank=True)

    objects = IdentityQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "identities"
        ordering = ["created_date", "id"]
        constraints = [
            models.UniqueConstraint(fields=["environment", "identifier"], name="identities_identity_unique"),
        ]

    def __str__(self) -> str:
        return self.identifier

    audit_object_type = "IDENTITY"

    def audit_scope(self) -> AuditScope:
        return self.environment.audit_scope()

    @property
    def composite_key(self) -> str:
        return f"{self.environment.api_key}_{self.identifier}"


class TraitValueType(models.TextChoices):
    """Stored type of a trait value; Flagsmith's spellings."""

    STRING = "unicode", "String"
    INTEGER = "int", "Integer"
    FLOAT = "float", "Float"
    BOOLEAN = "bool", "Boolean"


class Trait(Audited):
    """A typed key/value of an identity. Integers are 64-bit (Flagsmith's are 32)."""

    identity = models.ForeignKey(Identity, on_delete=models.CASCADE, related_name="traits")
    trait_key = models.CharField(max_length=TRAIT_KEY_LIMIT)
    value_type = models.CharField(max_length=10, choices=TraitValueType.choices, default=TraitValueType.STRING)
    string_value = models.CharField(max_length=TRAIT_STRING_VALUE_LIMIT, null=True, blank=True)
    integer_value = models.BigIntegerField(null=True, blank=True)
    float_value = models.FloatField(null=True, blank=True)
    boolean_value = models.BooleanField(null=True, blank=True)
    created_date = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["identity", "trait_key"], name="identities_trait_unique_key"),
        ]

    def __str__(self) -> str:
        return f"{self.trait_key}={self.trait_value!r}"

    audit_object_type = "TRAIT"

    def audit_scope(self) -> AuditScope:
        return self.identity.environment.audit_scope()

    @property
    def trait_value(self) -> Any:
        return {
            TraitValueType.INTEGER: self.integer_value,
            TraitValueType.FLOAT: self.float_value,
            TraitValueType.BOOLEAN: self.boolean_value,
        }.get(self.value_type, self.string_value)

    @staticmethod
    def value_fields(value: Any) -> dict[str, Any]:
        """Column values for a JSON trait value; a type traits cannot hold is kept as its string."""
        fields: dict[str, Any] = {
            "value_type": TraitValueType.STRING,
            "string_value": None,
            "integer_value": None,
            "float_value": None,
            "boolean_value": None,
        }
        if isinstance(value, bool):
            fields.update(value_type=TraitValueType.BOOLEAN, boolean_value=value)
        elif isinstance(value, int):
            fields.update(value_type=TraitValueType.INTEGER, integer_value=value)
        elif isinstance(value, float):
            fields.update(value_type=TraitValueType.FLOAT, float_value=value)
        else:
            fields["string_value"] = value if isinstance(value, str) or value is None else str(value)
        return fields

    def set_value(self, value: Any) -> None:
        for name, column_value in self.value_fields(value).items():
            setattr(self, name, column_value)
