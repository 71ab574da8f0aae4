from __future__ import annotations

from typing import Any

from rest_framework import serializers

from core import outbound
from webhooks.models import EnvironmentWebhook, OrganisationWebhook, WebhookDelivery


def validate_webhook_url(value: str) -> str:
    """An http(s) URL whose host resolves only to addresses the server may call."""
    if not value.lower().startswith(("http://", "https://")):
        raise serializers.ValidationError("Enter an http:// or https:// URL.")
    try:
        outbound.check(value)
    except outbound.OutboundRefused as exc:
        raise serializers.ValidationError(str(exc)) from exc
    return value


class EnvironmentWebhookSerializer(serializers.ModelSerializer):
    url = serializers.URLField(max_length=2000, validators=[validate_webhook_url])

    class Meta:
        model = EnvironmentWebhook
        fields = ["id", "url", "enabled", "secret", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]
        # The signing secret is set, never shown again (docs/security.md#webhook-secrets).
        extra_kwargs = {"secret": {"write_only": True}}


class OrganisationWebhookSerializer(serializers.ModelSerializer):
    url = serializers.URLField(max_length=2000, validators=[validate_webhook_url])

    class Meta:
        model = OrganisationWebhook
        fields = ["id", "name", "url", "enabled", "secret", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]
        extra_kwargs = {"secret": {"write_only": True}}


class WebhookScopeSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["environment", "organisation"])
    id = serializers.CharField(max_length=100, help_text="The environment's API key or the organisation's id.")


class TestWebhookSerializer(serializers.Serializer):
    webhook_url = serializers.URLField(max_length=2000, validators=[validate_webhook_url])
    secret = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    scope = WebhookScopeSerializer()


class TestWebhookResultSerializer(serializers.Serializer):
    detail = serializers.CharField()
    status = serializers.IntegerField(required=False)
    body = serializers.CharField(required=False)

    def to_representation(self, instance: Any) -> Any:
        return instance


class WebhookDeliverySerializer(serializers.ModelSerializer):
    """One delivery as the dashboard lists it: what, how it went, how often it was tried (no body, no secret)."""

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event_type",
            "status",
            "attempts",
            "last_status_code",
            "last_error",
            "created_at",
            "delivered_at",
            "next_attempt_at",
        ]
        read_only_fields = fields
