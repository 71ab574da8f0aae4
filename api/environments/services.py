"""Environment keys, clones, and the marker of what SDKs see."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from core.audit import AuditAction, record, snapshot
from environments import versions
from environments.models import Environment, EnvironmentAPIKey
from environments.signals import environment_cloned, environment_created
from environments.versions import mark_environments_changed
from permissions.models import EnvironmentPermission
from users.models import User


def create_server_key(
    *,
    environment: Environment,
    name: str,
    expires_at: datetime | None = None,
    active: bool = True,
    user: Any = None,
) -> EnvironmentAPIKey:
    """Create a ``ser.`` key; the plain key is on the returned object, once."""
    key = EnvironmentAPIKey.generate_key()
    api_key = EnvironmentAPIKey(environment=environment, name=name, expires_at=expires_at, active=active)
    api_key.set_key(key)
    with transaction.atomic():
        api_key.save()
        record(actor=user, action=AuditAction.CREATE, instance=api_key)
    api_key.plain_key = key  # type: ignore[attr-defined]
    return api_key


def update_server_key(api_key: EnvironmentAPIKey, data: dict[str, Any], user: Any) -> EnvironmentAPIKey:
    with transaction.atomic():
        before = snapshot(api_key)
        for field, value in data.items():
            setattr(api_key, field, value)
        api_key.save()
        record(actor=user, action=AuditAction.UPDATE, instance=api_key, before=before)
    return api_key


def delete_server_key(api_key: EnvironmentAPIKey, user: Any) -> None:
    with transaction.atomic():
        record(actor=user, action=AuditAction.DELETE, instance=api_key, before=snapshot(api_key))
        api_key.delete()


def create_environment(data: dict[str, Any], user: Any) -> Environment:
    """An environment with a default state for every feature of its project, all or nothing."""
    with transaction.atomic():
        environment = Environment.objects.create(**data)
        environment_created.send(sender=Environment, environment=environment)
        if isinstance(user, User):
            # As Flagsmith (environments/views.py, perform_create): whoever creates an
            # environment (CREATE_ENVIRONMENT is enough) administers it; an API key gets no grant.
            EnvironmentPermission.objects.create(environment=environment, user=user, admin=True)
        record(actor=user, action=AuditAction.CREATE, instance=environment)
    return environment


def update_environment(environment: Environment, data: dict[str, Any], user: Any) -> Environment:
    with transaction.atomic():
        before = snapshot(environment)
        for field, value in data.items():
            setattr(environment, field, value)
        environment.save()
        mark_environments_changed(environment_ids=[environment.pk])
        record(actor=user, action=AuditAction.UPDATE, instance=environment, before=before)
    return environment


def delete_environment(environment: Environment, user: Any) -> None:
    with versions.batch():
        record(actor=user, action=AuditAction.DELETE, instance=environment, before=snapshot(environment))
        environment.delete()


# What a clone takes from its source; every other field of Environment is the
# clone's own (keys, ids, dates). A new Environment field must be added to one of
# these two lists: environments/tests/test_clone.py fails until it is.
CLONED_ENVIRONMENT_FIELDS = (
    "description",
    "allow_client_traits",
    "hide_sensitive_data",
    "hide_disabled_flags",
    "use_identity_composite_key_for_hashing",
    "use_identity_overrides_in_local_eval",
    "use_mv_v2_evaluation",
    "minimum_change_request_approvals",
    "protected",
    "banner_text",
    "banner_colour",
)
# A clone starts without feature versions (its flags are the source's live states); versioning is enabled anew.
NOT_CLONED_ENVIRONMENT_FIELDS = (
    "id",
    "uuid",
    "name",
    "project",
    "api_key",
    "created_date",
    "updated_at",
    "use_v2_feature_versioning",
)


def clone_environment(source: Environment, name: str, user: Any = None) -> Environment:
    """A new environment of the same project that serves what ``source`` serves.

    It gets a new client key, ``source``'s settings, a copy of every environment
    default (enabled, value, variant shares) and every segment override (same
    priorities, with their states). Identities, identity overrides and server
    keys stay with ``source``. All or nothing: one transaction.
    """
    with transaction.atomic():
        clone = Environment.objects.create(
            project_id=source.project_id,
            name=name,
            **{field: getattr(source, field) for field in CLONED_ENVIRONMENT_FIELDS},
        )
        environment_cloned.send(sender=Environment, source=source, clone=clone)
        record(
            actor=user, action=AuditAction.CREATE, instance=clone, log=f"Environment cloned from {source.name}: {clone}"
        )
    return clone
