"""Writes of segments with their rule trees, and the checks a condition must pass.

A segment and its tree are written together: creating, replacing or deleting
happens in one transaction that also bumps ``Environment.updated_at`` for every
environment of the project, so SDKs see the whole change or none of it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from core import bounded_regex
from core.audit import AuditAction, record, snapshot
from environments.versions import mark_environments_changed
from projects.models import Project
from segments.models import Condition, ConditionOperator, Segment, SegmentRule

# Operators whose value is ignored: they only ask whether the property exists.
PRESENCE_OPERATORS = frozenset({ConditionOperator.IS_SET, ConditionOperator.IS_NOT_SET})

# Deeper trees are refused with a 400 rather than exhausting the recursion limit.
MAX_RULE_DEPTH = 32


def _modulo_divides_by_zero(value: str) -> bool:
    """Whether the engine would divide by zero: it parses "divisor|remainder" and raises only on a 0 divisor.

    Any other value that is not two numbers it simply never matches.
    """
    divisor, separator, remainder = value.partition("|")
    if not separator or "|" in remainder:
        return False
    try:
        divisor_number, _ = float(divisor), float(remainder)
    except ValueError:
        return False
    return divisor_number == 0


def condition_errors(operator: str, property_: str | None, value: str | None) -> dict[str, str]:
    """What is wrong with one condition, by field name (empty when it is valid).

    As in Flagsmith, a value is free text the engine interprets when it
    evaluates: a MODULO value that is not ``divisor|remainder``, a percentage
    that is not a number or an invalid ``:semver`` version is stored and simply
    never matches. Refused are only a value over the length limit and the two
    values on which the engine (and so every SDK's local evaluation) raises an
    error instead of answering: a regular expression that does not compile and
    a MODULO divisor of 0. The operator is assumed to be one of
    ``ConditionOperator``; the serializer refuses anything else before this runs.
    """
    errors: dict[str, str] = {}
    if value is None or operator in PRESENCE_OPERATORS:
        return errors
    if len(value) > settings.SEGMENT_CONDITION_VALUE_LIMIT:
        errors["value"] = f"A condition value may have at most {settings.SEGMENT_CONDITION_VALUE_LIMIT} characters."
    elif operator == ConditionOperator.REGEX:
        reason = bounded_regex.refusal(value)
        if reason is not None:
            errors["value"] = reason
    elif operator == ConditionOperator.MODULO and _modulo_divides_by_zero(value):
        errors["value"] = "A MODULO divisor cannot be 0."
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
    There is no per-project segment limit: Flagsmith 2.265 checks
    ``max_segments_allowed`` only on its SaaS (``EDGE_ENABLED``), never self-hosted.
    """
    data = dict(data)
    rules = data.pop("rules", None) or []
    validate_rule_tree(rules)
    with transaction.atomic():
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


def _rules_data(segment: Segment) -> list[dict[str, Any]]:
    """The rule tree in the shape ``create_segment`` takes."""
    rules = list(SegmentRule.objects.filter(segment=segment).order_by("order", "id"))
    conditions: dict[int, list[dict[str, Any]]] = {}
    for condition in Condition.objects.filter(rule__segment=segment).order_by("order", "id"):
        conditions.setdefault(condition.rule_id, []).append(
            {
                "operator": condition.operator,
                "property": condition.property,
                "value": condition.value,
                "description": condition.description,
            }
        )

    def tree(parent_id: int | None) -> list[dict[str, Any]]:
        return [
            {"type": rule.type, "conditions": conditions.get(rule.pk, []), "rules": tree(rule.pk)}
            for rule in rules
            if rule.parent_id == parent_id
        ]

    return tree(None)


def clone_segment(segment: Segment, name: str, user: Any) -> Segment:
    """A new segment with another name and the same description, feature and rules (Flagsmith's clone/)."""
    data = {"name": name, "description": segment.description, "feature": segment.feature, "rules": _rules_data(segment)}
    return create_segment(segment.project, data, user)


def delete_segment(segment: Segment, user: Any) -> None:
    with transaction.atomic():
        touch_project_environments(segment.project_id)
        record(actor=user, action=AuditAction.DELETE, instance=segment, before=segment_snapshot(segment))
        segment.delete()
