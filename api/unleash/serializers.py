"""Request bodies of the Unleash client API, as the SDKs send them; anything else is a 400."""

from __future__ import annotations

from rest_framework import serializers


class RegisterSerializer(serializers.Serializer):
    """``POST /api/client/register``: only ``appName`` is required; nothing is stored."""

    appName = serializers.CharField(max_length=255)  # noqa: N815 - Unleash's field name
    instanceId = serializers.CharField(max_length=255, required=False, allow_blank=True)  # noqa: N815
    sdkVersion = serializers.CharField(max_length=255, required=False, allow_blank=True)  # noqa: N815
    strategies = serializers.ListField(child=serializers.CharField(max_length=255), required=False)
    interval = serializers.IntegerField(required=False, min_value=0)


class ToggleCountSerializer(serializers.Serializer):
    yes = serializers.IntegerField(min_value=0, required=False, default=0)
    no = serializers.IntegerField(min_value=0, required=False, default=0)
    variants = serializers.DictField(child=serializers.IntegerField(min_value=0), required=False)


class BucketSerializer(serializers.Serializer):
    start = serializers.DateTimeField(required=False)
    stop = serializers.DateTimeField(required=False)
    toggles = serializers.DictField(child=ToggleCountSerializer(), required=False, default=dict)


class MetricsSerializer(serializers.Serializer):
    """``POST /api/client/metrics``: ``appName`` required; ``bucket`` optional, as in Unleash."""

    appName = serializers.CharField(max_length=255)  # noqa: N815
    instanceId = serializers.CharField(max_length=255, required=False, allow_blank=True)  # noqa: N815
    bucket = BucketSerializer(required=False)
