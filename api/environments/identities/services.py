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

from environments.identities.models import Identity, Trait
from environments.models import Environment
from environments.services import mark_environments_changed
from features.models import Feature, FeatureState, FeatureStateValue
from features.services import copy_feature_states, json_typed_value, update_feature_state

IDENTIFIER_TAKEN = "An identity with this identifier already exists in this environment."
TRAIT_KEY_TAKEN = "This identity already has a trait with this key."
OVERRIDE_EXISTS = "This identity already overrides this feature."


def create_identity(environment: Environment, data: dict[str, Any], user: Any) -> Identity:
    try:
        with transaction.atomic():
            return Identity.objects.create(environment=environment, **data)
    except IntegrityError as exc:
        # The serializer checks first; this is the race it cannot see.
        raise ValidationError({"identifier": [IDENTIFIER_TAKEN]}) from exc


def delete_identity(identity: Identity, user: Any) -> None:
    """Delete an identity with its traits and overrides; its overrides leave the environment document."""
    with transaction.atomic():
        if identity.identity_overrides.exists():
            mark_environments_changed(environment_ids=[identity.environment_id])
        identity.delete()


def save_trait(trait: Trait, key: str | None, value: Any, user: Any) -> Trait:
    """Create or change a trait; ``value`` is a validated JSON value stored in its typed column."""
    if key is not None:
        trait.trait_key = key
    trait.set_value(value)
    try:
        with transaction.atomic():
            trait.save()
    except IntegrityError as exc:
        raise ValidationError({"trait_key": [TRAIT_KEY_TAKEN]}) from exc
    return trait


def delete_traits_by_key(environment: Environment, key: str, user: Any) -> int:
    """Delete the trait ``key`` from every identity of the environment; returns how many went."""
    deleted, _ = Trait.objects.filter(identity__environment=environment, trait_key=key).delete()
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
        feature_state.delete()


def clone_identity_overrides(target: Identity, source: Identity, user: Any) -> list[FeatureState]:
    """Replace the target's overrides with copies of the source's, all or nothing."""
    with transaction.atomic():
        FeatureState.objects.filter(identity=target).delete()
        copies = copy_feature_states(
            list(FeatureState.objects.filter(identity=source).order_by("id")),
            lambda original: {"environment_id": target.environment_id, "identity": target},
        )
        mark_environments_changed(environment_ids=[target.environment_id])
    return copies
