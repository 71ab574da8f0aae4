"""Segments: named sets of identities described by a tree of rules and conditions.

A segment has top-level rules; every rule has conditions and may have sub-rules,
to any depth. Every rule also points at its segment directly (``SegmentRule.segment``),
not only through its parent: a whole tree then loads in two queries (rules,
conditions) however deep it is, which keeps list endpoints and the environment
document compiler free of per-level queries.
"""

from __future__ import annotations

import uuid
from collections import defaultdict

from django.db import models

from core.audit import Audited, AuditScope
from projects.models import Project


class SegmentRuleType(models.TextChoices):
    """How a rule combines its conditions, and separately its sub-rules."""

    ALL = "ALL"
    ANY = "ANY"
    NONE = "NONE"


class ConditionOperator(models.TextChoices):
    """The 14 operators of Flagsmith's engine, spelled as the SDKs and dashboard spell them."""

    EQUAL = "EQUAL"
    NOT_EQUAL = "NOT_EQUAL"
    GREATER_THAN = "GREATER_THAN"
    GREATER_THAN_INCLUSIVE = "GREATER_THAN_INCLUSIVE"
    LESS_THAN = "LESS_THAN"
    LESS_THAN_INCLUSIVE = "LESS_THAN_INCLUSIVE"
    CONTAINS = "CONTAINS"
    NOT_CONTAINS = "NOT_CONTAINS"
    REGEX = "REGEX"
    MODULO = "MODULO"
    IN = "IN"
    IS_SET = "IS_SET"
    IS_NOT_SET = "IS_NOT_SET"
    PERCENTAGE_SPLIT = "PERCENTAGE_SPLIT"


class SegmentQuerySet(models.QuerySet["Segment"]):
    def for_user(self, user) -> SegmentQuerySet:
        from permissions.checks import projects_for

        return self.filter(project__in=projects_for(user).values("pk"))

    def with_rule_trees(self) -> SegmentQuerySet:
        """Load every rule and condition of the segments in two extra queries, whatever the depth."""
        return self.prefetch_related(
            models.Prefetch("rules", queryset=SegmentRule.objects.order_by("order", "id")),
            models.Prefetch("rules__conditions", queryset=Condition.objects.order_by("order", "id")),
        )


class Segment(Audited):
    """A named set of identities in a project, defined by its rules.

    With ``feature`` set it is a feature-specific segment, meant for overrides of
    that feature only (Flagsmith's dashboard hides those from the segment list).
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="segments")
    # By name: features sit above segments (a feature's states override segments, not the reverse).
    feature = models.ForeignKey(
        "features.Feature", on_delete=models.CASCADE, related_name="segments", null=True, blank=True
    )
    name = models.CharField(max_length=2000)
    description = models.TextField(null=True, blank=True)
    created_date = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SegmentQuerySet.as_manager()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name

    audit_object_type = "SEGMENT"

    def audit_scope(self) -> AuditScope:
        return self.project.audit_scope()

    @property
    def top_level_rules(self) -> list[SegmentRule]:
        """The top-level rules in order, each with ``child_rules`` filled in from the loaded rows."""
        children: dict[int | None, list[SegmentRule]] = defaultdict(list)
        # all() uses the prefetched rows when with_rule_trees() was applied, else one query.
        for rule in sorted(self.rules.all(), key=lambda rule: (rule.order, rule.id)):
            children[rule.parent_id].append(rule)
        for siblings in children.values():
            for rule in siblings:
                rule._child_rules = children.get(rule.id, [])
        return children.get(None, [])


class SegmentRule(models.Model):
    """A rule of a segment: top-level when ``parent`` is empty, else a sub-rule of ``parent``."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="rules")
    parent = models.ForeignKey("self", on_delete=models.CASCADE, related_name="sub_rules", null=True, blank=True)
    type = models.CharField(max_length=10, choices=SegmentRuleType.choices)
    order = models.PositiveIntegerField(default=0, help_text="Position among its siblings.")

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return f"{self.type} rule of {self.segment_id}"

    @property
    def child_rules(self) -> list[SegmentRule]:
        """Sub-rules in order: from ``Segment.top_level_rules`` when it built the tree, else queried."""
        cached = self.__dict__.get("_child_rules")
        if cached is not None:
            return cached
        return list(self.sub_rules.order_by("order", "id"))


class Condition(models.Model):
    """One test of a rule: ``property`` (a trait key or a ``$.`` path) ``operator`` ``value``.

    ``value`` is kept as text whatever the operator, as the SDKs expect; its
    length limit is the ``SEGMENT_CONDITION_VALUE_LIMIT`` setting, checked on write,
    so that raising the limit needs no migration.
    """

    rule = models.ForeignKey(SegmentRule, on_delete=models.CASCADE, related_name="conditions")
    operator = models.CharField(max_length=50, choices=ConditionOperator.choices)
    property = models.CharField(max_length=1000, null=True, blank=True)
    value = models.TextField(null=True, blank=True)
    description = models.TextField(null=True, blank=True)
    order = models.PositiveIntegerField(default=0, help_text="Position within its rule.")

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return f"{self.property} {self.operator} {self.value}"
