from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from environments.models import Environment
from segments import services
from segments.models import Condition, ConditionOperator, Segment, SegmentRule
from segments.tests.factories import beta_rules

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("operator", "property_", "value"),
    [
        (ConditionOperator.PERCENTAGE_SPLIT, None, "50"),
        (ConditionOperator.PERCENTAGE_SPLIT, None, "half"),
        (ConditionOperator.MODULO, None, "3"),
        (ConditionOperator.MODULO, "n", "0|x"),
        (ConditionOperator.MODULO, "n", "0|1|2"),
        (ConditionOperator.GREATER_THAN, "v", "1.2:semver"),
        (ConditionOperator.EQUAL, "", None),
    ],
)
def test_condition_errors__values_the_engine_reads_without_error__none(operator, property_, value):
    assert services.condition_errors(operator, property_, value) == {}


@pytest.mark.parametrize(
    ("operator", "value"),
    [(ConditionOperator.REGEX, "(unclosed"), (ConditionOperator.MODULO, "0|0"), (ConditionOperator.MODULO, "0.0|1.5")],
)
def test_condition_errors__values_the_engine_raises_on__value_named(operator, value):
    assert set(services.condition_errors(operator, "n", value)) == {"value"}


def test_create_segment__tree_stored_with_segment_on_every_rule(project, admin_user):
    segment = services.create_segment(project, {"name": "beta", "rules": beta_rules()}, admin_user)

    [top] = segment.top_level_rules
    [child] = top.child_rules
    assert top.parent_id is None and child.parent_id == top.id
    assert set(SegmentRule.objects.values_list("segment_id", flat=True)) == {segment.id}
    assert [c.operator for c in child.conditions.all()] == ["EQUAL", "PERCENTAGE_SPLIT"]


def test_create_segment__invalid_tree__validation_error_nothing_written(project, admin_user, environment):
    before = Environment.objects.get(pk=environment.pk).updated_at
    rules = [{"type": "ALL", "rules": [], "conditions": [{"operator": "REGEX", "property": "e", "value": "("}]}]

    with pytest.raises(ValidationError) as excinfo:
        services.create_segment(project, {"name": "bad", "rules": rules}, admin_user)

    assert "regular expression" in str(excinfo.value)
    assert Segment.objects.count() == 0
    assert Environment.objects.get(pk=environment.pk).updated_at == before


def test_create_segment__unknown_operator__validation_error(project, admin_user):
    rules = [{"type": "ALL", "rules": [], "conditions": [{"operator": "LIKE", "property": "e", "value": "x"}]}]

    with pytest.raises(ValidationError, match="LIKE"):
        services.create_segment(project, {"name": "bad", "rules": rules}, admin_user)


def test_update_segment__rules_given__old_tree_replaced(project, admin_user):
    segment = services.create_segment(project, {"name": "beta", "rules": beta_rules()}, admin_user)
    rules = [{"type": "NONE", "rules": [], "conditions": [{"operator": "IS_NOT_SET", "property": "plan"}]}]

    services.update_segment(segment, {"rules": rules}, admin_user)

    assert list(SegmentRule.objects.values_list("type", flat=True)) == ["NONE"]
    assert list(Condition.objects.values_list("operator", flat=True)) == ["IS_NOT_SET"]


def test_update_segment__rules_absent__tree_kept(project, admin_user):
    segment = services.create_segment(project, {"name": "beta", "rules": beta_rules()}, admin_user)

    services.update_segment(segment, {"name": "gamma"}, admin_user)

    assert Segment.objects.get().name == "gamma"
    assert Condition.objects.count() == 2
