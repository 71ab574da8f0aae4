"""Request bodies of the SDK API, validated strictly: a bad body is a 400 that names the problem."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import serializers

from core.serializers import RejectUnknownFieldsMixin
from identities.models import IDENTIFIER_LIMIT, MAX_64_BIT_INTEGER, MIN_64_BIT_INTEGER, TRAIT_KEY_LIMIT
from identities.serializers import TraitValueField


class TraitInputSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    trait_key = serializers.CharField(max_length=TRAIT_KEY_LIMIT)
    trait_value = TraitValueField(allow_null=True)
    transient = serializers.BooleanField(required=False, default=False)


class IdentifyRequestSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """``POST /identities/``: an identifier (optional: none means a transient identity) and traits."""

    identifier = serializers.CharField(
        max_length=IDENTIFIER_LIMIT, required=False, allow_null=True, allow_blank=True, trim_whitespace=False
    )
    transient = serializers.BooleanField(required=False, default=False)
    traits = TraitInputSerializer(many=True, required=False, allow_null=True)

    def to_internal_value(self, data: Any) -> Any:
        # Counted before the traits are validated one by one: a huge list costs no per-item work.
        traits = data.get("traits") if isinstance(data, dict) else None
        if isinstance(traits, list) and len(traits) > settings.MAX_TRAITS_PER_REQUEST:
            raise serializers.ValidationError(
                {"traits": [f"A request may carry at most {settings.MAX_TRAITS_PER_REQUEST} traits."]}
            )
        return super().to_internal_value(data)

    def validate_traits(self, traits: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
        # allow_null reaches the items too (DRF passes it to the child): a null item is no trait.
        if any(trait is None for trait in traits or []):
            raise serializers.ValidationError("Each trait must be an object with trait_key and trait_value.")
        keys = [trait["trait_key"] for trait in traits or []]
        duplicates = sorted({key for key in keys if keys.count(key) > 1})
        if duplicates:
            raise serializers.ValidationError(f"Each trait key may appear once; repeated: {', '.join(duplicates)}.")
        return traits or []


class IdentityReferenceSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    identifier = serializers.CharField(max_length=IDENTIFIER_LIMIT, trim_whitespace=False)


class TraitRequestSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """``POST /traits/`` and each item of ``PUT /traits/bulk/``."""

    identity = IdentityReferenceSerializer()
    trait_key = serializers.CharField(max_length=TRAIT_KEY_LIMIT)
    trait_value = TraitValueField(allow_null=True)


class IncrementTraitRequestSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    identifier = serializers.CharField(max_length=IDENTIFIER_LIMIT, trim_whitespace=False)
    trait_key = serializers.CharField(max_length=TRAIT_KEY_LIMIT)
    increment_by = serializers.IntegerField(min_value=MIN_64_BIT_INTEGER, max_value=MAX_64_BIT_INTEGER)


class EvaluationReportSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """One item of a v2 analytics report."""

    feature_name = serializers.CharField(max_length=2000)
    identity_identifier = serializers.CharField(
        max_length=IDENTIFIER_LIMIT, required=False, allow_null=True, allow_blank=True
    )
    enabled_when_evaluated = serializers.BooleanField(required=False, allow_null=True, default=None)
    count = serializers.IntegerField(min_value=0, max_value=MAX_64_BIT_INTEGER)


class EvaluationReportsSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    # Far more than one SDK flush holds; a longer list is refused before its items are read.
    evaluations = EvaluationReportSerializer(many=True, max_length=10_000)
