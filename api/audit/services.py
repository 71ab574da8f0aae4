"""Writing audit entries: the recorder behind ``core.audit.record``.

Called by the services that make a change (and the Django admin's save hooks), inside
the change's transaction: the entry commits or rolls back with it. Each entry is
announced with ``audit.signals.entry_recorded`` (webhooks subscribe to it).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from audit.context import current_source
from audit.models import AuditAction, AuditLog
from audit.signals import entry_recorded
from core.audit import Audited, diff, snapshot
from organisations.authentication import is_api_key_user
from users.models import User

__all__ = ["diff", "record", "record_many", "snapshot"]


def _actor_fields(actor: Any) -> dict[str, Any]:
    if is_api_key_user(actor):
        return {"api_key": actor.key}
    if isinstance(actor, User):
        return {"author": actor}
    return {}


def record(
    *,
    actor: Any,
    action: str,
    instance: Audited,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    log: str | None = None,
    changes: dict[str, Any] | None = None,
    object_type: str | None = None,
) -> AuditLog:
    """Write one entry for a change of ``instance`` by ``actor`` (a user, an API key or None).

    ``before``/``after`` are ``snapshot()``s; when ``after`` is left out it is taken
    now (for CREATE and UPDATE). The diff holds only the fields that changed.
    """
    if not isinstance(instance, Audited):
        raise TypeError(f"{type(instance).__name__} is not an audited model (core.audit.Audited)")
    scope = instance.audit_scope()
    if after is None and action != AuditAction.DELETE:
        after = snapshot(instance)
    if changes is None:
        changes = diff(before or {}, after or {})
    kind = object_type or instance.audit_object_type
    entry = AuditLog.objects.create(
        organisation_id=scope.organisation_id,
        project_id=scope.project_id,
        environment_id=scope.environment_id,
        source=current_source(),
        action=action,
        related_object_type=kind,
        related_object_id=instance.pk,
        log=log or f"{kind.replace('_', ' ').capitalize()} {AuditAction(action).label.lower()}: {instance}",
        changes=changes,
        is_system_event=actor is None,
        **_actor_fields(actor),
    )
    # Receivers (webhooks) queue their work in this same transaction.
    entry_recorded.send(sender=AuditLog, entry=entry, instance=instance, before=before)
    return entry


def record_many(*, actor: Any, action: str, instances: Iterable[Audited]) -> None:
    for instance in instances:
        before = snapshot(instance) if action == AuditAction.DELETE else None
        record(actor=actor, action=action, instance=instance, before=before)
