"""Granting and revoking permissions; every change is audited."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from core.audit import AuditAction, record, snapshot
from permissions.models import Grant


def _snapshot(grant: Grant) -> dict[str, Any]:
    return snapshot(grant, {"permissions": sorted(grant.permissions.values_list("key", flat=True))})


def save_grant(grant: Grant, data: dict[str, Any], user: Any) -> Grant:
    """Create or change a grant; ``data`` holds model fields and optionally ``permissions`` (keys)."""
    data = dict(data)
    keys = data.pop("permissions", None)
    created = grant.pk is None
    with transaction.atomic():
        before = {} if created else _snapshot(grant)
        for field, value in data.items():
            setattr(grant, field, value)
        grant.save()
        if keys is not None:
            grant.permissions.set(keys)
        record(
            actor=user,
            action=AuditAction.CREATE if created else AuditAction.UPDATE,
            instance=grant,
            before=before,
            after=_snapshot(grant),
        )
    return grant


def delete_grant(grant: Grant, user: Any) -> None:
    with transaction.atomic():
        record(actor=user, action=AuditAction.DELETE, instance=grant, before=_snapshot(grant))
        grant.delete()
