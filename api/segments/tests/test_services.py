from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from environments.models import Environment
from segments import services
from segments.models import Condition, ConditionOperator, Segment, SegmentRule
from segments.tests.factories import beta_rules

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "version",
    [
        "0.0.0",
        "1.2.3",
        "10.20.30",
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-0.3.7",
        "1.0.0+20130313144700",
        "1.0.0-beta+exp.sha.5114f85",
    ],
)
def test_is_semver__valid_versions__true(version):
    assert services.is_semver(version)


@pytest.mark.parametrize(
    "version",
    ["", "1", "1.2", "1.2.3.4", "01.2.3", "1.02.3", "v1.2.3", "1.2.3-", "1.2.3-01", "1.2.3+", "1.2.3 ", "\u0661.2.3"],
)
def test_is_semver__invalid_versions__false(version):
    assert not services.is_semver(version)


def test_condition_errors__valid_percentage_split_without_property__none():
    assert services.condition_errors(ConditionOperator.PERCENTAGE_SPLIT, None, "50") == {}


def test_condition_errors__missing_property_and_bad_value__both_named():
    errors = services.condition_errors(ConditionOperator.MODULO, "", "3")

    assert set(errors) == {"property", "value"}


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
