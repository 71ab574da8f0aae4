"""The environment document: what SDKs see of an environment, compiled once per change.

``compile_environment`` reads an environment's features, states, segments and
identity overrides from the primary database and returns a ``CompiledEnvironment``:
the document that ``/api/v1/environment-document/`` serves (Flagsmith's shape and
key order), the evaluation context the engine runs on for ``/flags/`` and
``/identities/``, and the lookups that turn engine results into Flagsmith's
response items. The version is ``Environment.updated_at``, bumped in the
transaction of every write that changes what SDKs see (``environments.versions``);
``documents.store`` keeps recent versions so the hot path compiles nothing.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone
from rest_framework.utils.encoders import JSONEncoder

from core import replicas
from documents import caching
from environments.models import Environment, EnvironmentAPIKey
from versioning.models import EnvironmentFeatureVersion, VersionFeatureState


@dataclass
class CompiledEnvironment:
    environment_id: int
    api_key: str
    version: datetime
    document: dict[str, Any]
    document_json: bytes
    # The engine's evaluation context for the environment, without identity overrides
    # (remote evaluation adds the one identity's overrides per request).
    context: dict[str, Any]
    # Per feature name: the ``feature`` object of Flagsmith's flag items.
    feature_items: dict[str, dict[str, Any]]
    # Per feature name: the feature's id, for ``?feature=`` lookups and analytics.
    feature_ids: dict[str, int]
    server_key_only: frozenset[str]
    # Feature state id -> FeatureSegment id, for the ``feature_segment`` of segment overrides.
    feature_segment_ids: dict[int, int]
    # Feature state id -> ``{"id", "name"}`` of the segment a segment override is for.
    override_segments: dict[int, dict[str, Any]]
    # Identifier -> (identity id, [override feature contexts]), whatever
    # ``use_identity_overrides_in_local_eval`` says: remote evaluation always applies them.
    identity_overrides: dict[str, tuple[int, list[dict[str, Any]]]]
    hide_disabled_flags: bool
    hide_sensitive_data: bool
    allow_client_traits: bool
    persist_trait_data: bool
    use_identity_composite_key_for_hashing: bool
    stop_serving_flags: bool = False
    # The next instant a scheduled feature version goes live (None: none is scheduled):
    # the document stops being valid then, and the version checks honour it.
    valid_until: datetime | None = None
    # SHA-256 of each active server-side key -> its expiry (None: never).
    server_keys: dict[str, datetime | None] = field(default_factory=dict)
    # Rendered ``/flags/`` bodies, keyed by "served to a server-side key".
    flags_json: dict[bool, bytes] = field(default_factory=dict)

    def opens(self, key: str, key_hash: str, now: datetime) -> bool:
        """Whether ``key`` authenticates for this environment at this version."""
        return key_opens(key, key_hash, now, api_key=self.api_key, server_keys=self.server_keys)

    def __getstate__(self) -> dict[str, Any]:
        # Rendered bodies are rebuilt per process; the shared cache holds the document.
        return {**self.__dict__, "flags_json": {}}

    @property
    def updated_at_header(self) -> str:
        """``X-Flagsmith-Document-Updated-At``: the version as epoch seconds."""
        return repr(self.version.timestamp())


def key_opens(key: str, key_hash: str, now: datetime, *, api_key: str, server_keys: dict[str, datetime | None]) -> bool:
    """Whether ``key`` is the client key, or an active, unexpired server key (by its SHA-256)."""
    if key.startswith(EnvironmentAPIKey.PREFIX):
        if key_hash not in server_keys:
            return False
        expires_at = server_keys[key_hash]
        return expires_at is None or expires_at > now
    return key == api_key


def dumps_json(data: Any) -> bytes:
    # Compact, like DRF's renderer and Flagsmith's responses.
    return json.dumps(data, cls=JSONEncoder, separators=(",", ":"), ensure_ascii=False).encode()


def _iso(value: datetime) -> str:
    """DRF's datetime format (``…123456Z``), as in Flagsmith's flag items."""
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _rule_document(rule: Any) -> dict[str, Any]:
    return {
        "type": rule.type,
        "rules": [_rule_document(child) for child in rule.child_rules],
        "conditions": [
            # A percentage split has no property: null, as Flagsmith's documents write it.
            {"operator": condition.operator, "value": condition.value or "", "property_": condition.property}
            for condition in rule.conditions.all()
        ],
    }


def _feature_state_document(state: Any, feature: Any, mv_values: list[Any], priority: int | None) -> dict[str, Any]:
    value = state.feature_state_value.value if hasattr(state, "feature_state_value") else None
    return {
        "feature": {"id": feature.id, "name": feature.name, "type": feature.type},
        "enabled": state.enabled,
        "django_id": state.id,
        "feature_segment": None if priority is None else {"priority": priority},
        "featurestate_uuid": str(state.uuid),
        "feature_state_value": value,
        "multivariate_feature_state_values": [
            {
                "multivariate_feature_option": {
                    "value": mv.multivariate_feature_option.value,
                    "id": mv.multivariate_feature_option.id,
                    "key": mv.multivariate_feature_option.key,
                },
                "percentage_allocation": mv.percentage_allocation,
                "id": mv.id,
                "mv_fs_value_uuid": str(mv.uuid),
            }
            for mv in mv_values
        ],
    }


def compile_environment(environment_id: int) -> CompiledEnvironment:
    """Read everything SDKs see of an environment from the primary and compile it."""
    from features.models import Feature, FeatureState, MultivariateFeatureStateValue

    primary = replicas.primary_alias()
    environment = Environment.objects.using(primary).select_related("project__organisation").get(pk=environment_id)
    project = environment.project
    organisation = project.organisation

    features = {feature.id: feature for feature in Feature.objects.using(primary).filter(project=project)}
    states = list(
        FeatureState.objects.using(primary)
        .filter(environment=environment, feature__project=project)
        .select_related("feature_state_value", "feature_segment", "identity")
        .order_by("feature_id", "id")
    )
    mv_values: dict[int, list[Any]] = defaultdict(list)
    for mv in (
        MultivariateFeatureStateValue.objects.using(primary)
        .filter(feature_state__environment=environment, feature_state__identity__isnull=True)
        .select_related("multivariate_feature_option")
        .order_by("id")
    ):
        mv_values[mv.feature_state_id].append(mv)

    defaults: list[dict[str, Any]] = []
    overrides_by_segment: dict[int, list[dict[str, Any]]] = defaultdict(list)
    feature_segment_ids: dict[int, int] = {}
    identity_states: dict[int, list[Any]] = defaultdict(list)
    identities: dict[int, Any] = {}
    version = environment.updated_at
    valid_until = None
    if environment.use_v2_feature_versioning:
        states, version, valid_until = _with_due_versions(primary, environment, states, version)
    for state in states:
        feature = features[state.feature_id]
        if state.identity_id is not None:
            identity_states[state.identity_id].append(state)
            identities[state.identity_id] = state.identity
        elif state.feature_segment_id is not None:
            feature_segment = state.feature_segment
            if feature_segment.id:  # 0: an override new in a due version, not written yet
                feature_segment_ids[state.id] = feature_segment.id
            overrides_by_segment[feature_segment.segment_id].append(
                _feature_state_document(state, feature, _shares(state, mv_values), feature_segment.priority)
            )
        else:
            defaults.append(_feature_state_document(state, feature, _shares(state, mv_values), None))

    segments = [
        {**segment, "feature_states": overrides_by_segment.get(segment["id"], [])}
        for segment in _project_segments(primary, project.id, environment.updated_at)
        # A feature-specific segment matters only where it overrides something.
        if segment["feature_id"] is None or segment["id"] in overrides_by_segment
    ]
    for segment in segments:
        del segment["feature_id"]

    identity_override_documents = [
        {
            "identifier": identity.identifier,
            "identity_uuid": str(identity.uuid),
            "django_id": identity.id,
            "composite_key": f"{environment.api_key}_{identity.identifier}",
            "environment_api_key": environment.api_key,
            "created_date": identity.created_date.isoformat(),
            "dashboard_alias": identity.dashboard_alias,
            "identity_traits": [],
            "identity_features": [
                _feature_state_document(state, features[state.feature_id], [], None)
                for state in identity_states[identity.id]
            ],
        }
        for identity in sorted(identities.values(), key=lambda identity: identity.id)
    ]

    document = {
        "id": environment.id,
        "api_key": environment.api_key,
        "project": {
            "id": project.id,
            "name": project.name,
            "organisation": {
                "id": organisation.id,
                "name": organisation.name,
                "feature_analytics": False,
                "stop_serving_flags": organisation.stop_serving_flags,
                "persist_trait_data": organisation.persist_trait_data,
            },
            "hide_disabled_flags": project.hide_disabled_flags,
            "segments": segments,
            "enable_realtime_updates": project.enable_realtime_updates,
            "server_key_only_feature_ids": sorted(f.id for f in features.values() if f.is_server_key_only),
        },
        "feature_states": defaults,
        "identity_overrides": identity_override_documents if environment.use_identity_overrides_in_local_eval else [],
        "name": environment.name,
        "allow_client_traits": environment.allow_client_traits,
        "updated_at": version.isoformat(),
        "hide_sensitive_data": environment.hide_sensitive_data,
        "hide_disabled_flags": environment.hide_disabled_flags,
        "use_identity_composite_key_for_hashing": environment.use_identity_composite_key_for_hashing,
        "use_identity_overrides_in_local_eval": environment.use_identity_overrides_in_local_eval,
    }

    hide_sensitive = environment.hide_sensitive_data
    feature_items = {
        feature.name: {
            "id": feature.id,
            "name": feature.name,
            "created_date": None if hide_sensitive else _iso(feature.created_date),
            "description": None if hide_sensitive else feature.description,
            "initial_value": None if hide_sensitive else feature.initial_value,
            "default_enabled": None if hide_sensitive else feature.default_enabled,
            "type": feature.type,
        }
        for feature in features.values()
    }
    compiled = CompiledEnvironment(
        environment_id=environment.id,
        api_key=environment.api_key,
        version=version,
        valid_until=valid_until,
        document=document,
        document_json=dumps_json(document),
        context=document_to_context(document, include_identity_overrides=False),
        feature_items=feature_items,
        feature_ids={feature.name: feature.id for feature in features.values()},
        server_key_only=frozenset(feature.name for feature in features.values() if feature.is_server_key_only),
        feature_segment_ids=feature_segment_ids,
        override_segments={
            state["django_id"]: {"id": segment["id"], "name": segment["name"]}
            for segment in segments
            for state in segment["feature_states"]
        },
        identity_overrides={
            override["identifier"]: (override["django_id"], _identity_override_contexts(override))
            for override in identity_override_documents
        },
        hide_disabled_flags=(
            environment.hide_disabled_flags
            if environment.hide_disabled_flags is not None
            else project.hide_disabled_flags
        ),
        hide_sensitive_data=hide_sensitive,
        allow_client_traits=environment.allow_client_traits,
        persist_trait_data=organisation.persist_trait_data,
        use_identity_composite_key_for_hashing=environment.use_identity_composite_key_for_hashing,
        stop_serving_flags=organisation.stop_serving_flags,
        server_keys=dict(
            EnvironmentAPIKey.objects.using(primary)
            .filter(environment=environment, active=True)
            .values_list("key_hash", "expires_at")
        ),
    )
    return compiled


def _shares(state: Any, mv_values: dict[int, list[Any]]) -> list[Any]:
    return state.multivariate if isinstance(state, _VersionState) else mv_values[state.id]


class _VersionStateValue:
    """A version state's value where the compiler reads ``feature_state_value.value``."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


