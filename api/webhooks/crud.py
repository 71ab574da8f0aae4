"""Saving and deleting webhook settings, audited (the secret never enters the audit log)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from audit.models import AuditAction
from audit.services import record, snapshot
from webhooks.models import EnvironmentWebhook, OrganisationWebhook

Webhook = EnvironmentWebhook | OrganisationWebhook


def _snapshot(hook: Webhook) -> dict[str, Any]:
    values = snapshot(hook)
    values.pop("secret", None)
    return values


def save(hook: Webhook, data: dict[str, Any], user: Any) -> Webhook:
    created = hook.pk is None
    with transaction.atomic():
        before = None if created else _snapshot(type(hook).objects.get(pk=hook.pk))
        for field, value in data.items():
            setattr(hook, field, value)
        hook.save()
        after = _snapshot(hook)
        if created or after != before:
            record(
                actor=user,
                action=AuditAction.CREATE if created else AuditAction.UPDATE,
                instance=hook,
                before=before,
                after=after,
                log=f"Webhook {'created' if created else 'updated'}: {hook.url}",
            )
    return hook


def delete(hook: Webhook, user: Any) -> None:
    with transaction.atomic():
        record(
            actor=user,
            action=AuditAction.DELETE,
            instance=hook,
            before=_snapshot(hook),
            log=f"Webhook deleted: {hook.url}",
        )
        hook.delete()
