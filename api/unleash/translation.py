"""Banderole's targeting as Unleash strategies (``shared/reference/unleash-ofrep.md`` §5).

Flagsmith decides a flag by the first rule that applies: identity overrides, then
segment overrides by priority, then the environment default. Unleash ORs a
feature's strategies and takes variants from the first strategy that matches.
So each *enabled* rule becomes strategies, in priority order, whose constraints
say "this rule matches and no higher *disabled* rule does" (an enabled higher
rule needs no negation: it comes first and wins by order). The rule's value and
variant shares become strategy variants.

Matching is built as a boolean formula over Unleash constraints and percentage
splits, then turned into disjunctive normal form: one strategy per conjunction.
Negating a constraint is Unleash's ``inverted``, which is true when the property
is missing, as negating a Flagsmith condition on a missing trait is. The DNF is
capped (``MAX_STRATEGIES``), so a flag never explodes in size; a capped or
inexact translation is reported per feature (``FeatureTranslation``).

What each Flagsmith condition becomes is in ``_condition_formula``; the traits
are assumed to reach the Unleash SDK as the reference says: strings, ``true`` /
``false`` for booleans, ``str()`` of numbers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from flag_engine.segments.evaluator import context_matches_condition

# Strategies per feature, and conjunctions per intermediate DNF: past this the
# translation keeps the first ones (highest priority first) and says it is capped.
MAX_STRATEGIES = 64

# How Flagsmith's engine reads a trait string (``map_any_value_to_context_value``).
INTEGER_PATTERN = r"^-?[0-9]+$"
NUMBER_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"
_INTEGER = re.compile(INTEGER_PATTERN)
_DECIMAL = re.compile(r"^-?[0-9]+\.[0-9]+$")
# A semantic version as the ``semver`` package parses it.
SEMVER_PATTERN = (
    r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)"
    r"(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$"
)
# Python ``re`` constructs that Unleash SDK regex engines (Rust ``regex``, JavaScript) lack or read differently.
_UNPORTABLE_REGEX = re.compile(r"\(\?(?:<?[=!]|P=|P<|#)|\\[1-9]|\\[AZ]|\(\?[aiLmsux]+\)")
# Context fields the Unleash SDKs read from the context itself, not from ``properties``.
UNLEASH_CONTEXT_FIELDS = frozenset({"userId", "sessionId", "environment", "appName", "currentTime", "remoteAddress"})


# --- formulas -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Constraint:
    """One Unleash constraint; ``value`` for single-value operators, ``values`` for list ones."""

    context_name: str
    operator: str
    values: tuple[str, ...] = ()
    value: str | None = None
    inverted: bool = False

    def negated(self) -> Constraint:
        return Constraint(self.context_name, self.operator, self.values, self.value, not self.inverted)

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"contextName": self.context_name, "operator": self.operator}
        if self.value is not None:
            body["value"] = self.value
            body["values"] = []
        else:
            body["values"] = list(self.values)
        body["inverted"] = self.inverted
        body["caseInsensitive"] = False
        return body


@dataclass(frozen=True)
class Split:
    """A Flagsmith percentage split: ``percentage`` of the users hashed on ``stickiness`` in ``group``."""

    group: str
    stickiness: str
    percentage: float
    negated_: bool = False

    def negated(self) -> Split:
        return Split(self.group, self.stickiness, self.percentage, not self.negated_)

    @property
    def share(self) -> float:
        share = min(max(self.percentage, 0.0), 100.0) / 100
        return 1 - share if self.negated_ else share


Literal = Constraint | Split


@dataclass(frozen=True)
class And:
    children: tuple[Formula, ...]


@dataclass(frozen=True)
class Or:
    children: tuple[Formula, ...]


@dataclass(frozen=True)
class Not:
    child: Formula


Formula = bool | Constraint | Split | And | Or | Not
Conjunction = frozenset  # of Literal


def _and(*children: Formula) -> Formula:
    return And(tuple(children))


def _not(child: Formula) -> Formula:
    return Not(child)


class Expansion:
    """DNF expansion under a cap; remembers whether the cap was hit."""

    def __init__(self, cap: int = MAX_STRATEGIES) -> None:
        self.cap = cap
        self.capped = False

    def _limit(self, conjunctions: list[Conjunction]) -> list[Conjunction]:
        unique = list(dict.fromkeys(conjunctions))
        if len(unique) > self.cap:
            self.capped = True
            return unique[: self.cap]
        return unique

    def dnf(self, formula: Formula, negate: bool = False) -> list[Conjunction]:
        """Conjunctions whose OR is ``formula`` (or its negation); contradictory ones are dropped."""
        if isinstance(formula, bool):
            return [frozenset()] if formula != negate else []
        if isinstance(formula, (Constraint, Split)):
            return [frozenset({formula.negated() if negate else formula})]
        if isinstance(formula, Not):
            return self.dnf(formula.child, not negate)
        conjunctive = isinstance(formula, And) != negate  # De Morgan
        parts = [self.dnf(child, negate) for child in formula.children]
        if not conjunctive:
            return self._limit([conjunction for part in parts for conjunction in part])
        return self.product(parts)

    def product(self, parts: Iterable[list[Conjunction]]) -> list[Conjunction]:
        result: list[Conjunction] = [frozenset()]
        for part in parts:
            result = self._limit(
                [merged for left in result for right in part if (merged := _merge(left, right)) is not None]
            )
            if not result:
                break
        return result


def _merge(left: Conjunction, right: Conjunction) -> Conjunction | None:
    merged = left | right
    if any(literal.negated() in merged for literal in right):
        return None  # x AND NOT x
    return merged


# --- conditions -----------------------------------------------------------------------------------


@dataclass
class Notes:
    """Why a feature's translation is not exact; ``shares`` alone means only shares of users match."""

    inexact: set[str] = field(default_factory=set)
    shares: set[str] = field(default_factory=set)


