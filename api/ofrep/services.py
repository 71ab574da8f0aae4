"""OFREP evaluation: an OpenFeature context through Banderole's own engine.

``targetingKey`` is the identity identifier and every other attribute a trait of
the same JSON type, so a result equals what ``/api/v1/identities/`` gives that
identifier with those traits, splits and variants included. Nothing is stored
and no stored traits are read: the context is the whole truth. Identity
overrides apply, as they do for a stored identity, from the compiled document.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from documents import evaluation
from documents.compiler import CompiledEnvironment
from documents.evaluation import IdentityToEvaluate, transient_identifier, visible
from identities.models import IDENTIFIER_LIMIT, TRAIT_KEY_LIMIT, TRAIT_STRING_VALUE_LIMIT

TARGETING_KEY = "targetingKey"


class EvaluationError(Exception):
    """An OFREP error: ``errorCode`` and ``errorDetails``, answered with ``status``."""

    def __init__(self, code: str, details: str, status: int = 400) -> None:
        super().__init__(details)
        self.code = code
        self.details = details
        self.status = status


@dataclass(frozen=True)
class Context:
    identifier: str | None
    traits: dict[str, Any]


def parse_context(body: Any, *, use_traits: bool) -> Context:
    """The identity a request body describes; ``use_traits`` is False for a client key the environment denies traits."""
    if not isinstance(body, dict):
        raise EvaluationError("PARSE_ERROR", "The request body must be a JSON object.")
    context = body.get("context", {})
    if context is None:
        context = {}
    if not isinstance(context, dict):
        raise EvaluationError("INVALID_CONTEXT", "context must be a JSON object.")
    identifier = context.get(TARGETING_KEY)
    if identifier is not None and (not isinstance(identifier, str) or len(identifier) > IDENTIFIER_LIMIT):
        raise EvaluationError(
            "INVALID_CONTEXT", f"targetingKey must be a string of at most {IDENTIFIER_LIMIT} characters."
        )
    traits: dict[str, Any] = {}
    for key, value in context.items():
        if key == TARGETING_KEY or value is None:
            continue
        if len(key) > TRAIT_KEY_LIMIT:
            raise EvaluationError("INVALID_CONTEXT", f"Attribute names have at most {TRAIT_KEY_LIMIT} characters.")
        if isinstance(value, (dict, list)):
            raise EvaluationError(
                "INVALID_CONTEXT",
                f"Attribute {key[:50]!r} is an object or a list; traits are strings, numbers or booleans.",
            )
        if isinstance(value, str) and len(value) > TRAIT_STRING_VALUE_LIMIT:
            raise EvaluationError(
                "INVALID_CONTEXT", f"Attribute {key[:50]!r} is longer than {TRAIT_STRING_VALUE_LIMIT} characters."
            )
        traits[key] = value
    return Context(identifier=identifier or None, traits=traits if use_traits else {})


def _has_split(rules: list[dict[str, Any]]) -> bool:
    return any(
        any(condition["operator"] == "PERCENTAGE_SPLIT" for condition in rule.get("conditions") or [])
        or _has_split(rule.get("rules") or [])
        for rule in rules
    )


def _reason(compiled: CompiledEnvironment, flag: dict[str, Any]) -> str:
    """OpenFeature's reason from the engine's: a segment that matched through a percentage split is a SPLIT."""
    if not flag["enabled"]:
        return "DISABLED"
    engine_reason = flag["reason"].split(";", 1)[0]
    if engine_reason == "TARGETING_MATCH":
        segment = compiled.override_segments.get(flag["metadata"]["feature_state_id"])
        if segment is not None and _has_split(compiled.context["segments"][str(segment["id"])]["rules"]):
            return "SPLIT"
    if engine_reason in ("TARGETING_MATCH", "SPLIT", "STATIC", "DEFAULT"):
        return engine_reason
    return "UNKNOWN"


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def success_item(name: str, enabled: bool, value: Any, variant: str | None, reason: str) -> dict[str, Any]:
    """An ``evaluationSuccess``: always a ``variant``; no ``value`` (the code default) for a disabled valued flag."""
    if value is None:
        return {"key": name, "value": enabled, "reason": reason, "variant": "on" if enabled else "off"}
    if not enabled:
        return {"key": name, "reason": reason, "variant": "disabled"}
    return {"key": name, "value": value, "reason": reason, "variant": variant or _text(value)}


def evaluate(compiled: CompiledEnvironment, context: Context, is_server_key: bool) -> dict[str, dict[str, Any]]:
    """Every flag this key may see for the context, by name, as OFREP success items.

    Without a targeting key or attributes this is the environment's flags (``/flags/``);
    attributes without a targeting key are a transient identity named after them, as
    ``POST /identities/`` does for an identity sent without an identifier.
    """
    items: dict[str, dict[str, Any]] = {}
    if context.identifier is None and not context.traits:
        for state in compiled.document["feature_states"]:
            name, enabled = state["feature"]["name"], state["enabled"]
            if visible(compiled, name, enabled, is_server_key):
                reason = "STATIC" if enabled else "DISABLED"
                items[name] = success_item(name, enabled, state["feature_state_value"], None, reason)
        return items
    identifier = context.identifier or transient_identifier(
        [{"trait_key": key, "trait_value": value} for key, value in context.traits.items()]
    )
    if context.identifier:
        identity = evaluation.identity_from_request(compiled, identifier, context.traits)
    else:
        identity = IdentityToEvaluate(identifier, context.traits)
    flags, _ = evaluation.evaluate(compiled, identity)
    for name, flag in flags.items():
        if visible(compiled, name, flag["enabled"], is_server_key):
            items[name] = success_item(name, flag["enabled"], flag["value"], flag["variant"], _reason(compiled, flag))
    return items
