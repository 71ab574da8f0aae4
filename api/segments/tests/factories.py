import factory

from projects.tests.factories import ProjectFactory
from segments.models import Condition, ConditionOperator, Segment, SegmentRule, SegmentRuleType


class SegmentFactory(factory.django.DjangoModelFactory):
    """A bare segment row; use ``services.create_segment`` when its tree matters."""

    class Meta:
        model = Segment

    name = factory.Sequence(lambda n: f"segment_{n}")
    project = factory.SubFactory(ProjectFactory)


class SegmentRuleFactory(factory.django.DjangoModelFactory):
    """A top-level rule unless ``parent`` is given (then pass the parent's segment too)."""

    class Meta:
        model = SegmentRule

    segment = factory.SubFactory(SegmentFactory)
    type = SegmentRuleType.ALL


class ConditionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Condition

    rule = factory.SubFactory(SegmentRuleFactory)
    operator = ConditionOperator.EQUAL
    property = "plan"
    value = factory.Sequence(lambda n: f"value_{n}")


def beta_rules() -> list[dict]:
    """The dashboard's shape: one top-level ALL rule holding ANY rules."""
    return [
        {
            "type": "ALL",
            "rules": [
                {
                    "type": "ANY",
                    "rules": [],
                    "conditions": [
                        {"operator": "EQUAL", "property": "plan", "value": "pro"},
                        {"operator": "PERCENTAGE_SPLIT", "property": None, "value": "25"},
                    ],
                }
            ],
            "conditions": [],
        }
    ]
