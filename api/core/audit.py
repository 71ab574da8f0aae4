"""Auditing as the domain services see it: snapshots, diffs and ``record``.

Every multi-row write in a ``services.py`` records its audit entry in its own
transaction. The services sit below the ``audit`` app in the layers
(``docs/architecture.md``), so they call ``record`` here; ``audit`` installs the
recorder that writes the entry in its ``ready()``.
"""

from __future__ import annotations

import datetime
import decimal
import uuid
from collections.abc import Iterable
from typing import Any, ClassVar, NamedTuple, Protocol

from django.core.exceptions import ImproperlyConfigured
from django.db import models


class AuditAction(models.TextChoices):
    CREATE = "CREATE", "Created"
    UPDATE = "UPDATE", "Updated"
    DELETE = "DELETE", "Deleted"


# Fields never copied into a diff: secrets and bookkeeping.
HIDDEN_FIELDS = frozenset({"key_hash", "password", "updated_at", "created_date", "created_at", "created", "uuid"})


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


class AuditScope(NamedTuple):
    """Where an audit entry is filed: an organisation, and the project and environment when there are."""

    organisation_id: int
    project_id: int | None = None
    environment_id: int | None = None


class Audited(models.Model):
    """The base of every model whose changes are audited: the model says where its entries belong.

    As NetBox's ``ChangeLoggingMixin``, the model declares its own place in the log
    rather than the log knowing every model: ``audit_object_type`` is the name entries
    are filtered by (``related_object_type``: ``FEATURE_STATE``, ``SEGMENT_OVERRIDE``);
    ``audit_scope()`` the organisation, project and environment of the entry;
    ``audit_flag_states(action)`` the feature states whose served value the change sets
    (or, for a DELETE, takes away), which webhooks announce as ``FLAG_UPDATED`` or
    ``FLAG_DELETED``: none for most models.
    """

    audit_object_type: ClassVar[str]

    class Meta:
        abstract = True

    def audit_scope(self) -> AuditScope:
        raise NotImplementedError(f"{type(self).__name__} does not say where its audit entries belong")

    def audit_flag_states(self, action: str) -> Iterable[Any]:
        return ()


class Recorder(Protocol):
    def __call__(
        self,
        *,
        actor: Any,
        action: str,
        instance: Audited,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
        log: str | None = None,
        changes: dict[str, Any] | None = None,
        object_type: str | None = None,
    ) -> Any: ...


_recorder: Recorder | None = None


def install_recorder(recorder: Recorder) -> None:
    """Called once by the ``audit`` app's ``ready()``."""
    global _recorder
    _recorder = recorder


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
) -> Any:
    """Write one audit entry for a change of ``instance`` by ``actor`` (see ``audit.services.record``)."""
    if _recorder is None:
        # Never drop an entry silently: a change without its audit entry is a bug.
        raise ImproperlyConfigured("The audit app is not installed: nothing can record audit entries.")
    return _recorder(
        actor=actor,
        action=action,
        instance=instance,
        before=before,
        after=after,
        log=log,
        changes=changes,
        object_type=object_type,
    )


__all__ = [
    "HIDDEN_FIELDS",
    "AuditAction",
    "AuditScope",
    "Audited",
    "Recorder",
    "diff",
    "install_recorder",
    "record",
    "snapshot",
]
