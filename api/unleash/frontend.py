"""The Unleash Frontend API's evaluation: an Unleash context through Banderole's own engine.

Browser and mobile SDKs (``unleash-proxy-client`` and its kin) send a context
and get back the flags enabled for it. Banderole does not go through the
Unleash translation here: it evaluates the context as ``/api/v1/identities/``
evaluates a transient identity, so the frontend API always agrees with the
Flagsmith SDKs, percentage splits and variant shares included.

What the context means (``docs/unleash.md``):

- ``userId`` is the identity identifier; the identity's overrides apply.
- ``properties`` are the traits, as text (Unleash's context schema makes every
  property a string); other top-level fields an SDK sends are properties too, as
  Unleash moves them there.
- ``sessionId`` is the identifier when there is no ``userId`` (Unleash's default
  stickiness falls back to it), so an anonymous visitor keeps one bucket of each
  percentage split for the session. With neither, the identity is named after its
  traits, as ``POST /identities/`` names an identity sent without an identifier.
- ``appName``, ``environment``, ``remoteAddress`` and ``currentTime`` are read and
  checked but do not take part: the key fixes the environment, and Flagsmith
  segments have no conditions on them.

Nothing is stored and no stored traits are read.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from django.utils.dateparse import parse_datetime

from documents import evaluation
from documents.compiler import CompiledEnvironment
from identities.models import IDENTIFIER_LIMIT, TRAIT_KEY_LIMIT, TRAIT_STRING_VALUE_LIMIT
from unleash import translation

# Unleash's context fields beside ``properties`` (its ``sdkContextSchema``).
TEXT_FIELDS = ("appName", "environment", "userId", "sessionId", "remoteAddress")
TIME_FIELD = "currentTime"
MAX_PROPERTIES = 100
# ``properties[plan]=pro`` in a query string, as unleash-proxy-client sends a context with GET.
_QUERY_PROPERTY = re.compile(r"^properties\[(.+)\]$")
DISABLED_VARIANT = {"name": "disabled", "enabled": False}


class ContextError(Exception):
    """A malformed context: Unleash's ``BadDataError`` details, ``[{path, message}]``."""

    def __init__(self, details: list[dict[str, str]]) -> None:
        super().__init__(details[0]["message"])
        self.details = details


@dataclass(frozen=True)
class FrontendContext:
    # From userId (a stored identity's overrides apply) or, failing that, sessionId or the traits.
    identifier: str
    from_user_id: bool
    traits: dict[str, str]


def _text(value: Any) -> str | None:
    """A context value as Unleash coerces it into a string; None for an object or a list."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # JSON 30.0 is JavaScript's 30, coerced to "30"
    if isinstance(value, (str, int, float)):
        return str(value)
    return None


def _invalid(path: str, value: Any, problem: str) -> dict[str, str]:
    shown = repr(value)[:100]
    return {"path": path, "message": f"The `{path}` property {problem}. You sent {shown}."}


def parse_context(fields: dict[str, Any], properties: dict[str, Any], path: str) -> FrontendContext:
    """A context from its top-level fields and its properties; ContextError says what is malformed."""
    errors: list[dict[str, str]] = []
    texts: dict[str, str] = {}
    traits: dict[str, str] = {}
    for name, value in fields.items():
        if value is None:
            continue
        text = _text(value)
        if text is None:
            errors.append(_invalid(f"{path}/{name}", value, "must be a string"))
        elif name in TEXT_FIELDS:
            texts[name] = text
        elif name == TIME_FIELD:
            if parse_datetime(text) is None:
                errors.append(_invalid(f"{path}/{name}", value, 'must match format "date-time"'))
        else:
            # Unleash moves fields it does not know into properties.
            properties = {name: value, **properties}
    for key, value in properties.items():
        if value is None:
            continue
        text = _text(value)
        if text is None:
            errors.append(_invalid(f"{path}/properties/{key}", value, "must be a string"))
        elif len(key) > TRAIT_KEY_LIMIT:
            errors.append(_invalid(f"{path}/properties", key, f"has a name longer than {TRAIT_KEY_LIMIT} characters"))
        elif len(text) > TRAIT_STRING_VALUE_LIMIT:
            errors.append(
                _invalid(f"{path}/properties/{key}", value, f"is longer than {TRAIT_STRING_VALUE_LIMIT} characters")
            )
        else:
            traits[key] = text
    if len(traits) > MAX_PROPERTIES:
        errors.append(_invalid(f"{path}/properties", len(traits), f"has more than {MAX_PROPERTIES} properties"))
    for name in ("userId", "sessionId"):
        if len(texts.get(name, "")) > IDENTIFIER_LIMIT:
            errors.append(
                _invalid(f"{path}/{name}", texts[name][:50] + "…", f"is longer than {IDENTIFIER_LIMIT} characters")
            )
    if errors:
        raise ContextError(errors)
    if user_id := texts.get("userId"):
        return FrontendContext(user_id, True, traits)
    identifier = texts.get("sessionId") or evaluation.transient_identifier(
        [{"trait_key": key, "trait_value": value} for key, value in traits.items()]
    )
    return FrontendContext(identifier, False, traits)


def context_from_body(body: Any) -> FrontendContext:
    """``POST /api/frontend``: the context is the body's ``context`` object."""
    if not isinstance(body, dict):
        raise ContextError([_invalid("/body", body, "must be an object")])
    context = body.get("context")
    if context is None:
        context = {}
    if not isinstance(context, dict):
        raise ContextError([_invalid("/body/context", context, "must be an object")])
    properties = context.get("properties")
    if properties is None:
        properties = {}
    if not isinstance(properties, dict):
        raise ContextError([_invalid("/body/context/properties", properties, "must be an object")])
    fields = {key: value for key, value in context.items() if key != "properties"}
    return parse_context(fields, properties, "/body/context")


