"""The environment's version: ``Environment.updated_at``, bumped through ``core.versions``."""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from core.versions import batch, in_batch, mark_environments_changed, published, touch
from environments.models import Environment

__all__ = ["batch", "bump", "in_batch", "mark_environments_changed", "published", "touch"]


def bump(environment_ids: set[int], project_ids: set[int], organisation_ids: set[int]) -> list[int]:
    """One UPDATE of ``updated_at`` for these environments and every environment of these projects and organisations."""
    ids = set(environment_ids)
    if project_ids or organisation_ids:
        ids.update(
            Environment.objects.filter(
                Q(project_id__in=project_ids) | Q(project__organisation_id__in=organisation_ids)
            ).values_list("id", flat=True)
        )
    if not ids:
        return []
    changed = sorted(ids)
    Environment.objects.filter(id__in=changed).update(updated_at=timezone.now())
    return changed