def _present(name: str) -> Constraint:
    # REGEX ".*" is the one presence test both yggdrasil and the Node SDK agree on.
    return Constraint(name, "REGEX", value=".*")


def _regex(name: str, pattern: str) -> Constraint:
    return Constraint(name, "REGEX", value=pattern)


def _not_integer(name: str) -> Formula:
    return _not(_regex(name, INTEGER_PATTERN))


def _not_number(name: str) -> Formula:
    return _not(_regex(name, NUMBER_PATTERN))


_NUMERIC_OPERATORS = {
    "EQUAL": "NUM_EQ",
    "GREATER_THAN": "NUM_GT",
    "GREATER_THAN_INCLUSIVE": "NUM_GTE",
    "LESS_THAN": "NUM_LT",
    "LESS_THAN_INCLUSIVE": "NUM_LTE",
}
_SEMVER_OPERATORS = {
    "EQUAL": "SEMVER_EQ",
    "GREATER_THAN": "SEMVER_GT",
    "GREATER_THAN_INCLUSIVE": "SEMVER_GTE",
    "LESS_THAN": "SEMVER_LT",
    "LESS_THAN_INCLUSIVE": "SEMVER_LTE",
}


@dataclass
class SegmentScope:
    """What a segment's conditions need besides themselves."""

    key: str  # the engine's segment key: percentage splits hash on it
    group: str  # the Unleash groupId of its splits
    environment_context: dict[str, Any]
    notes: Notes


def _context_name(property_: str, scope: SegmentScope) -> str | None:
    if property_ == "$.identity.identifier":
        return "userId"
    if property_.startswith("$."):
        scope.notes.inexact.add(f"property {property_!r} has no Unleash context field: never matches")
        return None
    if property_ in UNLEASH_CONTEXT_FIELDS:
        scope.notes.inexact.add(f"trait {property_!r} is a standard Unleash context field, not a property")
    return property_