def context_from_query(query: Any) -> FrontendContext:
    """``GET /api/frontend?userId=…&properties[plan]=pro``: one value per name."""
    fields: dict[str, Any] = {}
    properties: dict[str, Any] = {}
    for name in query:
        values = query.getlist(name)
        if len(values) != 1:
            raise ContextError([_invalid(f"/query/{name}", values, "must be given once")])
        match = _QUERY_PROPERTY.match(name)
        if match:
            properties[match[1]] = values[0]
        else:
            fields[name] = values[0]
    return parse_context(fields, properties, "/query")


# --- evaluation ---------------------------------------------------------------------------------


def _state_variants(compiled: CompiledEnvironment) -> dict[int, list[dict[str, Any]]]:
    """Feature state id -> its variant shares, for every environment default and segment override."""
    found: dict[int, list[dict[str, Any]]] = {}
    contexts = list(compiled.context["features"].values())
    for segment in compiled.context["segments"].values():
        contexts.extend(segment.get("overrides") or [])
    for context in contexts:
        if context.get("variants"):
            found[context["metadata"]["feature_state_id"]] = context["variants"]
    return found


_variants: OrderedDict[tuple[int, Any], dict[int, list[dict[str, Any]]]] = OrderedDict()
_variants_lock = threading.Lock()
LRU_SIZE = 256


def state_variants(compiled: CompiledEnvironment) -> dict[int, list[dict[str, Any]]]:
    """``_state_variants`` of this version, built once per process."""
    key = (compiled.environment_id, compiled.version)
    with _variants_lock:
        found = _variants.get(key)
        if found is not None:
            _variants.move_to_end(key)
            return found
    found = _state_variants(compiled)
    with _variants_lock:
        _variants[key] = found
        while len(_variants) > LRU_SIZE:
            _variants.popitem(last=False)
    return found


def _same(left: Any, right: Any) -> bool:
    return type(left) is type(right) and left == right


def variant_json(compiled: CompiledEnvironment, identifier: str, flag: dict[str, Any]) -> dict[str, Any]:
    """The Unleash variant of an engine result, named as the client API translation names it.

    A value alone is the variant ``value``; a variant share is its option's key, or
    ``variant-<id>`` for an option without one (``translation.variant_name``); the rest of
    the shares is ``control``. The payload is ``translation.payload`` of the value.
    """
    if not flag["enabled"]:
        return {**DISABLED_VARIANT, "feature_enabled": False}
    value = flag["value"]
    name = flag["variant"]
    if name is None:
        state_id = flag["metadata"]["feature_state_id"]
        shares = state_variants(compiled).get(state_id)
        if shares is None and identifier in compiled.identity_overrides:
            overrides = compiled.identity_overrides[identifier][1]
            shares = next((o.get("variants") for o in overrides if o["metadata"]["feature_state_id"] == state_id), None)
        # The engine names a chosen share by its key only: a keyless one is found by its value.
        chosen = next(
            (
                share
                for share in sorted(shares or [], key=_priority)
                if not share.get("key") and _same(share["value"], value)
            ),
            None,
        )
        if chosen is not None:
            name = translation.variant_name(chosen)
        elif value is None:
            return {**DISABLED_VARIANT, "feature_enabled": True}
        else:
            name = "value"
    variant: dict[str, Any] = {"name": name, "enabled": True, "feature_enabled": True}
    if (body := translation.payload(value)) is not None:
        variant["payload"] = body
    return variant


def _priority(share: dict[str, Any]) -> Any:
    return share["priority"]


def evaluate(compiled: CompiledEnvironment, context: FrontendContext) -> dict[str, dict[str, Any]]:
    """Every flag a client key may see, evaluated for the context, as Unleash toggles by name."""
    if context.from_user_id:
        identity = evaluation.identity_from_request(compiled, context.identifier, context.traits)
    else:
        identity = evaluation.IdentityToEvaluate(context.identifier, context.traits)
    flags, _ = evaluation.evaluate(compiled, identity)
    toggles = {}
    for name, flag in flags.items():
        if name in compiled.server_key_only:
            continue
        toggles[name] = {
            "name": name,
            "enabled": flag["enabled"],
            "variant": variant_json(compiled, identity.identifier, flag),
            "impressionData": False,
        }
    return toggles


def enabled_toggles(compiled: CompiledEnvironment, context: FrontendContext) -> list[dict[str, Any]]:
    """``/api/frontend``: the enabled toggles only, as Unleash answers, in feature order."""
    return [toggle for toggle in evaluate(compiled, context).values() if toggle["enabled"]]


def forget() -> None:
    """Tests: start from a cold process."""
    with _variants_lock:
        _variants.clear()
