"""Writes of identities, their traits and their feature overrides.

Identities and traits alone change nothing SDKs download, so they leave
``Environment.updated_at`` alone. Identity overrides are listed in the
environment document, so every write of one marks its environment changed in
the same transaction.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from core.audit import AuditAction, record, snapshot
from environments.models import Environment
from environments.versions import mark_environments_changed
from features.models import Feature, FeatureState, FeatureStateValue
from features.services import copy_feature_states, feature_state_snapshot, json_typed_value, update_feature_state
from identities.models import Identity, Trait

IDENTIFIER_TAKEN = "An identity with this identifier already exists in this environment."
TRAIT_KEY_TAKEN = "This identity already has a trait with this key."
OVERRIDE_EXISTS = "This identity already overrides this feature."


def create_identity(environment: Environment, data: dict[str, Any], user: Any) -> Identity:
    try:
        with transaction.atomic():
            identity = Identity.objects.create(environment=environment, **data)
            record(actor=user, action=AuditAction.CREATE, instance=identity)
            return identity
    except IntegrityError as exc:
        # The serializer checks first; this is the race it cannot see.
        raise ValidationError({"identifier": [IDENTIFIER_TAKEN]}) from exc


def update_identity(identity: Identity, data: dict[str, Any], user: Any) -> Identity:
    try:
        with transaction.atomic():
            before = snapshot(identity)
            for field, value in data.items():
                setattr(identity, field, value)
            identity.save()
            record(actor=user, action=AuditAction.UPDATE, instance=identity, before=before)
    except IntegrityError as exc:
        raise ValidationError({"identifier": [IDENTIFIER_TAKEN]}) from exc
    return identity


def delete_identity(identity: Identity, user: Any) -> None:
    """Delete an identity with its traits and overrides; its overrides leave the environment document."""
    with transaction.atomic():
        if identity.identity_overrides.exists():
            mark_environments_changed(environment_ids=[identity.environment_id])
        record(actor=user, action=AuditAction.DELETE, instance=identity, before=snapshot(identity))
        identity.delete()


def save_trait(trait: Trait, key: str | None, value: Any, user: Any) -> Trait:
    """Create or change a trait; ``value`` is a validated JSON value stored in its typed column."""
    created = trait.pk is None
    before = {} if created else snapshot(trait)
    if key is not None:
        trait.trait_key = key
    trait.set_value(value)
    try:
        with transaction.atomic():
            trait.save()
            record(
                actor=user, action=AuditAction.CREATE if created else AuditAction.UPDATE, instance=trait, before=before
            )
    except IntegrityError as exc:
        raise ValidationError({"trait_key": [TRAIT_KEY_TAKEN]}) from exc
    return trait


def delete_trait(trait: Trait, user: Any) -> None:
    with transaction.atomic():
        record(actor=user, action=AuditAction.DELETE, instance=trait, before=snapshot(trait))
        trait.delete()


def delete_traits_by_key(environment: Environment, key: str, user: Any) -> int:
    """Delete the trait ``key`` from every identity of the environment; returns how many went."""
    with transaction.atomic():
        deleted, _ = Trait.objects.filter(identity__environment=environment, trait_key=key).delete()
        if deleted:
            record(
                actor=user,
                action=AuditAction.DELETE,
                instance=environment,
                object_type="TRAIT",
                changes={"trait_key": {"old": key, "new": None}},
                log=f"Trait {key} deleted from every identity of {environment} ({deleted})",
            )
    return deleted


def create_identity_override(identity: Identity, feature: Feature, data: dict[str, Any], user: Any) -> FeatureState:
    """Override a feature for one identity: ``data`` may hold ``enabled`` and ``feature_state_value``."""
    try:
        with transaction.atomic():
            feature_state = FeatureState.objects.create(
                feature=feature,
                environment_id=identity.environment_id,
                identity=identity,
                enabled=data.get("enabled", False),
            )
            FeatureStateValue.objects.create(
                feature_state=feature_state, **json_typed_value(data.get("feature_state_value"))
            )
            mark_environments_changed(environment_ids=[identity.environment_id])
            record(
                actor=user,
                action=AuditAction.CREATE,
                instance=feature_state,
                after=feature_state_snapshot(feature_state),
                log=f"Identity override created: {feature.name} for {identity.identifier}",
            )
    except IntegrityError as exc:
        raise ValidationError({"feature": [OVERRIDE_EXISTS]}) from exc
    return feature_state


def update_identity_override(feature_state: FeatureState, data: dict[str, Any], user: Any) -> FeatureState:
    # The environment default's update path, without variant shares (identity overrides have none).
    data = {key: value for key, value in data.items() if key in ("enabled", "feature_state_value")}
    return update_feature_state(feature_state, data, user)


def delete_identity_override(feature_state: FeatureState, user: Any) -> None:
    with transaction.atomic():
        mark_environments_changed(environment_ids=[feature_state.environment_id])
        record(
            actor=user, action=AuditAction.DELETE, instance=feature_state, before=feature_state_snapshot(feature_state)
        )
        feature_state.delete()


def clone_identity_overrides(target: Identity, source: Identity, user: Any) -> list[FeatureState]:
    """Replace the target's overrides with copies of the source's, all or nothing."""
    with transaction.atomic():
        record(
            actor=user,
            action=AuditAction.UPDATE,
            instance=target,
            changes={"identity_overrides": {"old": None, "new": f"copied from {source.identifier}"}},
            log=f"Identity overrides of {target.identifier} replaced by copies of {source.identifier}'s",
        )
        FeatureState.objects.filter(identity=target).delete()
        copies = copy_feature_states(
            list(FeatureState.objects.filter(identity=source).order_by("id")),
            lambda original: {"environment_id": target.environment_id, "identity": target},
        )
        mark_environments_changed(environment_ids=[target.environment_id])
    return copies
