"""Writes of segments with their rule trees, and the checks a condition must pass.

A segment and its tree are written together: creating, replacing or deleting
happens in one transaction that also bumps ``Environment.updated_at`` for every
environment of the project, so SDKs see the whole change or none of it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from core.audit import AuditAction, record, snapshot
from environments.versions import mark_environments_changed
from projects.models import Project
from segments.models import Condition, ConditionOperator, Segment, SegmentRule

# Operators that compare typed values; only these give ``:semver`` its meaning.
COMPARISON_OPERATORS = frozenset(
    {
        ConditionOperator.EQUAL,
        ConditionOperator.NOT_EQUAL,
        ConditionOperator.GREATER_THAN,
        ConditionOperator.GREATER_THAN_INCLUSIVE,
        ConditionOperator.LESS_THAN,
        ConditionOperator.LESS_THAN_INCLUSIVE,
    }
)
# Operators whose value is ignored: they only ask whether the property exists.
PRESENCE_OPERATORS = frozenset({ConditionOperator.IS_SET, ConditionOperator.IS_NOT_SET})

SEMVER_SUFFIX = ":semver"
# Semantic Versioning 2.0.0, strictly: no leading zeros, no "v" prefix, ASCII digits only.
_NUMERIC_ID = r"(?:0|[1-9][0-9]*)"
_PRERELEASE_ID = r"(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)"
_SEMVER = re.compile(
    rf"{_NUMERIC_ID}\.{_NUMERIC_ID}\.{_NUMERIC_ID}"
    rf"(?:-{_PRERELEASE_ID}(?:\.{_PRERELEASE_ID})*)?"
    r"(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?"
)
# Plain decimals only: every SDK port parses these the same way, unlike "1e3" or "inf".
_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")

# Deeper trees are refused with a 400 rather than exhausting the recursion limit.
MAX_RULE_DEPTH = 32


def is_semver(text: str) -> bool:
    return _SEMVER.fullmatch(text) is not None


def _is_decimal(text: str) -> bool:
    return _DECIMAL.fullmatch(text) is not None and math.isfinite(float(text))


def condition_errors(operator: str, property_: str | None, value: str | None) -> dict[str, str]:
    """What is wrong with one condition, by field name (empty when it is valid).

    The operator is assumed to be one of ``ConditionOperator``; the serializer
    refuses anything else before this runs.
    """
    errors: dict[str, str] = {}
    if not property_ and operator != ConditionOperator.PERCENTAGE_SPLIT:
        errors["property"] = f"The {operator} operator needs a property."
    if value is not None and len(value) > settings.SEGMENT_CONDITION_VALUE_LIMIT:
        errors["value"] = f"A condition value may have at most {settings.SEGMENT_CONDITION_VALUE_LIMIT} characters."
        return errors
    if operator in PRESENCE_OPERATORS:
        return errors
    if value is None:
        errors["value"] = f"The {operator} operator needs a value."
    elif operator == ConditionOperator.REGEX:
        try:
            re.compile(value)
        except (re.error, RecursionError, OverflowError) as exc:
            errors["value"] = f"Not a valid regular expression: {exc}."
    elif operator == ConditionOperator.MODULO:
        divisor, _, remainder = value.partition("|")
        if not (_is_decimal(divisor) and _is_decimal(remainder)) or float(divisor) == 0:
            errors["value"] = 'A MODULO value is "divisor|remainder", two numbers with a divisor other than 0.'
    elif operator == ConditionOperator.PERCENTAGE_SPLIT:
        if not (_is_decimal(value) and 0 <= float(value) <= 100):
            errors["value"] = "A PERCENTAGE_SPLIT value is a number from 0 to 100."
    elif operator in COMPARISON_OPERATORS and value.endswith(SEMVER_SUFFIX):
        version = value.removesuffix(SEMVER_SUFFIX)
        if not is_semver(version):
            errors["value"] = f'"{version}" is not a semantic version (like 1.2.3 or 1.2.3-beta.1).'
    return errors


def _live(items: Iterable[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Items of a rule tree that are kept: Flagsmith clients mark removed ones ``delete: true``."""
    return [item for item in items or [] if not item.get("delete", False)]


def count_conditions(rules: Iterable[dict[str, Any]] | None) -> int:
    return sum(len(_live(rule.get("conditions"))) + count_conditions(rule.get("rules")) for rule in _live(rules))


def rules_depth(rules: Iterable[dict[str, Any]] | None) -> int:
    """How many levels of rules the tree has (0 for none)."""
    return max((1 + rules_depth(rule.get("rules")) for rule in _live(rules)), default=0)


