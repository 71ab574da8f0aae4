"""The ``/flags/`` items and trait storage for the SDK API.

Evaluation itself (identities, overrides) is ``documents.evaluation``, shared with
the Unleash and OFREP endpoints and the dashboard.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from rest_framework import exceptions

from documents import caching
from documents.compiler import CompiledEnvironment, dumps_json
from documents.evaluation import visible
from features.models import Feature, MultivariateFeatureOption
from identities.models import MAX_64_BIT_INTEGER, MIN_64_BIT_INTEGER, Identity, Trait
from segments.models import Segment

# ---- flags ----------------------------------------------------------------------------------------


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
        if visible(compiled, state["feature"]["name"], state["enabled"], is_server_key)
    ]


def environment_flags_json(compiled: CompiledEnvironment, is_server_key: bool) -> bytes:
    """The rendered ``/flags/`` body, rendered once per compiled version and key kind."""
    body = compiled.flags_json.get(is_server_key)
    if body is None:
        body = compiled.flags_json[is_server_key] = dumps_json(environment_flag_items(compiled, is_server_key))
    return body


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


_PERIOD_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _allow_identity_creation(throttle_key: str) -> bool:
    """One more identity created with this key within ``SDK_IDENTITY_CREATE_THROTTLE_RATE``'s window?"""
    count, _, period = settings.SDK_IDENTITY_CREATE_THROTTLE_RATE.partition("/")
    seconds = _PERIOD_SECONDS[period[0]]
    window = int(time.time() // seconds)
    cache_key = f"sdk-identity-create:{throttle_key}:{window}"
    # A fixed window: add() starts it, incr() counts (atomic in memcached and Redis).
    cache.add(cache_key, 0, seconds + 1)
    try:
        created = cache.incr(cache_key)
    except ValueError:  # expired between the two calls
        cache.set(cache_key, 1, seconds + 1)
        created = 1
    return created <= int(count)


class IdentityCreationThrottled(exceptions.Throttled):
    default_detail = "Too many new identities for this key; try again later."


def get_or_create_identity(environment_id: int, identifier: str, throttle_key: str | None = None) -> StoredIdentity:
    """The stored identity, created when new; ``throttle_key`` (the SDK key's hash) counts creations."""
    stored = find_identity(environment_id, identifier)
    if stored is not None:
        return stored
    if settings.SDK_IDENTITY_CREATE_THROTTLE_RATE and throttle_key and not _allow_identity_creation(throttle_key):
        raise IdentityCreationThrottled()
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
    # Each value is parenthesised before its cast: Django's psycopg binds parameters on the
    # client, so -9223372036854775808 reaches PostgreSQL as a literal, and ``-9223372036854775808::bigint``
    # is the negation of 9223372036854775808::bigint, which is out of range.
    row = "((%s)::bigint, " + ", ".join(f"(%s)::{cast}" for cast in _TRAIT_VALUE_CASTS.values()) + ")"
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
    if to_create and len(identity.traits) - len(to_delete) + len(to_create) > settings.MAX_TRAITS_PER_IDENTITY:
        raise exceptions.ValidationError(
            {"traits": [f"An identity may have at most {settings.MAX_TRAITS_PER_IDENTITY} traits."]}
        )
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


# ---- Flagsmith's older SDK paths ---------------------------------------------------------------


def segment_items(segment_ids: list[int]) -> list[dict[str, Any]]:
    """``{id, name, description}`` of these segments, in id order (one query)."""
    if not segment_ids:
        return []
    return list(Segment.objects.filter(pk__in=segment_ids).order_by("id").values("id", "name", "description"))


def environment_feature(compiled: CompiledEnvironment, feature_id: int, is_server_key: bool) -> Feature | None:
    """A feature of the environment's project, by id; server-key-only features do not exist for client keys."""
    names = {feature_id_: name for name, feature_id_ in compiled.feature_ids.items()}
    name = names.get(feature_id)
    if name is None or (name in compiled.server_key_only and not is_server_key):
        return None
    return Feature.objects.filter(pk=feature_id).first()


def multivariate_options_payload(compiled: CompiledEnvironment, feature: Feature) -> dict[str, Any]:
    """``{control_value, options: [{value}]}``: the environment default's value (null for an
    archived feature, as in Flagsmith) and every variant's value, in id order.
    """
    context = compiled.context["features"].get(feature.name)
    control_value = None if feature.is_archived or context is None else context["value"]
    options = MultivariateFeatureOption.objects.filter(feature=feature).order_by("id")
    return {"control_value": control_value, "options": [{"value": option.value} for option in options]}
