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
