"""The Unleash client API's view of an environment: translated once per version, rendered per query.

``unleash_environment`` turns a compiled environment (``documents.compiler``)
into Unleash features (``translation``) the first time a version is asked for, and
keeps it per process beside the compiled document, keyed by the same version, and
in the shared document cache. Requests then only filter and serialise; the
rendered body of each query is kept too, with its ETag, a hash of the content.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import router
from rest_framework import exceptions

from analytics import services as analytics_services
from documents import caching
from documents.compiler import CompiledEnvironment, dumps_json
from unleash import translation
from unleash.authentication import resolve_token
from unleash.translation import FeatureTranslation, Notes, Rule, SegmentScope

LRU_SIZE = 256
# Rendered bodies kept per version: the unfiltered query and a few filtered ones.
BODIES_PER_VERSION = 16
TAG_TYPE = "simple"


@dataclass(frozen=True)
class Query:
    """What a features request asks for, after the token fixed project and environment."""

    inline_segments: bool
    name_prefix: str | None = None
    tags: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Rendered:
    body: bytes
    etag: str


@dataclass
class FeatureInfo:
    description: str | None
    stale: bool
    tags: frozenset[tuple[str, str]]


@dataclass
class UnleashEnvironment:
    """One environment version as Unleash features, in feature id order."""

    environment_id: int
    version: datetime
    project: str
    environment_name: str
    translations: dict[str, FeatureTranslation]
    info: dict[str, FeatureInfo]
    # Enabled for nobody and the environment hides disabled flags: not served.
    hidden: frozenset[str]
    _bodies: OrderedDict[Query, Rendered] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __getstate__(self) -> dict[str, Any]:
        state = {**self.__dict__, "_bodies": OrderedDict()}
        del state["_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def served(self, name: str) -> bool:
        return name in self.translations and name not in self.hidden

    def feature_json(self, name: str, inline_segments: bool) -> dict[str, Any]:
        feature = self.translations[name]
        strategies = [translation.strategy_json(s, name, inline_segments) for s in feature.strategies]
        info = self.info[name]
        return {
            "name": name,
            "type": "release",
            "enabled": bool(strategies),
            "project": self.project,
            "stale": info.stale,
            "strategies": strategies,
            "variants": [],
            "description": info.description,
            "impressionData": False,
        }

    def matching(self, query: Query) -> list[str]:
        names = [name for name in self.translations if self.served(name)]
        if query.name_prefix:
            names = [name for name in names if name.startswith(query.name_prefix)]
        if query.tags:
            wanted = set(query.tags)
            names = [name for name in names if self.info[name].tags & wanted]
        return names

    def render(self, query: Query) -> Rendered:
        with self._lock:
            rendered = self._bodies.get(query)
        if rendered is not None:
            return rendered
        names = self.matching(query)
        features = [self.feature_json(name, query.inline_segments) for name in names]
        echoed: dict[str, Any] = {
            "project": [self.project],
            "environment": self.environment_name,
            "inlineSegmentConstraints": query.inline_segments,
        }
        if query.name_prefix:
            echoed["namePrefix"] = query.name_prefix
        if query.tags:
            echoed["tag"] = [list(tag) for tag in query.tags]
        content: dict[str, Any] = {"version": 2, "features": features, "query": echoed}
        if not query.inline_segments:
            segments = dict(translation.iter_segment_definitions(self.translations[name] for name in names))
            content["segments"] = [
                {
                    "id": segment_id,
                    "name": f"banderole-segment-{segment_id}",
                    "constraints": [constraint.as_json() for constraint in constraints],
                }
                for segment_id, constraints in sorted(segments.items())
            ]
        # The ETag is a hash of what this query returns: it changes when, and only when, that does.
        query_hash = hashlib.sha1(dumps_json(echoed), usedforsecurity=False).hexdigest()[:8]
        revision = int(hashlib.sha256(dumps_json(content)).hexdigest()[:12], 16)
        etag = f'"{query_hash}:{revision}:v1"'
        content["meta"] = {"revisionId": revision, "etag": etag, "queryHash": query_hash}
        rendered = Rendered(dumps_json(content), etag)
        with self._lock:
            self._bodies[query] = rendered
            while len(self._bodies) > BODIES_PER_VERSION:
                self._bodies.popitem(last=False)
        return rendered

    def report(self) -> list[dict[str, Any]]:
        """Per feature: how faithful its translation is (the admin API shows it)."""
        return [{**self.translations[name].report(), "served": self.served(name)} for name in self.translations]


# --- translation ----------------------------------------------------------------------------------


def _feature_infos(compiled: CompiledEnvironment) -> dict[str, FeatureInfo]:
    """Tags and archived flags, which the environment document does not carry (one query each)."""
    from features.models import Feature

    database = router.db_for_write(Feature)
    project_id = compiled.document["project"]["id"]
    tags: dict[str, set[tuple[str, str]]] = {}
    for name, label in (
        Feature.tags.through.objects.using(database)
        .filter(feature__project_id=project_id)
        .values_list("feature__name", "tag__label")
    ):
        tags.setdefault(name, set()).add((TAG_TYPE, label))
    archived = set(
        Feature.objects.using(database).filter(project_id=project_id, is_archived=True).values_list("name", flat=True)
    )
    return {
        name: FeatureInfo(description=item["description"], stale=name in archived, tags=frozenset(tags.get(name, ())))
        for name, item in compiled.feature_items.items()
    }


def translate(compiled: CompiledEnvironment) -> UnleashEnvironment:
    """Every feature of a compiled environment as ordered Unleash strategies."""
    document = compiled.document
    context = compiled.context
    environment_context = {"environment": context["environment"]}
    segment_formulas: dict[str, tuple[translation.Formula, Notes]] = {}
    overrides: dict[str, list[tuple[Any, int, int, dict[str, Any]]]] = {}
    for order, (key, segment) in enumerate(context["segments"].items()):
        notes = Notes()
        scope = SegmentScope(key=key, group=f"segment-{key}", environment_context=environment_context, notes=notes)
        segment_formulas[key] = (translation.rules_formula(segment["rules"], scope), notes)
        for state in segment.get("overrides") or []:
            # Lower priority wins, the first segment seen wins a tie: the engine's order.
            overrides.setdefault(state["name"], []).append((state.get("priority"), order, int(key), state))

    identity_groups: dict[str, dict[tuple[bool, str, Any], list[str]]] = {}
    identity_states: dict[tuple[str, tuple[bool, str, Any]], dict[str, Any]] = {}
    for identifier, (_, states) in sorted(compiled.identity_overrides.items()):
        for state in states:
            group = (state["enabled"], type(state["value"]).__name__, state["value"])
            identity_groups.setdefault(state["name"], {}).setdefault(group, []).append(identifier)
            identity_states[(state["name"], group)] = state

    translations: dict[str, FeatureTranslation] = {}
    for default in document["feature_states"]:
        name = default["feature"]["name"]
        notes = Notes()
        rules = [
            Rule(match=translation.Constraint("userId", "IN", tuple(identifiers)), state=identity_states[(name, group)])
            for group, identifiers in identity_groups.get(name, {}).items()
        ]
        for _, _, segment_id, state in sorted(overrides.get(name, []), key=lambda item: (item[0], item[1])):
            formula, segment_notes = segment_formulas[str(segment_id)]
            notes.inexact |= segment_notes.inexact
            notes.shares |= segment_notes.shares
            rules.append(Rule(match=formula, state=state, segment_id=segment_id))
        rules.append(Rule(match=True, state=context["features"][name]))
        translations[name] = translation.translate_feature(name, rules, notes)

    return UnleashEnvironment(
        environment_id=compiled.environment_id,
        version=compiled.version,
        project=str(document["project"]["id"]),
        environment_name=document["name"],
        translations=translations,
        info=_feature_infos(compiled),
        hidden=frozenset(
            name for name, feature in translations.items() if compiled.hide_disabled_flags and not feature.strategies
        ),
    )


_translated: OrderedDict[tuple[int, datetime], UnleashEnvironment] = OrderedDict()
_translated_lock = threading.Lock()


def unleash_environment(compiled: CompiledEnvironment) -> UnleashEnvironment:
    """The translation of this compiled version: this process's, the shared cache's, or a new one."""
    key = (compiled.environment_id, compiled.version)
    with _translated_lock:
        found = _translated.get(key)
        if found is not None:
            _translated.move_to_end(key)
            return found
    shared = settings.CACHE_ENVIRONMENT_DOCUMENT_ENABLED
    cache_key = f"unleash:{compiled.environment_id}:{caching.version_token(compiled.version)}"
    found = caching.cache_call(caching.ENVIRONMENT_DOCUMENTS, "get", cache_key) if shared else None
    if not isinstance(found, UnleashEnvironment):
        found = translate(compiled)
        if shared:
            timeout = (
                None
                if settings.CACHE_ENVIRONMENT_DOCUMENT_MODE == "PERSISTENT"
                else settings.CACHE_ENVIRONMENT_DOCUMENT_SECONDS
            )
            caching.cache_call(caching.ENVIRONMENT_DOCUMENTS, "set", cache_key, found, timeout)
    with _translated_lock:
        _translated[key] = found
        while len(_translated) > LRU_SIZE:
            _translated.popitem(last=False)
    return found


def forget_translations() -> None:
    """Tests: start from a cold process."""
    with _translated_lock:
        _translated.clear()


# --- metrics ----------------------------------------------------------------------------------


def record_metrics(compiled: CompiledEnvironment, toggles: dict[str, dict[str, Any]], now: datetime) -> None:
    """Unleash ``yes``/``no`` counts become flag evaluations, split by the outcome; unknown names are dropped."""
    counts = []
    for name, counted in toggles.items():
        if name not in compiled.feature_ids:
            continue
        for outcome, enabled in (("yes", True), ("no", False)):
            if counted.get(outcome, 0) > 0:
                counts.append(
                    analytics_services.EvaluationCount(
                        feature_name=name, count=counted[outcome], enabled_when_evaluated=enabled
                    )
                )
    analytics_services.record_evaluations(compiled.environment_id, counts, now)


def record_bulk_metrics(compiled: CompiledEnvironment, metrics: list[dict[str, Any]], now: datetime) -> None:
    """Edge's per-feature counts, summed per feature, for the token's environment only (as Unleash filters them).

    Edge labels each count with the environment ``/edge/validate`` gave its token
    (``edge_environment``); counts for other environments are dropped.
    """
    environment = edge_environment(compiled)
    toggles: dict[str, dict[str, int]] = {}
    for metric in metrics:
        if metric["environment"] != environment:
            continue
        counted = toggles.setdefault(metric["featureName"], {"yes": 0, "no": 0})
        counted["yes"] += metric["yes"]
        counted["no"] += metric["no"]
    record_metrics(compiled, toggles, now)


# --- Unleash Edge's token validation ------------------------------------------------------------


def edge_environment(compiled: CompiledEnvironment) -> str:
    """The Unleash environment name Edge knows an environment by: its client key, unique and public.

    Edge keys its feature caches and metrics by this name, and serves a frontend token
    from the features a backend token of the same environment fetched, so both keys of
    one environment must give the same name and no two environments may share one
    (environment names such as "Production" repeat across projects).
    """
    return compiled.api_key


def validate_tokens(tokens: list[str]) -> list[dict[str, Any]]:
    """Unleash's ``edgeTokenSchema`` for each token that opens an environment now; the others are left out."""
    valid = []
    for token in dict.fromkeys(tokens):
        key_auth = resolve_token(token)
        if key_auth is None:
            continue
        try:
            compiled = key_auth.compiled
        except exceptions.AuthenticationFailed:
            continue  # revoked, expired, or the organisation stopped serving flags
        valid.append(
            {
                "token": token,
                "type": "backend" if key_auth.is_server_key else "frontend",
                "projects": [str(compiled.document["project"]["id"])],
                "environment": edge_environment(compiled),
            }
        )
    return valid