def _condition_formula(condition: dict[str, Any], scope: SegmentScope) -> Formula:
    """One Flagsmith condition as Unleash constraints, matching the engine's typed comparisons.

    The engine reads a numeric-looking trait string as a number and casts the
    condition value to the trait's type; a failed cast is "no match". So a decimal
    condition value never matches an integer trait, and a non-numeric one never
    matches a numeric trait: the extra REGEX constraints say exactly that.
    """
    operator = condition["operator"]
    property_ = condition.get("property") or ""
    raw = condition.get("value")
    value = "" if raw is None else str(raw)

    if property_.startswith("$.environment"):
        # Known when the document is compiled: the same for every user.
        return context_matches_condition(scope.environment_context, condition, scope.key)  # type: ignore[arg-type]

    if operator == "PERCENTAGE_SPLIT":
        try:
            percentage = float(value)
        except ValueError:
            return False
        scope.notes.shares.add("percentage split: the share of users matches, not which users")
        if not property_ or property_ in ("$.identity.key", "$.identity.identifier"):
            return Split(scope.group, "userId", percentage)
        name = _context_name(property_, scope)
        return False if name is None else _and(_present(name), Split(scope.group, name, percentage))

    name = _context_name(property_, scope)
    if name is None:
        return False

    if operator == "IS_SET":
        return _present(name)
    if operator == "IS_NOT_SET":
        return _not(_present(name))
    if operator == "MODULO":
        scope.notes.inexact.add("MODULO has no Unleash operator: never matches")
        return False
    if operator == "REGEX":
        if _UNPORTABLE_REGEX.search(value):
            scope.notes.inexact.add(f"regex {value!r} uses Python-only syntax")
        # Python's re.match is anchored at the start; Unleash REGEX searches.
        return _regex(name, f"^(?:{value})")
    if operator == "IN":
        return _in_formula(name, value)
    if operator == "CONTAINS":
        # The engine's ``in`` fails on numbers (TypeError: no match).
        return _and(Constraint(name, "STR_CONTAINS", (value,)), _not_number(name))
    if operator == "NOT_CONTAINS":
        return _and(_present(name), _not_number(name), _not(Constraint(name, "STR_CONTAINS", (value,))))
    if operator in _NUMERIC_OPERATORS or operator == "NOT_EQUAL":
        return _comparison_formula(operator, name, value, scope)
    scope.notes.inexact.add(f"operator {operator} is unknown: never matches")
    return False


def _comparison_formula(operator: str, name: str, value: str, scope: SegmentScope) -> Formula:
    negate = operator == "NOT_EQUAL"
    base = "EQUAL" if negate else operator
    if value.endswith(":semver"):
        version = value[:-7]
        if not re.match(SEMVER_PATTERN, version):
            # The engine cannot read the condition's version: it never matches, negated or not.
            return False
        compare = Constraint(name, _SEMVER_OPERATORS[base], value=version)
        # A trait that is not a version never matches, negated or not.
        return _and(_regex(name, SEMVER_PATTERN), _not(compare)) if negate else compare
    if _INTEGER.match(value) or _DECIMAL.match(value):
        compare = Constraint(name, _NUMERIC_OPERATORS[base], value=value)
        if negate:
            compare = _and(_present(name), _not(compare))
        if _DECIMAL.match(value):
            # int("50.5") fails in the engine: an integer trait never matches.
            compare = _and(compare, _not_integer(name))
        # A text trait compared with a number compares text in Flagsmith and never
        # matches in Unleash: the README's contract is numbers for numeric comparisons.
        return compare
    if base != "EQUAL":
        scope.notes.inexact.add(f"{operator} {value!r} compares text in Flagsmith; Unleash compares numbers")
        return False
    # A text value never equals (nor differs from) a numeric trait: the cast fails.
    equal = Constraint(name, "IN", (value,))
    if negate:
        return _and(_present(name), _not_number(name), _not(equal))
    return equal


