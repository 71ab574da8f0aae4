"""Flags as comparable plain data, and mismatch reports that say enough to reproduce them."""

from __future__ import annotations

import json
import math
from collections import Counter
from typing import Any

# enabled, value with its JSON type (1 and True and "1" are different values), variant.
FlagTuple = tuple[bool, str, Any, str | None]


def python_flags(flags: Any) -> dict[str, FlagTuple]:
    """The official Python SDK's ``Flags``, every feature."""
    return {
        flag.feature_name: (flag.enabled, type(flag.value).__name__, flag.value, flag.variant)
        for flag in flags.all_flags()
    }


def describe_mismatch(
    label: str, identifier: str | None, traits: Any, left_name: str, left: dict, right_name: str, right: dict
) -> str:
    differing = sorted(name for name in set(left) | set(right) if left.get(name) != right.get(name))
    lines = [f"{label}: identity {identifier!r}", f"  traits: {json.dumps(traits, default=repr, sort_keys=True)}"]
    for name in differing:
        lines.append(f"  {name}: {left_name}={left.get(name, 'MISSING')!r} {right_name}={right.get(name, 'MISSING')!r}")
    return "\n".join(lines)


def report(mismatches: list[str], limit: int = 20) -> str:
    shown = "\n".join(mismatches[:limit])
    more = f"\n... and {len(mismatches) - limit} more" if len(mismatches) > limit else ""
    return f"{len(mismatches)} mismatches:\n{shown}{more}"


# --- other protocols: Unleash SDKs and OFREP ----------------------------------------------------


def unleash_properties(traits: dict[str, Any]) -> dict[str, str]:
    """Traits as Unleash context properties, stringified as the Unleash translation assumes."""
    return {key: payload_text(value) for key, value in traits.items() if value is not None}


