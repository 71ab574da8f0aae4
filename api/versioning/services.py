"""Versions of features: enabling v2 versioning, drafts, publishing, schedules, rollbacks, diffs.

Every write runs in one ``versions.batch()`` (one transaction, one version bump of
the environment) and records its audit entry. Writes to one feature's versions lock
the feature's row first (``select_for_update``), so concurrent publishes of a
feature queue one behind the other, and the rows a version is applied to are never
written by two transactions at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from rest_framework import exceptions

from core.audit import AuditAction, record
from core.exceptions import ChangeRequestRequired
from environments import versions
from environments.models import Environment
from features.models import (
    Feature,
    FeatureSegment,
    FeatureState,
    FeatureStateValue,
    FeatureValueType,
    MultivariateFeatureStateValue,
)
from features.services import typed_value_fields
from organisations.authentication import is_api_key_user
from users.models import User
from versioning.models import EnvironmentFeatureVersion, VersionFeatureState, VersionMultivariateValue
from versioning.signals import version_went_live

NOT_V2 = "Environment must use v2 feature versioning."
ALREADY_V2 = "Environment already using v2 versioning."
NOT_USING_V2 = "Environment is not using v2 versioning."
ALREADY_PUBLISHED = "This version is published: it cannot change. Create a new version instead."
LIVE_NOT_DELETABLE = "Cannot delete a live version."


class VersioningError(exceptions.APIException):
    """A refused change of a version: a 400 whose ``detail`` says why (Flagsmith's FeatureVersioningError)."""

    status_code = 400
    default_code = "feature_versioning_error"


# --- what a version holds ---------------------------------------------------------------------


@dataclass
class StateData:
    """A version's state as plain data: copied between versions and into the live rows."""

    segment_id: int | None
    priority: int | None
    enabled: bool
    value_type: str
    value: Any
    shares: dict[int, float]  # option id -> percentage allocation

    def as_dict(self) -> dict[str, Any]:
        return {
            "segment": self.segment_id,
            "priority": self.priority,
            "enabled": self.enabled,
            "type": self.value_type,
            "feature_state_value": self.value,
            "multivariate_feature_state_values": {str(key): share for key, share in sorted(self.shares.items())},
        }


def version_states(version: EnvironmentFeatureVersion) -> list[StateData]:
    states = list(version.feature_states.prefetch_related("multivariate_feature_state_values"))
    return [
        StateData(
            segment_id=state.segment_id,
            priority=state.priority,
            enabled=state.enabled,
            value_type=state.type,
            value=state.value,
            shares={
                share.multivariate_feature_option_id: share.percentage_allocation
                for share in state.multivariate_feature_state_values.all()
            },
        )
        for state in states
    ]


def live_row_states(environment: Environment, feature: Feature) -> list[StateData]:
    """The feature's environment default and segment overrides as the live rows hold them."""
    rows = (
        FeatureState.objects.filter(environment=environment, feature=feature, identity__isnull=True)
        .select_related("feature_state_value", "feature_segment")
        .prefetch_related("multivariate_feature_state_values")
        .order_by("id")
    )
    return [_row_state(row) for row in rows]


def _row_state(row: FeatureState) -> StateData:
    """A live row (its value and feature segment selected, its shares prefetched) as plain data."""
    value = getattr(row, "feature_state_value", None)
    return StateData(
        segment_id=row.feature_segment.segment_id if row.feature_segment_id else None,
        priority=row.feature_segment.priority if row.feature_segment_id else None,
        enabled=row.enabled,
        value_type=value.type if value is not None else FeatureValueType.STRING,
        value=value.value if value is not None else None,
        shares={
            share.multivariate_feature_option_id: share.percentage_allocation
            for share in row.multivariate_feature_state_values.all()
        },
    )


def _write_states(version: EnvironmentFeatureVersion, states: Iterable[StateData]) -> None:
    states = list(states)
    created = VersionFeatureState.objects.bulk_create(
        [
            VersionFeatureState(
                version=version,
                segment_id=state.segment_id,
                priority=state.priority,
                enabled=state.enabled,
                **typed_value_fields(state.value_type, state.value),
            )
            for state in states
        ]
    )
    VersionMultivariateValue.objects.bulk_create(
        [
            VersionMultivariateValue(
                feature_state=row, multivariate_feature_option_id=option_id, percentage_allocation=share
            )
            for row, state in zip(created, states, strict=True)
            for option_id, share in sorted(state.shares.items())
        ]
    )


def _dense_priorities(version: EnvironmentFeatureVersion) -> None:
    """Segment overrides of a version keep priorities 0..n-1, in their order."""
    overrides = list(version.feature_states.filter(segment__isnull=False).order_by("priority", "id"))
    for index, state in enumerate(overrides):
        if state.priority != index:
            VersionFeatureState.objects.filter(pk=state.pk).update(priority=index)


# --- reading versions -------------------------------------------------------------------------


def live_version(environment_id: int, feature_id: int, at: datetime | None = None) -> EnvironmentFeatureVersion | None:
    """The version SDKs see at ``at`` (now): the published one with the latest live_from come (later-created on a tie)."""
    return (
        EnvironmentFeatureVersion.objects.published()
        .filter(environment_id=environment_id, feature_id=feature_id, live_from__lte=at or timezone.now())
        .order_by("-live_from", "-created_at", "-id")
        .first()
    )


def previous_version(version: EnvironmentFeatureVersion) -> EnvironmentFeatureVersion | None:
    """The published version before this one (by live_from; for a draft, the one live now)."""
    candidates = EnvironmentFeatureVersion.objects.published().filter(
        environment_id=version.environment_id, feature_id=version.feature_id
    )
    if version.live_from is None:
        return live_version(version.environment_id, version.feature_id)
    return (
        candidates.filter(
            Q(live_from__lt=version.live_from) | Q(live_from=version.live_from, created_at__lt=version.created_at)
        )
        .exclude(pk=version.pk)
        .order_by("-live_from", "-created_at", "-id")
        .first()
    )


def _key(state: StateData) -> str:
    return "environment_default" if state.segment_id is None else f"segment:{state.segment_id}"


def diff_states(before: list[StateData], after: list[StateData]) -> list[dict[str, Any]]:
    """Field-level differences between two versions' states: one item per changed field."""
    old = {_key(state): state.as_dict() for state in before}
    new = {_key(state): state.as_dict() for state in after}
    changes: list[dict[str, Any]] = []
    for key in sorted(old.keys() | new.keys()):
        segment = (new.get(key) or old.get(key) or {}).get("segment")
        if key not in old:
            changes.append({"state": key, "segment": segment, "change": "added", "new": new[key]})
            continue
        if key not in new:
            changes.append({"state": key, "segment": segment, "change": "removed", "old": old[key]})
            continue
        for field in ("enabled", "feature_state_value", "type", "priority", "multivariate_feature_state_values"):
            if old[key][field] != new[key][field]:
                changes.append(
                    {
                        "state": key,
                        "segment": segment,
                        "change": "changed",
                        "field": field,
                        "old": old[key][field],
                        "new": new[key][field],
                    }
                )
    return changes


def diff_versions(version: EnvironmentFeatureVersion, other: EnvironmentFeatureVersion | None) -> list[dict[str, Any]]:
    """What changes going from ``other`` (None: nothing) to ``version``."""
    return diff_states(version_states(other) if other is not None else [], version_states(version))


# --- writing ----------------------------------------------------------------------------------


def _actor_fields(actor: Any, prefix: str) -> dict[str, Any]:
    if is_api_key_user(actor):
        return {f"{prefix}_api_key": actor.key, prefix: None}
    if isinstance(actor, User):
        return {prefix: actor, f"{prefix}_api_key": None}
    return {prefix: None, f"{prefix}_api_key": None}


def _lock_feature(feature_id: int) -> Feature:
    # Every write to one feature's versions (and to its live rows through them) queues here.
    return Feature.objects.select_for_update().get(pk=feature_id)


def _audit(actor: Any, version: EnvironmentFeatureVersion, action: str, log: str, changes: Any) -> None:
    record(actor=actor, action=action, instance=version, log=log, changes={"states": changes})


def enable_v2_versioning(environment: Environment, actor: Any) -> Environment:
    """Turn versioning on: every feature's current state becomes its first, live version."""
    with versions.batch():
        environment = Environment.objects.select_for_update().get(pk=environment.pk)
        if environment.use_v2_feature_versioning:
            raise VersioningError(ALREADY_V2)
        environment.use_v2_feature_versioning = True
        environment.save(update_fields=["use_v2_feature_versioning"])
        _initial_versions(environment)
        versions.touch([environment.pk])
        record(
            actor=actor,
            action=AuditAction.UPDATE,
            instance=environment,
            log=f"Feature versioning (v2) enabled for environment: {environment.name}",
            changes={"use_v2_feature_versioning": {"old": False, "new": True}},
        )
    return environment


def disable_v2_versioning(environment: Environment, actor: Any) -> Environment:
    """Turn versioning off: the live flags stay as they are, scheduled changes are cancelled.

    Due versions are applied first, so what SDKs are served does not change. The
    history is kept (Flagsmith deletes it); enabling again starts a new first version.
    """
    with versions.batch():
        environment = Environment.objects.select_for_update().get(pk=environment.pk)
        if not environment.use_v2_feature_versioning:
            raise VersioningError(NOT_USING_V2)
        now = timezone.now()
        for feature_id in (
            EnvironmentFeatureVersion.objects.pending()
            .filter(environment=environment, live_from__lte=now)
            .values_list("feature_id", flat=True)
            .distinct()
        ):
            _lock_feature(feature_id)
            _apply_due_for_feature(environment.pk, feature_id, now)
        for version in (
            EnvironmentFeatureVersion.objects.alive()
            .filter(environment=environment, published_at__isnull=False, live_from__gt=now)
            .select_related("feature")
        ):
            version.deleted_at = now
            version.save(update_fields=["deleted_at", "updated_at"])
            _audit(
                actor,
                version,
                AuditAction.DELETE,
                f"Scheduled change cancelled for feature: {version.feature.name}",
                [],
            )
        environment.use_v2_feature_versioning = False
        environment.save(update_fields=["use_v2_feature_versioning"])
        versions.touch([environment.pk])
        record(
            actor=actor,
            action=AuditAction.UPDATE,
            instance=environment,
            log=f"Feature versioning (v2) disabled for environment: {environment.name}",
            changes={"use_v2_feature_versioning": {"old": True, "new": False}},
        )
    return environment


def _initial_versions(environment: Environment) -> None:
    """Every feature's first version, from the live rows: a fixed number of queries, whatever their number."""
    now = timezone.now()
    feature_ids = list(
        Feature.objects.filter(project_id=environment.project_id).order_by("id").values_list("id", flat=True)
    )
    created = EnvironmentFeatureVersion.objects.bulk_create(
        [
            EnvironmentFeatureVersion(
                environment=environment, feature_id=feature_id, published_at=now, live_from=now, applied_at=now
            )
            for feature_id in feature_ids
        ]
    )
    if created and created[0].pk is None:  # a database that returns no ids from a bulk insert
        created = list(EnvironmentFeatureVersion.objects.filter(environment=environment, published_at=now))
    by_feature = {version.feature_id: version for version in created}
    rows = (
        FeatureState.objects.filter(environment=environment, identity__isnull=True, feature_id__in=feature_ids)
        .select_related("feature_state_value", "feature_segment")
        .prefetch_related("multivariate_feature_state_values")
        .order_by("id")
    )
    pairs = [(by_feature[row.feature_id], _row_state(row)) for row in rows]
    states = VersionFeatureState.objects.bulk_create(
        [
            VersionFeatureState(
                version=version,
                segment_id=state.segment_id,
                priority=state.priority,
                enabled=state.enabled,
                **typed_value_fields(state.value_type, state.value),
            )
            for version, state in pairs
        ]
    )
    VersionMultivariateValue.objects.bulk_create(
        [
            VersionMultivariateValue(
                feature_state=row, multivariate_feature_option_id=option_id, percentage_allocation=share
            )
            for row, (_version, state) in zip(states, pairs, strict=True)
            for option_id, share in sorted(state.shares.items())
        ]
    )


def _initial_version(environment: Environment, feature: Feature) -> EnvironmentFeatureVersion:
    now = timezone.now()
    version = EnvironmentFeatureVersion.objects.create(
        environment=environment, feature=feature, published_at=now, live_from=now, applied_at=now
    )
    _write_states(version, live_row_states(environment, feature))
    return version


def ensure_initial_version(environment: Environment, feature: Feature) -> None:
    """A feature created after versioning was enabled gets its first version on first use."""
    if not environment.use_v2_feature_versioning:
        return
    if EnvironmentFeatureVersion.objects.filter(environment=environment, feature=feature).exists():
        return
    with transaction.atomic():
        _lock_feature(feature.pk)
        if not EnvironmentFeatureVersion.objects.filter(environment=environment, feature=feature).exists():
            _initial_version(environment, feature)


def base_states(environment: Environment, feature: Feature) -> list[StateData]:
    """What a new draft starts from: the live version, else the live rows."""
    live = live_version(environment.pk, feature.pk)
    return version_states(live) if live is not None else live_row_states(environment, feature)


def create_version(
    environment: Environment,
    feature: Feature,
    actor: Any,
    *,
    description: str | None = None,
    states: list[StateData] | None = None,
    restored_from: EnvironmentFeatureVersion | None = None,
    live_from: datetime | None = None,
) -> EnvironmentFeatureVersion:
    """A new draft: a copy of ``states`` (by default, what is live now); ``live_from`` is when
    publishing it (directly or by committing a change request) makes it live."""
    if not environment.use_v2_feature_versioning:
        raise VersioningError({"environment": NOT_V2})
    with versions.batch():
        _lock_feature(feature.pk)
        ensure_initial_version(environment, feature)
        version = EnvironmentFeatureVersion.objects.create(
            environment=environment,
            feature=feature,
            description=description,
            restored_from=restored_from,
            live_from=live_from,
            **_actor_fields(actor, "created_by"),
        )
        _write_states(version, states if states is not None else base_states(environment, feature))
        _audit(
            actor,
            version,
            AuditAction.CREATE,
            f"Draft version created for feature: {feature.name}",
            diff_versions(version, live_version(environment.pk, feature.pk)),
        )
    return version


def _require_draft(version: EnvironmentFeatureVersion) -> None:
    if version.published_at is not None:
        raise VersioningError(ALREADY_PUBLISHED)


def publish(
    version: EnvironmentFeatureVersion,
    actor: Any,
    live_from: datetime | None = None,
    *,
    change_request: Any = None,
) -> EnvironmentFeatureVersion:
    """Publish a draft: live now, or from ``live_from``.

    A ``live_from`` in the past (or now) publishes now, as Flagsmith does
    (``EnvironmentFeatureVersion.publish``). A version live now is applied to the
    live rows in this transaction; a scheduled one when its time comes, by
    whichever process gets there first (``apply_due``), while the document compiler
    serves it from ``live_from`` on in any case.
    """
    with versions.batch():
        _lock_feature(version.feature_id)
        version = EnvironmentFeatureVersion.objects.select_related("environment", "feature").get(pk=version.pk)
        if version.deleted_at is not None:
            raise exceptions.NotFound("No such version.")
        if version.environment.minimum_change_request_approvals is not None and change_request is None:
            # Four eyes: only committing an approved change request publishes here.
            raise ChangeRequestRequired(version.environment.api_key)
        _require_draft(version)
        now = timezone.now()
        scheduled = live_from is not None and live_from > now
        previous = live_version(version.environment_id, version.feature_id)
        version.published_at = now
        version.live_from = live_from if scheduled else now
        for name, value in _actor_fields(actor, "published_by").items():
            setattr(version, name, value)
        version.save()
        changes = diff_versions(version, previous)
        if version.restored_from_id is not None:
            log = f"Version {version.restored_from.uuid} restored for feature: {version.feature.name}"
        elif scheduled:
            log = f"Version scheduled for {version.live_from.isoformat()} for feature: {version.feature.name}"
        else:
            # Flagsmith's ENVIRONMENT_FEATURE_VERSION_PUBLISHED_MESSAGE.
            log = f"New version published for feature: {version.feature.name}"
        _audit(actor, version, AuditAction.UPDATE, log, changes)
        if scheduled:
            # The documents of this environment now stop being valid at live_from: a new version.
            versions.touch([version.environment_id])
        else:
            _apply_due_for_feature(version.environment_id, version.feature_id, now)
    return version


def delete_version(version: EnvironmentFeatureVersion, actor: Any) -> None:
    """Delete a draft, or cancel a scheduled change; a live version stays (history is never rewritten)."""
    with versions.batch():
        _lock_feature(version.feature_id)
        version = EnvironmentFeatureVersion.objects.select_related("environment", "feature").get(pk=version.pk)
        if version.deleted_at is not None:
            raise exceptions.NotFound("No such version.")
        if version.published_at is not None and version.live_from <= timezone.now():
            raise VersioningError(LIVE_NOT_DELETABLE)
        scheduled = version.published_at is not None
        version.deleted_at = timezone.now()
        version.save(update_fields=["deleted_at", "updated_at"])
        kind = "Scheduled change cancelled" if scheduled else "Draft version deleted"
        _audit(actor, version, AuditAction.DELETE, f"{kind} for feature: {version.feature.name}", [])
        if scheduled:
            versions.touch([version.environment_id])


def restore(
    version: EnvironmentFeatureVersion, actor: Any, live_from: datetime | None = None
) -> EnvironmentFeatureVersion:
    """Roll back: publish a new version that copies ``version`` (now or from ``live_from``)."""
    if version.published_at is None:
        raise VersioningError("Only a published version can be restored.")
    with versions.batch():
        copy = create_version(
            version.environment,
            version.feature,
            actor,
            description=f"Restores version {version.uuid}",
            states=version_states(version),
            restored_from=version,
        )
        return publish(copy, actor, live_from)


# --- going live: writing a version's states into the live rows -----------------------------------


def _apply_due_for_feature(environment_id: int, feature_id: int, now: datetime) -> list[EnvironmentFeatureVersion]:
    """Apply, in order, every published version of the feature whose time has come. The caller locks the feature."""
    due = list(
        EnvironmentFeatureVersion.objects.pending()
        .filter(environment_id=environment_id, feature_id=feature_id, live_from__lte=now)
        .select_related("environment", "feature", "published_by")
        .order_by("live_from", "created_at", "id")
    )
    for version in due:
        _apply(version, now)
    return due


def apply_due(now: datetime | None = None, limit: int = 100) -> int:
    """Apply the scheduled versions whose time has come, in any environment; how many were applied.

    Run by ``versioning.scheduler`` in every API process. Each feature is applied in
    its own transaction under the feature's lock; a version another process applied
    meanwhile is skipped.
    """
    now = now or timezone.now()
    pairs = list(
        EnvironmentFeatureVersion.objects.pending()
        .filter(live_from__lte=now)
        .order_by("live_from", "created_at", "id")
        .values_list("environment_id", "feature_id")[:limit]
    )
    applied = 0
    for environment_id, feature_id in dict.fromkeys(pairs):
        with versions.batch():
            _lock_feature(feature_id)
            applied += len(_apply_due_for_feature(environment_id, feature_id, now))
    return applied


def _apply(version: EnvironmentFeatureVersion, now: datetime) -> None:
    """Write the version's states into the feature's live rows, in the caller's transaction."""
    environment, feature = version.environment, version.feature
    states = version_states(version)
    previous = {state.segment_id: state for state in live_row_states(environment, feature)}
    rows = {
        row.feature_segment.segment_id if row.feature_segment_id else None: row
        for row in FeatureState.objects.filter(
            environment=environment, feature=feature, identity__isnull=True
        ).select_related("feature_segment")
    }
    wanted = {state.segment_id for state in states if state.segment_id is not None}
    # Overrides the version no longer holds go (their states with them).
    FeatureSegment.objects.filter(environment=environment, feature=feature).exclude(segment_id__in=wanted).delete()
    for state in states:
        row = rows.get(state.segment_id)
        if row is None:
            feature_segment = None
            if state.segment_id is not None:
                feature_segment = FeatureSegment.objects.create(
                    feature=feature, environment=environment, segment_id=state.segment_id, priority=state.priority or 0
                )
            row = FeatureState.objects.create(
                feature=feature, environment=environment, feature_segment=feature_segment, enabled=state.enabled
            )
        else:
            row.enabled = state.enabled
            row.save(update_fields=["enabled", "updated_at"])
            if row.feature_segment_id and row.feature_segment.priority != state.priority:
                FeatureSegment.objects.filter(pk=row.feature_segment_id).update(priority=state.priority or 0)
        FeatureStateValue.objects.update_or_create(
            feature_state=row, defaults=typed_value_fields(state.value_type, state.value)
        )
        MultivariateFeatureStateValue.objects.filter(feature_state=row).exclude(
            multivariate_feature_option_id__in=list(state.shares)
        ).delete()
        for option_id, share in state.shares.items():
            MultivariateFeatureStateValue.objects.update_or_create(
                feature_state=row, multivariate_feature_option_id=option_id, defaults={"percentage_allocation": share}
            )
    version.applied_at = now
    version.save(update_fields=["applied_at", "updated_at"])
    versions.touch([environment.pk])
    if version.published_at is not None and version.published_at < version.live_from:
        # A scheduled change: its going live is a step of its own in the audit log.
        _audit(None, version, AuditAction.UPDATE, f"Scheduled version went live for feature: {feature.name}", [])
    changed = [
        state.segment_id
        for state in states
        if state.segment_id not in previous or previous[state.segment_id].as_dict() != state.as_dict()
    ]
    version_went_live.send(sender=EnvironmentFeatureVersion, version=version, previous=previous, changed=changed)


# --- editing a draft's states (versions/{uuid}/featurestates/) ----------------------------------


def _locked_draft(version: EnvironmentFeatureVersion) -> EnvironmentFeatureVersion:
    _lock_feature(version.feature_id)
    version = EnvironmentFeatureVersion.objects.get(pk=version.pk)
    if version.deleted_at is not None:
        raise exceptions.NotFound("No such version.")
    _require_draft(version)
    return version


def save_draft_state(version: EnvironmentFeatureVersion, state: StateData, row: VersionFeatureState | None = None):
    """Add a segment override to a draft (``row`` None) or change one of its states."""
    with transaction.atomic():
        version = _locked_draft(version)
        if row is None:
            if state.segment_id is None:
                raise VersioningError("A version has one environment default already; change it instead.")
            if version.feature_states.filter(segment_id=state.segment_id).exists():
                raise VersioningError("This segment already overrides the feature in this version.")
            if state.priority is None:
                state.priority = version.feature_states.filter(segment__isnull=False).count()
            _write_states(version, [state])
            row = version.feature_states.get(segment_id=state.segment_id)
        else:
            if row.segment_id != state.segment_id:
                raise VersioningError("A state's segment cannot change; delete it and add another.")
            row.enabled = state.enabled
            row.priority = state.priority if row.segment_id is not None else None
            for name, value in typed_value_fields(state.value_type, state.value).items():
                setattr(row, name, value)
            row.save()
            VersionMultivariateValue.objects.filter(feature_state=row).delete()
            VersionMultivariateValue.objects.bulk_create(
                [
                    VersionMultivariateValue(
                        feature_state=row, multivariate_feature_option_id=option_id, percentage_allocation=share
                    )
                    for option_id, share in sorted(state.shares.items())
                ]
            )
        _dense_priorities(version)
        EnvironmentFeatureVersion.objects.filter(pk=version.pk).update(updated_at=timezone.now())
        return VersionFeatureState.objects.get(pk=row.pk)


def delete_draft_state(version: EnvironmentFeatureVersion, row: VersionFeatureState) -> None:
    with transaction.atomic():
        version = _locked_draft(version)
        if row.segment_id is None:
            raise VersioningError("Cannot delete environment default feature state.")
        row.delete()
        _dense_priorities(version)


def state_data(row: VersionFeatureState) -> StateData:
    return StateData(
        segment_id=row.segment_id,
        priority=row.priority,
        enabled=row.enabled,
        value_type=row.type,
        value=row.value,
        shares={
            share.multivariate_feature_option_id: share.percentage_allocation
            for share in row.multivariate_feature_state_values.all()
        },
    )
