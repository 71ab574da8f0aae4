"""Flags as comparable plain data, and mismatch reports that say enough to reproduce them."""

from __future__ import annotations

import json
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
