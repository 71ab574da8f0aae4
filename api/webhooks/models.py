"""Outgoing webhooks: where to send events, and the durable queue of deliveries."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from core.audit import Audited, AuditScope
from environments.models import Environment
from organisations.models import Organisation


class WebhookEventType(models.TextChoices):
    FLAG_UPDATED = "FLAG_UPDATED"
    FLAG_DELETED = "FLAG_DELETED"
    AUDIT_LOG_CREATED = "AUDIT_LOG_CREATED"
    NEW_VERSION_PUBLISHED = "NEW_VERSION_PUBLISHED"


class EnvironmentWebhook(Audited):
    """Receives FLAG_UPDATED and FLAG_DELETED for one environment's feature states."""

    environment = models.ForeignKey(Environment, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=2000)
    enabled = models.BooleanField(default=True)
    secret = models.CharField(max_length=255, blank=True, default="", help_text="Signs each body (HMAC-SHA256).")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.url

    audit_object_type = "ENVIRONMENT_WEBHOOK"

    def audit_scope(self) -> AuditScope:
        return self.environment.audit_scope()


class OrganisationWebhook(Audited):
    """Receives AUDIT_LOG_CREATED for every audit entry of one organisation."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="webhooks")
    name = models.CharField(max_length=100, blank=True, default="")
    url = models.URLField(max_length=2000)
    enabled = models.BooleanField(default=True)
    secret = models.CharField(max_length=255, blank=True, default="", help_text="Signs each body (HMAC-SHA256).")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name or self.url

    audit_object_type = "ORGANISATION_WEBHOOK"

    def audit_scope(self) -> AuditScope:
        return AuditScope(self.organisation_id)


class DeliveryStatus(models.TextChoices):
    PENDING = "PENDING"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"


class WebhookDelivery(models.Model):
    """One event for one receiver, written in the transaction of the change that caused it.

    The body is frozen at enqueue time (what changed, as it was then); the URL and secret
    too, so editing or deleting a webhook does not rewrite what was already sent. A
    worker claims a due row by pushing ``next_attempt_at`` past the request timeout
    (a lease), so a worker that dies mid-delivery leaves the row to be retried, not lost.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="webhook_deliveries")
    environment_webhook = models.ForeignKey(
        EnvironmentWebhook, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    organisation_webhook = models.ForeignKey(
        OrganisationWebhook, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    event_type = models.CharField(max_length=40, choices=WebhookEventType.choices)
    url = models.URLField(max_length=2000)
    secret = models.CharField(max_length=255, blank=True, default="")
    body = models.TextField(help_text="The exact JSON bytes sent (and signed).")
    status = models.CharField(max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due_idx")]

    def __str__(self) -> str:
        return f"{self.event_type} to {self.url} ({self.status})"
