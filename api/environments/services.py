"""Environment keys, and the marker of what SDKs see."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.utils import timezone

from environments.models import Environment, EnvironmentAPIKey


def create_server_key(
    *, environment: Environment, name: str, expires_at: datetime | None = None, active: bool = True
) -> EnvironmentAPIKey:
    """Create a ``ser.`` key; the plain key is on the returned object, once."""
    key = EnvironmentAPIKey.generate_key()
    api_key = EnvironmentAPIKey(environment=environment, name=name, expires_at=expires_at, active=active)
    api_key.set_key(key)
    api_key.save()
    api_key.plain_key = key  # type: ignore[attr-defined]
    return api_key


def mark_environments_changed(
    *,
    environment_ids: Iterable[int] | None = None,
    project_id: int | None = None,
    organisation_id: int | None = None,
) -> None:
    """Bump ``updated_at`` of the environments whose SDK view a write changes.

    ``updated_at`` is the environment document's version: call this inside the
    write's transaction, so the new version becomes visible exactly when the
    change does, and a rolled-back write leaves the version alone.
    """
    environments = Environment.objects.all()
    if environment_ids is not None:
        environments = environments.filter(id__in=list(environment_ids))
    if project_id is not None:
        environments = environments.filter(project_id=project_id)
    if organisation_id is not None:
        environments = environments.filter(project__organisation_id=organisation_id)
    environments.update(updated_at=timezone.now())