class _VersionState:
    """A due version's state, dressed as the live row it will be written to (``versioning.services._apply``).

    It keeps the id and uuid of that row when there is one (the environment default
    always has one), so identities keep their variant buckets when the version is
    applied; a segment override new in the version gets a negative id until then.
    """

    def __init__(self, state: VersionFeatureState, feature_id: int, row: Any, feature_segment: Any) -> None:
        self.id = row.id if row is not None else -state.id
        self.uuid = row.uuid if row is not None else state.uuid
        self.feature_id = feature_id
        self.identity_id = None
        self.identity = None
        self.enabled = state.enabled
        self.feature_state_value = _VersionStateValue(state.value)
        self.feature_segment_id = None if state.segment_id is None else (feature_segment.id if feature_segment else 0)
        self.feature_segment = feature_segment
        self.multivariate = [_VersionShare(share, state) for share in state.multivariate_feature_state_values.all()]


class _VersionShare:
    def __init__(self, share: Any, state: VersionFeatureState) -> None:
        self.multivariate_feature_option = share.multivariate_feature_option
        self.percentage_allocation = share.percentage_allocation
        self.id = share.id
        self.uuid = f"{state.uuid}:{share.multivariate_feature_option_id}"


class _VersionFeatureSegment:
    def __init__(self, id: int, segment_id: int, priority: int) -> None:
        self.id = id
        self.segment_id = segment_id
        self.priority = priority


