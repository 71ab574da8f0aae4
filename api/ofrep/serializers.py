"""OFREP request and response shapes for the OpenAPI schema.

Requests are read by ``services.parse_context`` rather than a DRF serializer:
OFREP's context is free-form (attributes sit flat beside ``targetingKey``) and
its errors are ``errorCode``s, not field lists.
"""

from __future__ import annotations

from rest_framework import serializers


class EvaluationRequestSerializer(serializers.Serializer):
    context = serializers.DictField(required=False, help_text="targetingKey and attributes, flat.")


class EvaluationSuccessSerializer(serializers.Serializer):
    key = serializers.CharField()
    value = serializers.JSONField(required=False, help_text="Absent: use the code default (a disabled flag).")
    reason = serializers.ChoiceField(["STATIC", "TARGETING_MATCH", "SPLIT", "DISABLED", "DEFAULT", "UNKNOWN"])
    variant = serializers.CharField()


class BulkEvaluationSerializer(serializers.Serializer):
    flags = EvaluationSuccessSerializer(many=True)


class EvaluationFailureSerializer(serializers.Serializer):
    key = serializers.CharField(required=False)
    errorCode = serializers.CharField()  # noqa: N815 - OFREP's field name
    errorDetails = serializers.CharField(required=False)  # noqa: N815


class PollingSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()
    minPollingIntervalMs = serializers.IntegerField()  # noqa: N815


class CacheInvalidationSerializer(serializers.Serializer):
    polling = PollingSerializer()


class FlagEvaluationCapabilitySerializer(serializers.Serializer):
    supportedTypes = serializers.ListField(child=serializers.CharField())  # noqa: N815


class CapabilitiesSerializer(serializers.Serializer):
    cacheInvalidation = CacheInvalidationSerializer()  # noqa: N815
    flagEvaluation = FlagEvaluationCapabilitySerializer()  # noqa: N815


class ConfigurationSerializer(serializers.Serializer):
    name = serializers.CharField()
    capabilities = CapabilitiesSerializer()
