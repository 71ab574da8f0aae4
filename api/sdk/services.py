"""Remote evaluation and trait storage for the SDK API.

Every flag served here comes from ``flag_engine.get_evaluation_result`` over the
compiled environment's evaluation context, the context an official SDK builds
from the same environment document in local evaluation, so remote and local
evaluation agree by construction. Identity overrides are added as the SDKs add
them: a segment matching only this identity, with priority -inf.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from flag_engine.engine import get_evaluation_result

from environments import caching
from environments.documents import CompiledEnvironment, dumps_json, identity_overrides_segment
from environments.identities.models import MAX_64_BIT_INTEGER, MIN_64_BIT_INTEGER, Identity, Trait

# ---- flags ----------------------------------------------------------------------------------------


def _visible(compiled: CompiledEnvironment, name: str, enabled: bool, is_server_key: bool) -> bool:
    if not is_server_key and name in compiled.server_key_only:
        return False
    return enabled or not compiled.hide_disabled_flags


def environment_flag_items(compiled: CompiledEnvironment, is_server_key: bool) -> list[dict[str, Any]]:
    """``/flags/``: every environment default, control values, in feature id order."""
    hide = compiled.hide_sensitive_data
    return [
        {
            "id": None if hide else state["django_id"],
            "feature": compiled.feature_items[state["feature"]["name"]],
            "feature_state_value": state["feature_state_value"],
            "environment": None if hide else compiled.environment_id,
            "identity": None,
            "feature_segment": None,
            "enabled": state["enabled"],
        }
        for state in compiled.document["feature_states"]
        if _visible(compiled, state["feature"]["name"], state["enabled"], is_server_key)
    ]


def environment_flags_json(compiled: CompiledEnvironment, is_server_key: bool) -> bytes:
    """The rendered ``/flags/`` body, rendered once per compiled version and key kind."""
    body = compiled.flags_json.get(is_server_key)
    if body is None:
        body = compiled.flags_json[is_server_key] = dumps_json(environment_flag_items(compiled, is_server_key))
    return body


@dataclass
class IdentityToEvaluate:
    identifier: str
    traits: dict[str, Any]
    # The stored identity's id, or None for a transient one (no overrides apply).
    identity_id: int | None = None


def _evaluate(compiled: CompiledEnvironment, identity: IdentityToEvaluate) -> tuple[dict[str, Any], int | None]:
    """Engine flag results for an identity, and the identity id when its own overrides took part."""
    context: dict[str, Any] = {
        **compiled.context,
        "identity": {"identifier": identity.identifier, "traits": identity.traits},
    }
    if identity.identity_id is not None and not compiled.use_identity_composite_key_for_hashing:
        # Legacy environments hash on the identity's database id (the SDKs cannot).
        context["identity"]["key"] = str(identity.identity_id)
    overridden_identity_id = None
    if identity.identity_id is not None and identity.identifier in compiled.identity_overrides:
        overridden_identity_id, overrides = compiled.identity_overrides[identity.identifier]
        segment = identity_overrides_segment([identity.identifier], overrides)
        context["segments"] = {**compiled.context["segments"], segment["key"]: segment}
    return get_evaluation_result(context)["flags"], overridden_identity_id


def evaluate_identity(
    compiled: CompiledEnvironment, identity: IdentityToEvaluate, is_server_key: bool
) -> list[dict[str, Any]]:
    """Flag items of ``/identities/``, with ``variant``, after segment and identity overrides."""
    flags, overridden_identity_id = _evaluate(compiled, identity)
    hide = compiled.hide_sensitive_data
    items = []
    for name, flag in flags.items():
        if not _visible(compiled, name, flag["enabled"], is_server_key):
            continue
        metadata = flag["metadata"]
        state_id = metadata["feature_state_id"]
        by_identity = metadata.get("identity_override") and overridden_identity_id is not None
        items.append(
            {
                "id": None if hide else state_id,
                "feature": compiled.feature_items[name],
                "feature_state_value": flag["value"],
                "environment": None if hide else compiled.environment_id,
                "identity": overridden_identity_id if by_identity and not hide else None,
                "feature_segment": None if hide else compiled.feature_segment_ids.get(state_id),
                "enabled": flag["enabled"],
                "variant": flag["variant"],
            }
        )
    return items


def effective_flags(compiled: CompiledEnvironment, identity: IdentityToEvaluate) -> list[dict[str, Any]]:
    """Every feature as this identity gets it, and what decided it: the dashboard's view.

    ``overridden_by`` is ``"IDENTITY"``, ``"SEGMENT"`` (with the segment) or None
    for the environment default. Nothing is hidden: this is for admins.
    """
    flags, _ = _evaluate(compiled, identity)
    items = []
    for name, flag in flags.items():
        metadata = flag["metadata"]
        segment = compiled.override_segments.get(metadata["feature_state_id"])
        overridden_by = "IDENTITY" if metadata.get("identity_override") else "SEGMENT" if segment else None
        items.append(
            {
                "feature": {"id": metadata["id"], "name": name, "type": compiled.feature_items[name]["type"]},
                "feature_state_id": metadata["feature_state_id"],
                "enabled": flag["enabled"],
                "feature_state_value": flag["value"],
                "variant": flag["variant"],
                "overridden_by": overridden_by,
                "segment": segment if overridden_by == "SEGMENT" else None,
            }
        )
    return items


# ---- identities and traits ---------------------------------------------------------------------


@dataclass
class StoredIdentity:
    id: int
    identifier: str
    environment_id: int
    # trait_key -> (trait id, value), in id order.
    traits: dict[str, tuple[int, Any]] = field(default_factory=dict)


_TRAIT_COLUMNS = (
    "traits__id",
    "traits__trait_key",
    "traits__value_type",
    "traits__string_value",
    "traits__integer_value",
    "traits__float_value",
    "traits__boolean_value",
)


def find_identity(environment_id: int, identifier: str) -> StoredIdentity | None:
    """An identity and its traits in one query (a left join), or None."""
    rows = (
        Identity.objects.filter(environment_id=environment_id, identifier=identifier)
        .values_list("id", *_TRAIT_COLUMNS)
        .order_by("traits__id")
    )
    stored: StoredIdentity | None = None
    for identity_id, trait_id, key, value_type, string, integer, float_, boolean in rows:
        if stored is None:
            stored = StoredIdentity(id=identity_id, identifier=identifier, environment_id=environment_id)
        if trait_id is not None:
            trait = Trait(
                value_type=value_type,
                string_value=string,
                integer_value=integer,
                float_value=float_,
                boolean_value=boolean,
            )
            stored.traits[key] = (trait_id, trait.trait_value)
    return stored


def get_or_create_identity(environment_id: int, identifier: str) -> StoredIdentity:
    stored = find_identity(environment_id, identifier)
    if stored is not None:
        return stored
    try:
        with transaction.atomic():
            identity = Identity.objects.create(environment_id=environment_id, identifier=identifier)
    except IntegrityError:
        # Created by a concurrent request since we looked.
        return find_identity(environment_id, identifier)  # type: ignore[return-value]
    return StoredIdentity(id=identity.id, identifier=identifier, environment_id=environment_id)


# The typed value columns and the SQL type each is cast to in a VALUES list.
_TRAIT_VALUE_CASTS = {
    "value_type": "varchar",
    "string_value": "varchar",
    "integer_value": "bigint",
    "float_value": "double precision",
    "boolean_value": "boolean",
}


def _update_trait_values(values_by_trait_id: dict[int, Any]) -> None:
    """Store new values of existing traits.

    On PostgreSQL one ``UPDATE ... FROM (VALUES ...)`` for all of them: an SDK that
    identifies a user usually sends several changed traits, and Django's
    ``bulk_update`` spends milliseconds building CASE expressions for the same job.
    """
    if connection.vendor != "postgresql":
        for trait_id, value in values_by_trait_id.items():
            Trait.objects.filter(id=trait_id).update(**Trait.value_fields(value))
        return
    columns = list(_TRAIT_VALUE_CASTS)
    row = "(%s::bigint, " + ", ".join(f"%s::{cast}" for cast in _TRAIT_VALUE_CASTS.values()) + ")"
    params: list[Any] = []
    for trait_id, value in values_by_trait_id.items():
        fields = Trait.value_fields(value)
        params += [trait_id, *(fields[column] for column in columns)]
    table = connection.ops.quote_name(Trait._meta.db_table)
    assignments = ", ".join(f"{column} = v.{column}" for column in columns)
    sql = (
        f"UPDATE {table} AS t SET {assignments} "
        f"FROM (VALUES {', '.join([row] * len(values_by_trait_id))}) AS v(id, {', '.join(columns)}) "
        "WHERE t.id = v.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _identity_changed(identity: StoredIdentity) -> None:
    """Bulk writes send no signals: say after commit that cached responses for the identity are stale."""
    transaction.on_commit(partial(caching.identities_changed, identity.environment_id, [identity.identifier]))


def store_traits(identity: StoredIdentity, traits: dict[str, Any]) -> None:
    """Upsert traits of a stored identity: a changed value updates, None deletes, a new key creates.

    Updates ``identity.traits`` to what is now stored.
    """
    to_delete = [key for key, value in traits.items() if value is None and key in identity.traits]
    to_create = [key for key, value in traits.items() if value is not None and key not in identity.traits]
    to_update = [
        key
        for key, value in traits.items()
        if value is not None and key in identity.traits and not _same_value(identity.traits[key][1], value)
    ]
    if not (to_delete or to_create or to_update):
        return
    _identity_changed(identity)
    # No savepoint of its own: callers hold the transaction, and a savepoint costs two round trips.
    with transaction.atomic(savepoint=False):
        if to_delete:
            Trait.objects.filter(identity_id=identity.id, trait_key__in=to_delete).delete()
            for key in to_delete:
                del identity.traits[key]
        if to_update:
            _update_trait_values({identity.traits[key][0]: traits[key] for key in to_update})
            for key in to_update:
                identity.traits[key] = (identity.traits[key][0], traits[key])
        if to_create:
            try:
                with transaction.atomic():
                    created = Trait.objects.bulk_create(
                        [
                            Trait(identity_id=identity.id, trait_key=key, **Trait.value_fields(traits[key]))
                            for key in to_create
                        ]
                    )
            except IntegrityError:
                # A concurrent request stored one of these keys first: last write wins.
                created = [
                    Trait.objects.update_or_create(
                        identity_id=identity.id, trait_key=key, defaults=Trait.value_fields(traits[key])
                    )[0]
                    for key in to_create
                ]
            for trait in created:
                identity.traits[trait.trait_key] = (trait.id, traits[trait.trait_key])


def _same_value(stored: Any, incoming: Any) -> bool:
    # 1 and True are equal in Python but are different traits.
    return type(stored) is type(incoming) and stored == incoming


def transient_identifier(traits: list[dict[str, Any]]) -> str:
    """The identifier Flagsmith gives an identity sent without one: a hash of its traits, else random."""
    if not traits:
        return uuid.uuid4().hex
    joined = "".join(f"{trait['trait_key']}{trait['trait_value']}" for trait in sorted(traits, key=_trait_key))
    return hashlib.sha256(joined.encode()).hexdigest()


def _trait_key(trait: dict[str, Any]) -> str:
    return trait["trait_key"]


def trait_items(stored: dict[str, tuple[int, Any]], unsaved: dict[str, tuple[Any, bool]]) -> list[dict[str, Any]]:
    """The ``traits`` of an identity response: stored traits, then those used but not stored."""
    items = [
        {"id": trait_id, "trait_key": key, "trait_value": value, "transient": False}
        for key, (trait_id, value) in stored.items()
        if key not in unsaved
    ]
    items.extend(
        {"id": None, "trait_key": key, "trait_value": value, "transient": transient}
        for key, (value, transient) in unsaved.items()
        if value is not None
    )
    return items


def increment_trait(identity: StoredIdentity, key: str, increment_by: int) -> int:
    """Add to an integer trait, atomically in the database; a missing trait starts at 0."""
    if key not in identity.traits:
        store_traits(identity, {key: increment_by})
        return increment_by
    trait_id, value = identity.traits[key]
    if type(value) is not int:
        raise TypeError("Trait is not an integer.")
    if not MIN_64_BIT_INTEGER <= value + increment_by <= MAX_64_BIT_INTEGER:
        raise OverflowError("The result would not fit in 64 bits.")
    Trait.objects.filter(id=trait_id).update(integer_value=F("integer_value") + increment_by)
    _identity_changed(identity)
    return Trait.objects.values_list("integer_value", flat=True).get(id=trait_id)