def _with_due_versions(
    database: str, environment: Environment, states: list[Any], version: datetime
) -> tuple[list[Any], datetime, datetime | None]:
    """The states SDKs see now in a versioned environment, the document's version and its end.

    A published version is written into the live rows when it goes live
    (``versioning.services``); one whose ``live_from`` has come but which is not
    written yet (a scheduled change, applied within a second by some process's
    scheduler) is read here instead, so SDKs see it at its instant. Two queries
    whatever the number of versions: the pending ones (rarely more than a few), and
    the states of the due ones. The version becomes the latest due ``live_from`` when
    that is newer, so every process keys the new document alike, and the document is
    valid until the next ``live_from`` to come.
    """
    now = timezone.now()
    pending = list(
        EnvironmentFeatureVersion.objects.using(database)
        .pending()
        .filter(environment=environment)
        .order_by("live_from", "created_at", "id")
        .values_list("id", "feature_id", "live_from")
    )
    due: dict[int, int] = {}
    valid_until = None
    for version_id, feature_id, live_from in pending:
        if live_from <= now:
            due[feature_id] = version_id  # the latest live_from wins, the later-created on a tie
            version = max(version, live_from)
        elif valid_until is None:
            valid_until = live_from
    if not due:
        return states, version, valid_until
    version_states = list(
        VersionFeatureState.objects.using(database)
        .filter(version_id__in=list(due.values()))
        .select_related("version")
        .prefetch_related("multivariate_feature_state_values__multivariate_feature_option")
        .order_by("id")
    )
    rows = {
        (state.feature_id, state.feature_segment.segment_id if state.feature_segment_id else None): state
        for state in states
        if state.identity_id is None and state.feature_id in due
    }
    replaced = [
        _VersionState(
            state,
            state.version.feature_id,
            row := rows.get((state.version.feature_id, state.segment_id)),
            None
            if state.segment_id is None
            else _VersionFeatureSegment(
                row.feature_segment.id if row is not None else 0, state.segment_id, state.priority or 0
            ),
        )
        for state in version_states
    ]
    kept = [state for state in states if state.identity_id is not None or state.feature_id not in due]
    return kept + replaced, version, valid_until


