"""The version of what SDKs see of an environment: ``Environment.updated_at``.

Every write that changes an environment's SDK view bumps its version inside the
write's transaction, so the new version becomes visible exactly when the change
does and a rolled-back write leaves the version alone. Once the transaction
commits, ``published`` is sent with the environments' ids; the read model
(``documents``) connects to it to drop its cached versions and precompile.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from environments.models import Environment

# Sent after the commit that made new versions: ``environment_ids`` (a list of ints).
published = Signal()


def _publish(environment_ids: list[int]) -> None:
    published.send(sender=Environment, environment_ids=environment_ids)


def mark_environments_changed(
    *,
    environment_ids: Iterable[int] | None = None,
    project_id: int | None = None,
    organisation_id: int | None = None,
) -> None:
    """Bump ``updated_at`` of the environments whose SDK view a write changes.

    Call this inside the write's transaction; the new versions are published after
    its commit.
    """
    environments = Environment.objects.all()
    if environment_ids is not None:
        environments = environments.filter(id__in=list(environment_ids))
    if project_id is not None:
        environments = environments.filter(project_id=project_id)
    if organisation_id is not None:
        environments = environments.filter(project__organisation_id=organisation_id)
    changed = list(environments.values_list("id", flat=True))
    if not changed:
        return
    Environment.objects.filter(id__in=changed).update(updated_at=timezone.now())
    # Every process learns of the new versions once they are visible, not before.
    transaction.on_commit(partial(_publish, changed))
