"""Writing audit entries. Called by the services that make a change (and the Django
admin's save hooks), inside the change's transaction: the entry commits or rolls back
with it.
"""

from __future__ import annotations

import datetime
import decimal
import uuid
from collections.abc import Iterable
from typing import Any

from django.db import models

from audit.context import current_source
from audit.models import AuditAction, AuditLog
from organisations.authentication import is_api_key_user

# Fields never copied into a diff: secrets and bookkeeping.
HIDDEN_FIELDS = frozenset({"key_hash", "password", "updated_at", "created_date", "created_at", "created", "uuid"})


def object_type_of(instance: models.Model) -> str:
    """``FEATURE_STATE`` for FeatureState: the type name entries are filtered by."""
    from environments.models import EnvironmentAPIKey
    from features.models import FeatureSegment, MultivariateFeatureOption
    from organisations.models import OrganisationAPIKey, UserOrganisation, UserPermissionGroup

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


def _json(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple | set):
        return [_json(item) for item in value]
    return value


def snapshot(instance: models.Model | None, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The instance's own column values (foreign keys as ids), JSON-ready, plus ``extra``."""
    if instance is None:
        return {}
    values = {
        field.attname if field.is_relation else field.name: _json(getattr(instance, field.attname))
        for field in instance._meta.concrete_fields
        if field.name not in HIDDEN_FIELDS and not field.primary_key
    }
    values.update({key: _json(value) for key, value in (extra or {}).items()})
    return values


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        key: {"old": before.get(key), "new": after.get(key)}
        for key in sorted(before.keys() | after.keys())
        if before.get(key) != after.get(key)
    }


def scope_of(instance: models.Model) -> tuple[int | None, int | None, int | None]:
    """``(organisation_id, project_id, environment_id)`` of the instance."""
    from environments.models import Environment
    from organisations.models import Organisation
    from projects.models import Project

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
    from users.models import User

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
    # Organisation and environment webhooks are queued in this same transaction.
    from webhooks.services import audit_log_created

    audit_log_created(entry, instance, before)
    return entry


def record_many(*, actor: Any, action: str, instances: Iterable[models.Model]) -> None:
    for instance in instances:
        before = snapshot(instance) if action == AuditAction.DELETE else None
        record(actor=actor, action=action, instance=instance, before=before)
