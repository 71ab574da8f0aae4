"""Writing audit entries: the recorder behind ``core.audit.record``.

Called by the services that make a change (and the Django admin's save hooks), inside
the change's transaction: the entry commits or rolls back with it. Each entry is
announced with ``audit.signals.entry_recorded`` (webhooks subscribe to it).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models

from audit.context import current_source
from audit.models import AuditAction, AuditLog
from audit.signals import entry_recorded
from core.audit import diff, snapshot
from environments.models import Environment, EnvironmentAPIKey
from features.models import FeatureSegment, MultivariateFeatureOption
from organisations.authentication import is_api_key_user
from organisations.models import Organisation, OrganisationAPIKey, UserOrganisation, UserPermissionGroup
from projects.models import Project
from users.models import User

__all__ = ["diff", "object_type_of", "record", "record_many", "scope_of", "snapshot"]


def object_type_of(instance: models.Model) -> str:
    """``FEATURE_STATE`` for FeatureState: the type name entries are filtered by."""
    special = {
        EnvironmentAPIKey: "SERVER_KEY",
        FeatureSegment: "SEGMENT_OVERRIDE",
        MultivariateFeatureOption: "MULTIVARIATE_OPTION",
        OrganisationAPIKey: "ORGANISATION_API_KEY",
        UserOrganisation: "MEMBERSHIP",
        UserPermissionGroup: "USER_GROUP",
    }
    for model, name in special.items():
        if isinstance(instance, model):
            return name
    name = type(instance).__name__
    return "".join(f"_{char}" if char.isupper() and index else char for index, char in enumerate(name)).upper()


def scope_of(instance: models.Model) -> tuple[int | None, int | None, int | None]:
    """``(organisation_id, project_id, environment_id)`` of the instance."""
    if isinstance(instance, Organisation):
        return instance.pk, None, None
    if isinstance(instance, Project):
        return instance.organisation_id, instance.pk, None
    if isinstance(instance, Environment):
        return instance.project.organisation_id, instance.project_id, instance.pk
    for path in ("environment", "identity.environment", "feature_state.environment", "feature_segment.environment"):
        target: Any = instance
        for part in path.split("."):
            target = getattr(target, part, None)
        if isinstance(target, Environment):
            return target.project.organisation_id, target.project_id, target.pk
    for path in ("project", "feature.project", "segment.project"):
        target = instance
        for part in path.split("."):
            target = getattr(target, part, None)
        if isinstance(target, Project):
            return target.organisation_id, target.pk, None
    organisation = getattr(instance, "organisation", None) or getattr(
        getattr(instance, "group", None), "organisation", None
    )
    if isinstance(organisation, Organisation):
        return organisation.pk, None, None
    raise ValueError(f"No audit scope for {type(instance).__name__}")


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
    instance: models.Model,
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
    organisation_id, project_id, environment_id = scope_of(instance)
    if after is None and action != AuditAction.DELETE:
        after = snapshot(instance)
    if changes is None:
        changes = diff(before or {}, after or {})
    kind = object_type or object_type_of(instance)
    entry = AuditLog.objects.create(
        organisation_id=organisation_id,
        project_id=project_id,
        environment_id=environment_id,
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


def record_many(*, actor: Any, action: str, instances: Iterable[models.Model]) -> None:
    for instance in instances:
        before = snapshot(instance) if action == AuditAction.DELETE else None
        record(actor=actor, action=action, instance=instance, before=before)