def _in_formula(name: str, value: str) -> Formula:
    """IN: the engine compares the trait's text with each item; decimals and non-canonical integers never match."""
    import json

    items: list[str]
    if value.startswith("["):
        try:
            parsed = json.loads(value)
            items = [item if type(item) is str else str(item) for item in parsed]
        except (ValueError, TypeError):
            items = value.split(",")
    else:
        items = value.split(",")
    reachable = [
        item
        for item in items
        # A decimal-looking trait is a float (never in the set); an integer is compared as str(int).
        if not _DECIMAL.match(item) and not (_INTEGER.match(item) and str(int(item)) != item)
    ]
    if not reachable:
        return False
    formula: Formula = Constraint(name, "IN", tuple(dict.fromkeys(reachable)))
    # A zero-padded integer trait ("007") is the integer 7 to the engine, compared as "7".
    positive = [item for item in reachable if _INTEGER.match(item) and not item.startswith("-")]
    negative = [item[1:] for item in reachable if _INTEGER.match(item) and item.startswith("-")]
    padded = [_regex(name, f"^0+(?:{'|'.join(positive)})$")] if positive else []
    padded += [_regex(name, f"^-0*(?:{'|'.join(negative)})$")] if negative else []
    if "0" in positive:
        padded.append(_regex(name, "^-0+$"))
    return Or((formula, *padded)) if padded else formula


def rules_formula(rules: list[dict[str, Any]], scope: SegmentScope) -> Formula:
    """A segment matches when it has rules and every top-level rule matches (the engine's reading)."""
    if not rules:
        return False
    return And(tuple(_rule_formula(rule, scope) for rule in rules))


def _rule_formula(rule: dict[str, Any], scope: SegmentScope) -> Formula:
    # The engine applies the rule's type to its conditions and to its sub-rules separately
    # and requires both (an empty group counts as true).
    parts: list[Formula] = []
    for children in (
        [_condition_formula(condition, scope) for condition in rule.get("conditions") or []],
        [_rule_formula(child, scope) for child in rule.get("rules") or []],
    ):
        if not children:
            continue
        kind = rule["type"]
        if kind == "ALL":
            parts.append(And(tuple(children)))
        elif kind == "ANY":
            parts.append(Or(tuple(children)))
        else:  # NONE
            parts.append(Not(Or(tuple(children))))
    return And(tuple(parts))


# --- rules, strategies and variants ---------------------------------------------------------------


@dataclass
class Rule:
    """One Flagsmith rule of a feature: what it matches and the engine feature context it applies."""

    match: Formula
    state: dict[str, Any]
    segment_id: int | None = None


@dataclass
class Strategy:
    segment: tuple[int, tuple[Constraint, ...]] | None
    constraints: tuple[Constraint, ...]
    splits: tuple[Split, ...]
    state: dict[str, Any]


@dataclass
class FeatureTranslation:
    """A feature's strategies and how faithful they are."""

    name: str
    strategies: list[Strategy]
    notes: Notes
    capped: bool

    @property
    def status(self) -> str:
        if self.notes.inexact or self.capped:
            return "inexact"
        return "shares" if self.notes.shares else "exact"

    def report(self) -> dict[str, Any]:
        notes = sorted(self.notes.inexact) + sorted(self.notes.shares)
        if self.capped:
            notes.insert(0, f"capped at {MAX_STRATEGIES} strategies: some users get the flag off")
        return {
            "name": self.name,
            "translation": self.status,
            "capped": self.capped,
            "strategies": len(self.strategies),
            "notes": notes,
        }


def translate_feature(name: str, rules: list[Rule], notes: Notes) -> FeatureTranslation:
    expansion = Expansion()
    strategies: list[Strategy] = []
    disabled: list[Formula] = []
    for rule in rules:
        if not rule.state["enabled"]:
            disabled.append(rule.match)
            continue
        if len(strategies) >= MAX_STRATEGIES:
            expansion.capped = True
            break
        positive = expansion.dnf(rule.match)
        negative = expansion.dnf(And(tuple(Not(match) for match in disabled)))
        for index, own in enumerate(positive):
            for rest in negative:
                merged = _merge(own, rest)
                if merged is None:
                    continue
                if len(strategies) >= MAX_STRATEGIES:
                    expansion.capped = True
                    break
                strategies.append(_strategy(rule, index, own, merged))
    if any(rule.state.get("variants") for rule in rules):
        notes.shares.add("multivariate: the share of each variant matches, not which users get it")
    return FeatureTranslation(name, strategies, notes, expansion.capped)