def _project_segments(database: str, project_id: int, version: datetime) -> list[dict[str, Any]]:
    """The project's segments as document entries (without overrides).

    Every segment change bumps every environment of its project, so a version seen
    by one environment names one state of the project's segments: environments
    compiled after the same project-wide change share the entry
    (``CACHE_PROJECT_SEGMENTS_SECONDS``, off by default).
    """
    from segments.models import Segment

    use_cache = settings.CACHE_PROJECT_SEGMENTS_SECONDS > 0
    cache_key = f"project-segments:{project_id}:{caching.version_token(version)}"
    if use_cache and (cached := caching.cache_call(caching.PROJECT_SEGMENTS, "get", cache_key)) is not None:
        return cached  # LocMem hands out a fresh unpickled copy
    segments = [
        {
            "id": segment.id,
            "name": segment.name,
            "rules": [_rule_document(rule) for rule in segment.top_level_rules],
            "feature_id": segment.feature_id,
        }
        for segment in Segment.objects.using(database).filter(project_id=project_id).with_rule_trees().order_by("id")
    ]
    if use_cache:
        caching.cache_call(caching.PROJECT_SEGMENTS, "set", cache_key, segments)
    return segments


# --- the evaluation context, built from the document as the official SDKs build it -------------


def _feature_contexts(feature_states: list[dict[str, Any]], priority: float | None = None) -> Any:
    """Engine feature contexts for document feature states.

    The key is the state's ``django_id`` (the multivariate hashing seed), variants
    are ordered by the MV value id, and a segment override's priority comes from
    ``feature_segment.priority``; all as the SDKs map them. The metadata carries
    the feature id (as in the SDKs) and the state id, which remote evaluation
    reports back.
    """
    for state in feature_states:
        context: dict[str, Any] = {
            "key": str(state["django_id"]),
            "name": state["feature"]["name"],
            "enabled": state["enabled"],
            "value": state["feature_state_value"],
            "metadata": {"id": state["feature"]["id"], "feature_state_id": state["django_id"]},
        }
        variants = []
        for mv in state["multivariate_feature_state_values"]:
            variant: dict[str, Any] = {
                "value": mv["multivariate_feature_option"]["value"],
                "weight": mv["percentage_allocation"],
                "priority": mv["id"],
            }
            if mv["multivariate_feature_option"]["key"] is not None:
                variant["key"] = mv["multivariate_feature_option"]["key"]
            variants.append(variant)
        if variants:
            context["variants"] = variants
        if priority is not None:
            context["priority"] = priority
        elif state["feature_segment"]:
            context["priority"] = state["feature_segment"]["priority"]
        yield context


