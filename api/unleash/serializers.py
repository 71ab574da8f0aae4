"""Request bodies of the Unleash client API, as the SDKs send them; anything else is a 400."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from analytics import services as analytics_services

# Unleash SDKs and Edge count in unsigned 32-bit integers: a larger count is no SDK's, and
# would only poison the analytics buffer (its flush could never write the sum).
MAX_COUNT = analytics_services.MAX_COUNT
# Edge sends one batch per environment, cut to a bounded size; these are far above it.
MAX_BULK_METRICS = 10_000
MAX_BULK_APPLICATIONS = 1_000
MAX_TOKENS = 1_000


class RegisterSerializer(serializers.Serializer):
    """``POST /api/client/register``: only ``appName`` is required; nothing is stored."""

    appName = serializers.CharField(max_length=255)  # noqa: N815 - Unleash's field name
    instanceId = serializers.CharField(max_length=255, required=False, allow_blank=True)  # noqa: N815
    sdkVersion = serializers.CharField(max_length=255, required=False, allow_blank=True)  # noqa: N815
    strategies = serializers.ListField(child=serializers.CharField(max_length=255), required=False)
    interval = serializers.IntegerField(required=False, min_value=0)


class ToggleCountSerializer(serializers.Serializer):
    yes = serializers.IntegerField(min_value=0, max_value=MAX_COUNT, required=False, default=0)
    no = serializers.IntegerField(min_value=0, max_value=MAX_COUNT, required=False, default=0)
    variants = serializers.DictField(
        child=serializers.IntegerField(min_value=0, max_value=MAX_COUNT), required=False, allow_null=True
    )


class BucketSerializer(serializers.Serializer):
    start = serializers.DateTimeField(required=False)
    stop = serializers.DateTimeField(required=False)
    toggles = serializers.DictField(child=ToggleCountSerializer(), required=False, default=dict)


class MetricsSerializer(serializers.Serializer):
    """``POST /api/client/metrics``: ``appName`` required; ``bucket`` optional, as in Unleash."""

    appName = serializers.CharField(max_length=255)  # noqa: N815
    instanceId = serializers.CharField(max_length=255, required=False, allow_blank=True)  # noqa: N815
    bucket = BucketSerializer(required=False, allow_null=True)


class BoundedListField(serializers.ListField):
    """A list whose length is checked before its items: a huge batch costs no per-item validation."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, list) and self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)


class FrontendContextSerializer(serializers.Serializer):
    """``POST /api/frontend``'s body, for the schema: the context is read by ``unleash.frontend``."""

    context = serializers.DictField(
        required=False,
        help_text="userId, sessionId, properties (text), and appName, environment, remoteAddress, currentTime.",
    )


@extend_schema_field({"oneOf": [{"type": "string", "format": "date-time"}, {"type": "number"}]})
class StartedField(serializers.Field):
    """``started``: an ISO 8601 time or epoch milliseconds, as Unleash's schema allows."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, (int, float)) and not isinstance(data, bool):
            return data
        return serializers.DateTimeField().to_internal_value(data)

    def to_representation(self, value: Any) -> Any:
        return value


class FrontendRegisterSerializer(serializers.Serializer):
    """``POST /api/frontend/client/register``: Unleash's ``frontendApiClientSchema``; nothing is stored."""

    appName = serializers.CharField(max_length=255)  # noqa: N815
    instanceId = serializers.CharField(max_length=255, required=False, allow_blank=True)  # noqa: N815
    sdkVersion = serializers.CharField(max_length=255, required=False, allow_blank=True)  # noqa: N815
    environment = serializers.CharField(max_length=255, required=False, allow_blank=True)
    interval = serializers.FloatField(min_value=0)
    started = StartedField()
    strategies = serializers.ListField(child=serializers.CharField(max_length=255), max_length=100)


class MetricsEnvSerializer(serializers.Serializer):
    """One of Edge's per-feature counts (Unleash's ``clientMetricsEnvSchema``)."""

    featureName = serializers.CharField(max_length=2000)  # noqa: N815
    appName = serializers.CharField(max_length=255)  # noqa: N815
    environment = serializers.CharField(max_length=255)
    timestamp = serializers.DateTimeField(required=False)
    yes = serializers.IntegerField(min_value=0, max_value=MAX_COUNT, required=False, default=0)
    no = serializers.IntegerField(min_value=0, max_value=MAX_COUNT, required=False, default=0)
    variants = serializers.DictField(
        child=serializers.IntegerField(min_value=0, max_value=MAX_COUNT), required=False, allow_null=True
    )


class BulkRegistrationSerializer(serializers.Serializer):
    """An SDK registration Edge forwards (``bulkRegistrationSchema``); validated, not stored."""

    appName = serializers.CharField(max_length=255)  # noqa: N815
    instanceId = serializers.CharField(max_length=255, allow_blank=True, required=False, allow_null=True)  # noqa: N815
    environment = serializers.CharField(max_length=255, allow_blank=True, required=False, allow_null=True)


class BulkMetricsSerializer(serializers.Serializer):
    """``POST /api/client/metrics/bulk``: ``applications`` and ``metrics`` required, as in Unleash."""

    applications = BoundedListField(child=BulkRegistrationSerializer(), max_length=MAX_BULK_APPLICATIONS)
    metrics = BoundedListField(child=MetricsEnvSerializer(), max_length=MAX_BULK_METRICS)


class TokenListSerializer(serializers.Serializer):
    """``POST /edge/validate``: the tokens to check."""

    tokens = serializers.ListField(
        child=serializers.CharField(max_length=1000, allow_blank=True), max_length=MAX_TOKENS
    )