def _sorted_literals(literals: Iterable[Any]) -> list[Any]:
    return sorted(literals, key=repr)


def _strategy(rule: Rule, index: int, own: Conjunction, merged: Conjunction) -> Strategy:
    own_constraints = tuple(_sorted_literals(literal for literal in own if isinstance(literal, Constraint)))
    segment = None
    if rule.segment_id is not None and own_constraints:
        # The rule's own conjunction is a reusable Unleash segment, stable per Flagsmith segment.
        segment = (rule.segment_id * 100 + index, own_constraints)
        rest = merged - set(own_constraints)
    else:
        rest = merged
    return Strategy(
        segment=segment,
        constraints=tuple(_sorted_literals(literal for literal in rest if isinstance(literal, Constraint))),
        splits=tuple(_sorted_literals(literal for literal in merged if isinstance(literal, Split))),
        state=rule.state,
    )


def payload(value: Any) -> dict[str, str] | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return {"type": "string", "value": "true" if value else "false"}
    if isinstance(value, (int, float)):
        return {"type": "number", "value": str(value)}
    return {"type": "string", "value": str(value)}


def variant_name(share: dict[str, Any]) -> str:
    """An Unleash variant's name for one of Flagsmith's variant shares: its option's key, else one made up."""
    return share.get("key") or f"variant-{share['priority']}"


def strategy_variants(state: dict[str, Any]) -> list[dict[str, Any]]:
    """The rule's value as one variant, or its variant shares out of 1000 plus ``control``."""
    value = state.get("value")
    shares = sorted(state.get("variants") or [], key=lambda variant: variant["priority"])
    variants = []
    used = 0
    for share in shares:
        weight = round(share["weight"] * 10)
        used += weight
        variant = {
            "name": variant_name(share),
            "weight": weight,
            "weightType": "fix",
            "stickiness": "userId",
        }
        if (body := payload(share["value"])) is not None:
            variant["payload"] = body
        variants.append(variant)
    if not shares and value is None:
        return []
    remainder = 1000 - used
    if remainder > 0:
        control: dict[str, Any] = {
            "name": "control" if shares else "value",
            "weight": remainder,
            "weightType": "variable" if shares else "fix",
            "stickiness": "userId",
        }
        if (body := payload(value)) is not None:
            control["payload"] = body
        variants.append(control)
    return variants


def strategy_json(strategy: Strategy, feature_name: str, inline_segments: bool) -> dict[str, Any]:
    constraints = list(strategy.constraints)
    segment_ids = []
    if strategy.segment is not None:
        if inline_segments:
            constraints = list(strategy.segment[1]) + constraints
        else:
            segment_ids = [strategy.segment[0]]
    parameters = {"rollout": "100", "stickiness": "default", "groupId": feature_name}
    if strategy.splits:
        share = 1.0
        for split in strategy.splits:
            share *= split.share
        first = strategy.splits[0]
        single = len(strategy.splits) == 1
        parameters = {
            # Unleash buckets users in whole percents.
            "rollout": str(round(share * 100)),
            "stickiness": first.stickiness,
            "groupId": first.group
            if single and not first.negated_
            else "-".join(_split_group(s) for s in strategy.splits),
        }
    body: dict[str, Any] = {
        "name": "flexibleRollout",
        "constraints": [constraint.as_json() for constraint in constraints],
        "parameters": parameters,
        "variants": strategy_variants(strategy.state),
    }
    if not inline_segments:
        body["segments"] = segment_ids
    return body


def _split_group(split: Split) -> str:
    return f"{split.group}-not" if split.negated_ else split.group


def iter_segment_definitions(
    translations: Iterable[FeatureTranslation],
) -> Iterator[tuple[int, tuple[Constraint, ...]]]:
    for translation in translations:
        for strategy in translation.strategies:
            if strategy.segment is not None:
                yield strategy.segment
