"""Remote evaluation: the flags an identity gets, shared by every protocol and the dashboard.

Every flag comes from ``flag_engine.get_evaluation_result`` over the compiled
environment's evaluation context, the context an official SDK builds from the same
environment document in local evaluation, so remote and local evaluation agree by
construction. Identity overrides are added as the SDKs add them: a segment matching
only this identity, with priority -inf.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

from flag_engine.engine import get_evaluation_result
from flag_engine.segments import constants as engine_constants
from flag_engine.segments import evaluator as engine_evaluator

from core import bounded_regex
from documents.compiler import CompiledEnvironment, identity_overrides_segment
from identities.models import Identity


def regex_matches(segment_value: str | None, context_value: Any) -> bool:
    """The engine's REGEX operator (``re.compile(value).match(str(trait))``) in bounded time."""
    return context_value is not None and bounded_regex.match(str(segment_value), str(context_value))


def install_bounded_regex() -> None:
    """Make the engine run REGEX conditions through ``core.bounded_regex`` (same answers, bounded time).

    The engine looks its matchers up in ``MATCHERS_BY_OPERATOR`` for every condition, so
    replacing that one entry changes how REGEX is run and nothing else; everything that
    evaluates (the SDK API, Unleash, OFREP, the dashboard) goes through it.
    """
    engine_evaluator.MATCHERS_BY_OPERATOR[engine_constants.REGEX] = regex_matches


def visible(compiled: CompiledEnvironment, name: str, enabled: bool, is_server_key: bool) -> bool:
    """Whether a flag reaches this key: server-key-only features and hidden disabled flags are left out."""
    if not is_server_key and name in compiled.server_key_only:
        return False
    return enabled or not compiled.hide_disabled_flags


@dataclass
class IdentityToEvaluate:
    identifier: str
    traits: dict[str, Any]
    # The stored identity's id, or None for a transient one (no overrides apply).
    identity_id: int | None = None


def identity_from_request(compiled: CompiledEnvironment, identifier: str, traits: dict[str, Any]) -> IdentityToEvaluate:
    """An identity a request describes in full (OFREP, the Unleash Frontend API): its traits are the request's.

    No stored trait is read and nothing is stored; only what evaluating a stored identity
    of that identifier also needs is looked up: its overrides (in the compiled document)
    or, in environments that still hash on database ids, its id (one indexed query).
    """
    if identifier in compiled.identity_overrides:
        identity_id: int | None = compiled.identity_overrides[identifier][0]
    elif compiled.use_identity_composite_key_for_hashing:
        identity_id = None
    else:
        identity_id = (
            Identity.objects.filter(environment_id=compiled.environment_id, identifier=identifier)
            .values_list("id", flat=True)
            .first()
        )
    return IdentityToEvaluate(identifier, traits, identity_id)


def evaluate(compiled: CompiledEnvironment, identity: IdentityToEvaluate) -> tuple[dict[str, Any], int | None]:
    """Engine flag results for an identity, and the identity id when its own overrides took part."""
    result, overridden_identity_id = evaluation_result(compiled, identity)
    return result["flags"], overridden_identity_id


def evaluation_result(compiled: CompiledEnvironment, identity: IdentityToEvaluate) -> tuple[dict[str, Any], int | None]:
    """The engine's whole result (``flags`` and ``segments``) for an identity, as ``evaluate``."""
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
    return get_evaluation_result(context), overridden_identity_id


def evaluate_identity(
    compiled: CompiledEnvironment, identity: IdentityToEvaluate, is_server_key: bool
) -> list[dict[str, Any]]:
    """Flag items of ``/identities/``, with ``variant``, after segment and identity overrides."""
    return evaluate_identity_and_segments(compiled, identity, is_server_key)[0]


def evaluate_identity_and_segments(
    compiled: CompiledEnvironment, identity: IdentityToEvaluate, is_server_key: bool
) -> tuple[list[dict[str, Any]], list[int]]:
    """``evaluate_identity``'s flag items, and the ids of the project segments the identity is in."""
    result, overridden_identity_id = evaluation_result(compiled, identity)
    flags = result["flags"]
    hide = compiled.hide_sensitive_data
    items = []
    for name, flag in flags.items():
        if not visible(compiled, name, flag["enabled"], is_server_key):
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
                "variant": _variant(flag, compiled.feature_items[name]["type"]),
            }
        )
    # Identity overrides are a segment of their own to the engine; only the project's segments count.
    segment_ids = [
        segment["metadata"]["id"]
        for segment in result["segments"]
        if segment.get("metadata", {}).get("source") == "api"
    ]
    return items, segment_ids


def _variant(flag: dict[str, Any], feature_type: str) -> str | None:
    """The ``variant`` Flagsmith reports: of a multivariate feature, the chosen option's key, else "control".

    The engine says "control" only for a state with variants; Flagsmith's serializer
    says it for every value of a multivariate feature that is no option's, identity
    and segment overrides without weights included. A chosen option without a key is null.
    """
    if feature_type != "MULTIVARIATE":
        return flag["variant"]
    if str(flag.get("reason", "")).startswith("SPLIT"):
        return flag["variant"]
    return "control"


def effective_flags(compiled: CompiledEnvironment, identity: IdentityToEvaluate) -> list[dict[str, Any]]:
    """Every feature as this identity gets it, and what decided it: the dashboard's view.

    ``overridden_by`` is ``"IDENTITY"``, ``"SEGMENT"`` (with the segment) or None
    for the environment default. Nothing is hidden: this is for admins.
    """
    flags, _ = evaluate(compiled, identity)
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


def transient_identifier(traits: list[dict[str, Any]]) -> str:
    """The identifier Flagsmith gives an identity sent without one: a hash of its traits, else random."""
    if not traits:
        return uuid.uuid4().hex
    joined = "".join(f"{trait['trait_key']}{trait['trait_value']}" for trait in sorted(traits, key=_trait_key))
    return hashlib.sha256(joined.encode()).hexdigest()


def _trait_key(trait: dict[str, Any]) -> str:
    return trait["trait_key"]