def _identity_override_contexts(override: dict[str, Any]) -> list[dict[str, Any]]:
    contexts = list(_feature_contexts(override["identity_features"], priority=float("-inf")))
    for context in contexts:
        context["metadata"]["identity_override"] = True
    return contexts


def _rule_contexts(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "type": rule["type"],
            "conditions": [
                {
                    "property": condition["property_"] or "",
                    "operator": condition["operator"],
                    "value": condition["value"],
                }
                for condition in rule["conditions"]
            ],
            "rules": _rule_contexts(rule["rules"]),
        }
        for rule in rules
    ]


def identity_overrides_segment(identifiers: list[str], overrides: list[dict[str, Any]]) -> dict[str, Any]:
    """A segment holding identity overrides, matching exactly the given identifiers.

    The SDKs turn the document's identity overrides into such segments, with
    priority -inf so they beat every segment override.
    """
    return {
        "key": "identity_overrides:" + ",".join(identifiers),
        "name": "identity_overrides",
        "rules": [
            {
                "type": "ALL",
                "conditions": [{"property": "$.identity.identifier", "operator": "IN", "value": identifiers}],
            }
        ],
        "overrides": overrides,
        "metadata": {"source": "identity_overrides"},
    }


def document_to_context(document: dict[str, Any], *, include_identity_overrides: bool = True) -> dict[str, Any]:
    """The engine's evaluation context for a document, without an identity."""
    segments: dict[str, Any] = {
        str(segment["id"]): {
            "key": str(segment["id"]),
            "name": segment["name"],
            "rules": _rule_contexts(segment["rules"]),
            "overrides": list(_feature_contexts(segment["feature_states"])),
            "metadata": {"id": segment["id"], "source": "api"},
        }
        for segment in document["project"]["segments"]
    }
    if include_identity_overrides:
        for override in document["identity_overrides"]:
            contexts = list(_feature_contexts(override["identity_features"], priority=float("-inf")))
            if contexts:
                segment = identity_overrides_segment([override["identifier"]], contexts)
                segments[segment["key"]] = segment
    return {
        "environment": {"key": document["api_key"], "name": document["name"]},
        "features": {context["name"]: context for context in _feature_contexts(document["feature_states"])},
        "segments": segments,
    }
