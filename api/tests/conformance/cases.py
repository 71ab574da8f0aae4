"""Flagsmith's engine conformance cases (``data/``), and what of each one hashing decides.

A case is an evaluation context and the result every engine must give. Rebuilt
through the admin API, the case gets Banderole's ids, not the case's: the
feature state ids that seed multivariate variants and the segment ids that seed
percentage splits all differ, and an identity's hashing key is the
environment's key and the identifier, never the case's ``identity.key``. So
wherever a hash decides, the case's expected value cannot be reproduced, and
the official SDK's local evaluation of the served document is the reference
instead. Everything else must equal the case's expected result.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import pyjson5

DATA = Path(__file__).parent / "data"


@dataclass(frozen=True)
class Case:
    name: str
    context: dict[str, Any]
    result: dict[str, Any]

    @property
    def identity(self) -> dict[str, Any] | None:
        return self.context.get("identity")

    @property
    def features(self) -> dict[str, dict[str, Any]]:
        return self.context.get("features") or {}

    @property
    def segments(self) -> list[dict[str, Any]]:
        return list((self.context.get("segments") or {}).values())

    @cached_property
    def environment_fingerprint(self) -> str:
        """What the admin API builds for this case: cases that share it share one environment."""
        return json.dumps(
            {part: self.context.get(part) for part in ("environment", "features", "segments")}, sort_keys=True
        )

    @cached_property
    def hashed_segments(self) -> frozenset[str]:
        """Names of the segments whose membership a percentage split may decide."""
        traits = (self.identity or {}).get("traits") or {}
        return frozenset(
            segment["name"] for segment in self.segments if _has_hashed_split(segment["rules"], self.identity, traits)
        )

    @cached_property
    def hashed_flags(self) -> frozenset[str]:
        """Names of the features whose result a hash may decide: variants, or an override from a split segment."""
        if self.identity is None:
            # Without an identity there is no hashing key: variants give the control value.
            return frozenset()
        hashed = {name for name, feature in self.features.items() if _has_variants(feature)}
        for segment in self.segments:
            for override in segment.get("overrides") or []:
                if _has_variants(override) or segment["name"] in self.hashed_segments:
                    hashed.add(override["name"])
        return frozenset(hashed)


def _has_variants(feature: dict[str, Any]) -> bool:
    """Whether a hash picks among the variants: not when the first that has a share has all of it."""
    variants = sorted(feature.get("variants") or [], key=lambda variant: variant["priority"])
    weights = [variant["weight"] for variant in variants if variant["weight"] > 0]
    return bool(weights) and weights[0] < 100


def _has_hashed_split(rules: list[dict[str, Any]], identity: dict[str, Any] | None, traits: dict[str, Any]) -> bool:
    for rule in rules:
        for condition in rule.get("conditions") or []:
            if condition["operator"] != "PERCENTAGE_SPLIT":
                continue
            property_ = condition.get("property") or ""
            is_trait = property_ and not property_.startswith("$.")
            if identity is None or (is_trait and traits.get(property_) is None):
                continue  # nothing to hash (no identity, or a trait the identity lacks): never in the split
            try:
                percentage = float(condition["value"])
            except (TypeError, ValueError):
                continue  # an unparseable split never matches, whatever the hash
            # Below 0 nobody is in the split and from 100 on everybody is: only between does the hash decide.
            if 0 <= percentage < 100:
                return True
        if _has_hashed_split(rule.get("rules") or [], identity, traits):
            return True
    return False


def load_cases() -> Iterator[Case]:
    for path in sorted(DATA.glob("test_*.json*")):
        # pyjson5: case files may open with a JSON5 comment.
        data = pyjson5.loads(path.read_text(encoding="utf-8"))
        yield Case(name=path.name.split(".")[0], context=data["context"], result=data["result"])