def validate_rule_tree(rules: list[dict[str, Any]]) -> None:
    """Check a whole tree: its size, its depth and every condition.

    The API's serializers check the same first, field by field; this is for
    every other caller, so no path writes a tree the engine would trip on.
    """
    if rules_depth(rules) > MAX_RULE_DEPTH:
        raise ValidationError({"rules": [f"Rules may be nested at most {MAX_RULE_DEPTH} levels deep."]})
    total = count_conditions(rules)
    if total > settings.SEGMENT_RULES_CONDITIONS_LIMIT:
        raise ValidationError(
            {
                "rules": [
                    f"A segment may have at most {settings.SEGMENT_RULES_CONDITIONS_LIMIT} conditions; "
                    f"this one has {total}."
                ]
            }
        )

    def check(rules: list[dict[str, Any]]) -> None:
        for rule in _live(rules):
            for condition in _live(rule.get("conditions")):
                operator = condition.get("operator", "")
                if operator not in ConditionOperator.values:
                    raise ValidationError({"rules": [f'"{operator}" is not a condition operator.']})
                errors = condition_errors(operator, condition.get("property"), condition.get("value"))
                if errors:
                    raise ValidationError({"rules": [f"{field}: {message}" for field, message in errors.items()]})
            check(rule.get("rules") or [])

    check(rules)


def _create_rules(segment: Segment, rules: list[dict[str, Any]]) -> None:
    """Insert a tree level by level: one insert of rules and one of conditions per level."""
    level: list[tuple[SegmentRule | None, list[dict[str, Any]]]] = [(None, rules)]
    while level:
        new_rules: list[SegmentRule] = []
        rule_data: list[dict[str, Any]] = []
        for parent, children in level:
            for order, data in enumerate(_live(children)):
                new_rules.append(SegmentRule(segment=segment, parent=parent, type=data["type"], order=order))
                rule_data.append(data)
        # bulk_create sets primary keys on PostgreSQL and SQLite (3.35+), which the next level needs.
        SegmentRule.objects.bulk_create(new_rules)
        Condition.objects.bulk_create(
            [
                Condition(
                    rule=rule,
                    order=order,
                    operator=condition["operator"],
                    property=condition.get("property"),
                    value=condition.get("value"),
                    description=condition.get("description"),
                )
                for rule, data in zip(new_rules, rule_data, strict=True)
                for order, condition in enumerate(_live(data.get("conditions")))
            ]
        )
        level = [(rule, data.get("rules") or []) for rule, data in zip(new_rules, rule_data, strict=True)]
        level = [(rule, children) for rule, children in level if children]


def _rules_summary(segment: Segment) -> list[Any]:
    """The rule tree as nested lists, for audit diffs: [type, [conditions], [sub-rules]]."""
    rules = list(SegmentRule.objects.filter(segment=segment).order_by("order", "id"))
    conditions: dict[int, list[list[Any]]] = {}
    for condition in Condition.objects.filter(rule__segment=segment).order_by("order", "id"):
        conditions.setdefault(condition.rule_id, []).append([condition.property, condition.operator, condition.value])

    def tree(parent_id: int | None) -> list[Any]:
        return [
            [rule.type, conditions.get(rule.pk, []), tree(rule.pk)] for rule in rules if rule.parent_id == parent_id
        ]

    return tree(None)


def segment_snapshot(segment: Segment) -> dict[str, Any]:
    return snapshot(segment, {"rules": _rules_summary(segment)})


def touch_project_environments(project_id: int) -> None:
    """A segment change can alter what SDKs see in every environment of its project."""
    mark_environments_changed(project_id=project_id)


def create_segment(project: Project, data: dict[str, Any], user: Any) -> Segment:
    """Create a segment with its whole rule tree.

    ``data`` holds the segment's fields and ``rules``: a list of
    ``{type, rules, conditions: [{operator, property, value, description}]}``.
    """
    data = dict(data)
    rules = data.pop("rules", None) or []
    validate_rule_tree(rules)
    with transaction.atomic():
        # Lock the project row: concurrent creations queue here, so the limit holds.
        project = Project.objects.select_for_update().get(pk=project.pk)
        if Segment.objects.filter(project=project).count() >= project.max_segments_allowed:
            raise ValidationError(f"The project has reached its limit of {project.max_segments_allowed} segments.")
        segment = Segment.objects.create(project=project, **data)
        _create_rules(segment, rules)
        touch_project_environments(project.pk)
        record(actor=user, action=AuditAction.CREATE, instance=segment, after=segment_snapshot(segment))
    return segment


def update_segment(segment: Segment, data: dict[str, Any], user: Any) -> Segment:
    """Change a segment's fields and, when ``rules`` is given, replace its whole rule tree."""
    data = dict(data)
    rules = data.pop("rules", None)
    if rules is not None:
        validate_rule_tree(rules)
    with transaction.atomic():
        before = segment_snapshot(segment)
        for field, value in data.items():
            setattr(segment, field, value)
        segment.save()
        if rules is not None:
            # Replacing beats diffing: trees are small (at most 100 conditions) and
            # nothing refers to rule or condition rows by id.
            segment.rules.all().delete()
            _create_rules(segment, rules)
        touch_project_environments(segment.project_id)
        record(actor=user, action=AuditAction.UPDATE, instance=segment, before=before, after=segment_snapshot(segment))
    return segment


def delete_segment(segment: Segment, user: Any) -> None:
    with transaction.atomic():
        touch_project_environments(segment.project_id)
        record(actor=user, action=AuditAction.DELETE, instance=segment, before=segment_snapshot(segment))
        segment.delete()