def payload_text(value: Any) -> str:
    """A flag or trait value as Unleash carries it: ``true``/``false`` for booleans, else ``str()``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def shares_agree(left: Counter, right: Counter, z_limit: float = 4.0) -> list[str]:
    """Outcomes whose shares differ by more than ``z_limit`` standard errors (a two-proportion z-test)."""
    n_left, n_right = sum(left.values()), sum(right.values())
    problems = []
    for outcome in set(left) | set(right):
        p_left, p_right = left[outcome] / n_left, right[outcome] / n_right
        pooled = (left[outcome] + right[outcome]) / (n_left + n_right)
        error = math.sqrt(max(pooled * (1 - pooled), 1e-9) * (1 / n_left + 1 / n_right))
        if abs(p_left - p_right) / error > z_limit:
            problems.append(f"{outcome!r}: {p_left:.3f} vs {p_right:.3f} (n={n_left}/{n_right})")
    return problems


# What the admin API's Unleash translation report must say of configuration.py, and so how
# each flag is compared: identity by identity, or by the share of each outcome.
UNLEASH_TRANSLATION = {
    "flag_on": "exact",
    "flag_off": "exact",
    "string_value": "exact",
    "bool_value": "exact",
    "disabled_with_value": "exact",
    "server_only": "exact",
    "beta_access": "exact",
    "int_value": "inexact",  # every_third's MODULO never matches in Unleash
    "tiered_discount": "shares",  # rollout_30
    "rollout": "shares",  # org_split_50, rollout_30
    "mv_colour": "shares",
    "mv_limit": "shares",
    "mv_banner": "shares",
}

# enabled, and the value's text when enabled: what an Unleash SDK shows of a flag.
UnleashOutcome = tuple[bool, str | None]


def flagsmith_as_unleash(enabled: bool, value: Any) -> UnleashOutcome:
    return (enabled, None) if not enabled or value is None else (True, payload_text(value))


class UnleashComparison:
    """Unleash SDK outcomes against ``/identities/``: exact flags per identity, the rest by share.

    ``int_value`` is compared exactly where the identity has no ``user_number`` (its MODULO
    segment can match only through that trait).
    """

    def __init__(self) -> None:
        self.identities = 0
        self.exact_int_value = 0
        self.mismatches: list[str] = []
        self.shares: dict[str, tuple[Counter, Counter]] = {}

    def add(self, identifier: str, traits: dict[str, Any], expected: dict[str, UnleashOutcome], got: dict) -> None:
        self.identities += 1
        for name, wanted in expected.items():
            kind = UNLEASH_TRANSLATION[name]
            outcome = got.get(name, "MISSING")
            if kind == "exact" or (name == "int_value" and "user_number" not in traits):
                self.exact_int_value += name == "int_value"
                if wanted != outcome:
                    self.mismatches.append(
                        f"{identifier} {name}: identities={wanted} unleash={outcome} traits={traits}"
                    )
            elif kind == "shares":
                counters = self.shares.setdefault(name, (Counter(), Counter()))
                counters[0][wanted] += 1
                counters[1][outcome] += 1

    def share_problems(self) -> dict[str, list[str]]:
        return {name: problems for name, counters in self.shares.items() if (problems := shares_agree(*counters))}

    def share_lines(self) -> list[str]:
        return [
            f"  {name} {outcome}: identities {counters[0][outcome] / self.identities:.3f}, "
            f"unleash {counters[1][outcome] / self.identities:.3f}"
            for name, counters in sorted(self.shares.items())
            for outcome in sorted(set(counters[0]) | set(counters[1]), key=repr)
        ]


# --- the Unleash Frontend API -------------------------------------------------------------------

# enabled, variant name, payload text: what an Unleash browser SDK shows of a flag.
FrontendOutcome = tuple[bool, str, str | None]
NOT_SERVED: FrontendOutcome = (False, "disabled", None)


class KeylessShares(dict):
    """Feature state id -> [(share id, value)]; ``splitting`` holds the ids of states with any share."""

    splitting: set[int]


def keyless_shares(document: dict[str, Any]) -> KeylessShares:
    """Feature state id -> [(share id, value)] of its variant shares whose option has no key."""
    states = list(document["feature_states"])
    for segment in document["project"]["segments"]:
        states.extend(segment.get("feature_states") or [])
    for override in document.get("identity_overrides") or []:
        states.extend(override["identity_features"])
    shares = KeylessShares(
        {
            state["django_id"]: [
                (share["id"], share["multivariate_feature_option"]["value"])
                for share in sorted(state["multivariate_feature_state_values"], key=lambda share: share["id"])
                if share["multivariate_feature_option"]["key"] is None
            ]
            for state in states
        }
    )
    shares.splitting = {state["django_id"] for state in states if state["multivariate_feature_state_values"]}
    return shares


def flagsmith_control_as_engine(remote: dict[str, FlagTuple], local: dict[str, FlagTuple]) -> dict[str, FlagTuple]:
    """``remote`` with Flagsmith's ``control`` read as the engine's ``None`` where nothing else differs.

    Flagsmith's ``/identities/`` names every value of a multivariate feature that is no
    option's ``control`` (its serializer's ``get_variant``), identity overrides included;
    the engine evaluating locally says ``control`` only for a state that splits.
    """
    return {
        name: local[name]
        if flag[3] == "control" and name in local and local[name][3] is None and local[name][:3] == flag[:3]
        else flag
        for name, flag in remote.items()
    }


def identities_as_frontend(flag: dict[str, Any], keyless: dict[int, list[tuple[int, Any]]]) -> FrontendOutcome:
    """What the Frontend API must show of an ``/identities/`` flag item, named as the Unleash translation names it.

    A value alone is the variant ``value``; a share is its option's key (the item's
    ``variant``), ``variant-<share id>`` for an option without a key, ``control`` for
    the rest; a flag without a value shows Unleash's ``disabled`` variant.
    """
    if not flag["enabled"]:
        return NOT_SERVED
    value, variant = flag["feature_state_value"], flag["variant"]
    if variant == "control" and flag["id"] not in getattr(keyless, "splitting", set()):
        variant = None  # Flagsmith's name for a multivariate feature's non-option value (no split here)
    if variant is None:
        chosen = [
            share_id
            for share_id, share_value in keyless.get(flag["id"], [])
            if type(share_value) is type(value) and share_value == value
        ]
        variant = f"variant-{chosen[0]}" if chosen else ("disabled" if value is None else "value")
    return True, variant, None if value is None else payload_text(value)
