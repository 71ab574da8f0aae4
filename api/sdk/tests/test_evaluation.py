"""Evaluation through the whole path: conditions stored by the admin services, compiled into the
document, mapped to the engine's context, evaluated for an identity's traits.

Each case is one segment with one condition overriding ``checkout`` ("gold" when the
identity is in the segment, "blue" otherwise).
"""

from __future__ import annotations

from typing import Any

import pytest

from documents import evaluation
from documents.store import get_compiled_environment
from environments.models import Environment
from features.models import Feature
from identities.models import Identity
from sdk.tests.conftest import add_override
from segments import services as segment_services


def _in_segment(environment: Environment, traits: dict[str, Any], identifier: str = "someone") -> bool:
    environment.refresh_from_db()
    compiled = get_compiled_environment(environment)
    flags = evaluation.evaluate_identity(
        compiled, evaluation.IdentityToEvaluate(identifier, traits), is_server_key=True
    )
    return {item["feature"]["name"]: item for item in flags}["checkout"]["feature_state_value"] == "gold"


@pytest.fixture
def one_condition(environment, checkout, sdk_project, admin_user):
    def build(operator: str, property_: str | None, value: str | None) -> Environment:
        condition = {"operator": operator, "property": property_, "value": value}
        segment = segment_services.create_segment(
            sdk_project, {"name": "case", "rules": [{"type": "ALL", "conditions": [condition]}]}, admin_user
        )
        add_override(checkout, environment, segment=segment, value="gold")
        return environment

    return build


CASES = [
    # operator, property, condition value, trait value (None = absent), in segment?
    ("EQUAL", "plan", "pro", "pro", True),
    ("EQUAL", "plan", "pro", "Pro", False),
    ("EQUAL", "age", "42", 42, True),
    ("EQUAL", "age", "42", "42", True),  # numeric strings compare as numbers
    ("EQUAL", "ratio", "0.5", 0.5, True),
    ("EQUAL", "beta", "true", True, True),
    ("EQUAL", "beta", "false", True, False),
    ("EQUAL", "plan", "pro", None, False),
    ("NOT_EQUAL", "plan", "pro", "free", True),
    ("NOT_EQUAL", "plan", "pro", "pro", False),
    ("NOT_EQUAL", "plan", "pro", None, False),
    ("GREATER_THAN", "age", "18", 19, True),
    ("GREATER_THAN", "age", "18", 18, False),
    ("GREATER_THAN", "age", "18", "19", True),
    ("GREATER_THAN", "big", "3000000000", 2**40, True),  # past 32 bits
    ("GREATER_THAN", "plan", "m", "pro", True),  # strings compare as strings
    ("GREATER_THAN", "plan", "q", "pro", False),
    ("GREATER_THAN_INCLUSIVE", "age", "18", 18, True),
    ("GREATER_THAN_INCLUSIVE", "age", "18", 17, False),
    ("LESS_THAN", "age", "18", 17, True),
    ("LESS_THAN", "age", "18", 18, False),
    ("LESS_THAN", "ratio", "0.5", 0.25, True),
    ("LESS_THAN_INCLUSIVE", "age", "18", 18, True),
    ("LESS_THAN_INCLUSIVE", "age", "18", 19, False),
    ("GREATER_THAN", "version", "1.2.3:semver", "1.10.0", True),  # semver, not string order
    ("GREATER_THAN", "version", "1.2.3:semver", "1.2.3-beta", False),
    ("EQUAL", "version", "1.2.3:semver", "1.2.3", True),
    ("LESS_THAN", "version", "2.0.0:semver", "1.9.9", True),
    ("LESS_THAN", "version", "2.0.0:semver", "not-a-version", False),
    ("CONTAINS", "email", "@acme.", "bob@acme.com", True),
    ("CONTAINS", "email", "@acme.", "bob@other.com", False),
    ("CONTAINS", "age", "4", 42, False),  # only strings contain
    ("NOT_CONTAINS", "email", "@acme.", "bob@other.com", True),
    ("NOT_CONTAINS", "email", "@acme.", "bob@acme.com", False),
    ("NOT_CONTAINS", "email", "@acme.", None, False),
    ("REGEX", "email", r".*@acme\.com$", "bob@acme.com", True),
    ("REGEX", "email", r"acme", "bob@acme.com", False),  # anchored at the start
    ("REGEX", "email", r"[a-z]+@", "Bob@acme.com", False),  # case-sensitive
    ("REGEX", "age", r"4\d", 42, True),  # matched against the string form
    ("MODULO", "age", "2|0", 42, True),
    ("MODULO", "age", "2|0", 41, False),
    ("MODULO", "ratio", "0.5|0", 1.5, True),
    ("MODULO", "plan", "2|0", "pro", False),
    ("IN", "country", "GB,DE,FR", "DE", True),
    ("IN", "country", "GB,DE,FR", "de", False),
    ("IN", "country", "GB, DE", "DE", False),  # no trimming
    ("IN", "country", '["GB","DE"]', "DE", True),  # a JSON array
    ("IN", "age", "41,42", 42, True),  # ints are compared as strings
    ("IN", "beta", "true,True", True, False),  # bools never match
    ("IS_SET", "plan", None, "anything", True),
    ("IS_SET", "plan", None, None, False),
    ("IS_NOT_SET", "plan", None, None, True),
    ("IS_NOT_SET", "plan", None, "x", False),
    ("EQUAL", "$.identity.identifier", "someone", None, True),
    ("PERCENTAGE_SPLIT", None, "100", None, True),
    ("PERCENTAGE_SPLIT", None, "0", None, False),
]


@pytest.mark.parametrize(("operator", "property_", "value", "trait", "expected"), CASES)
def test_condition(one_condition, operator, property_, value, trait, expected) -> None:
    environment = one_condition(operator, property_, value)
    traits = {} if trait is None else {property_: trait}

    assert _in_segment(environment, traits) is expected


def test_percentage_split__hashes_segment_id_and_identity_key(one_condition) -> None:
    """About half of identities fall in a 50 % split, and each always gets the same answer."""
    environment = one_condition("PERCENTAGE_SPLIT", None, "50")

    results = [_in_segment(environment, {}, identifier=f"user-{n}") for n in range(200)]

    assert 70 < sum(results) < 130
    assert results == [_in_segment(environment, {}, identifier=f"user-{n}") for n in range(200)]


def _rules(*conditions: dict[str, Any], rule_type: str = "ANY") -> list[dict[str, Any]]:
    return [{"type": "ALL", "rules": [{"type": rule_type, "conditions": list(conditions)}]}]


@pytest.mark.parametrize(
    ("rule_type", "traits", "expected"),
    [
        ("ANY", {"plan": "pro"}, True),
        ("ANY", {"plan": "free", "age": 3}, False),
        ("ALL", {"plan": "pro", "age": 30}, True),
        ("ALL", {"plan": "pro", "age": 3}, False),
        ("NONE", {"plan": "free", "age": 3}, True),
        ("NONE", {"plan": "pro", "age": 3}, False),
    ],
)
def test_nested_rule_types(environment, checkout, sdk_project, admin_user, rule_type, traits, expected) -> None:
    rules = _rules(
        {"operator": "EQUAL", "property": "plan", "value": "pro"},
        {"operator": "GREATER_THAN", "property": "age", "value": "18"},
        rule_type=rule_type,
    )
    segment = segment_services.create_segment(sdk_project, {"name": "nested", "rules": rules}, admin_user)
    add_override(checkout, environment, segment=segment, value="gold")

    assert _in_segment(environment, traits) is expected


# ---- priorities --------------------------------------------------------------------------------


@pytest.fixture
def two_segments(environment, checkout, sdk_project, admin_user):
    """Both match plan=pro; "first" has priority 0 and "second" priority 1."""
    condition = {"operator": "EQUAL", "property": "plan", "value": "pro"}
    first = segment_services.create_segment(sdk_project, {"name": "first", "rules": _rules(condition)}, admin_user)
    second = segment_services.create_segment(sdk_project, {"name": "second", "rules": _rules(condition)}, admin_user)
    add_override(checkout, environment, segment=second, value="from-second", priority=1)
    add_override(checkout, environment, segment=first, value="from-first", priority=0)
    return environment


def _checkout(environment: Environment, identifier: str, traits: dict[str, Any], stored: bool = False) -> dict:
    environment.refresh_from_db()
    identity_id = Identity.objects.get(identifier=identifier).id if stored else None
    flags = evaluation.evaluate_identity(
        get_compiled_environment(environment),
        evaluation.IdentityToEvaluate(identifier, traits, identity_id),
        is_server_key=True,
    )
    return {item["feature"]["name"]: item for item in flags}["checkout"]


def test_priority__lowest_number_wins_among_matching_segments(two_segments) -> None:
    assert _checkout(two_segments, "u", {"plan": "pro"})["feature_state_value"] == "from-first"


def test_priority__reordered__the_other_wins(two_segments, checkout) -> None:
    from features.models import FeatureSegment

    for feature_segment in FeatureSegment.objects.filter(feature=checkout):
        feature_segment.priority = 1 - feature_segment.priority
        feature_segment.save()

    assert _checkout(two_segments, "u", {"plan": "pro"})["feature_state_value"] == "from-second"


def test_priority__no_segment_matches__environment_default(two_segments) -> None:
    item = _checkout(two_segments, "u", {"plan": "free"})

    assert item["feature_state_value"] == "blue"
    assert item["feature_segment"] is None


def test_priority__identity_override_beats_every_segment(two_segments, checkout: Feature) -> None:
    identity = Identity.objects.create(environment=two_segments, identifier="vip")
    add_override(checkout, two_segments, identity=identity, value="mine", enabled=False)

    item = _checkout(two_segments, "vip", {"plan": "pro"}, stored=True)

    assert (item["feature_state_value"], item["enabled"], item["identity"]) == ("mine", False, identity.id)


def test_priority__identity_override_not_applied_to_a_transient_namesake(two_segments, checkout: Feature) -> None:
    identity = Identity.objects.create(environment=two_segments, identifier="vip")
    add_override(checkout, two_segments, identity=identity, value="mine")

    assert _checkout(two_segments, "vip", {"plan": "pro"})["feature_state_value"] == "from-first"


def test_priority__identity_override_applies_when_local_eval_overrides_are_off(two_segments, checkout) -> None:
    """``use_identity_overrides_in_local_eval`` trims the document, not remote evaluation."""
    identity = Identity.objects.create(environment=two_segments, identifier="vip")
    add_override(checkout, two_segments, identity=identity, value="mine")
    two_segments.refresh_from_db()
    two_segments.use_identity_overrides_in_local_eval = False
    two_segments.save()

    assert _checkout(two_segments, "vip", {}, stored=True)["feature_state_value"] == "mine"


def test_segment_override_with_its_own_allocations__hashed_on_its_own_seed(
    environment, banner: Feature, pro_segment, admin_user
) -> None:
    """A segment override's variants are chosen with the override's state id, not the default's."""
    from features.models import MultivariateFeatureStateValue

    override = add_override(banner, environment, segment=pro_segment, value="seg-control")
    option_a = banner.multivariate_options.get(string_value="a")
    MultivariateFeatureStateValue.objects.create(
        feature_state=override, multivariate_feature_option=option_a, percentage_allocation=100
    )
    environment.refresh_from_db()
    compiled = get_compiled_environment(environment)

    pro = evaluation.evaluate_identity(compiled, evaluation.IdentityToEvaluate("x", {"plan": "pro"}), True)
    free = evaluation.evaluate_identity(compiled, evaluation.IdentityToEvaluate("x", {"plan": "free"}), True)

    assert {i["feature"]["name"]: i for i in pro}["banner"]["feature_state_value"] == "a"
    assert {i["feature"]["name"]: i for i in free}["banner"]["feature_state_value"] in {"a", "b", "control"}


def test_legacy_hashing__identity_database_id_used_when_composite_key_off(environment, banner) -> None:
    environment.use_identity_composite_key_for_hashing = False
    environment.save()
    identities = [Identity.objects.create(environment=environment, identifier=f"u{n}") for n in range(40)]
    compiled = get_compiled_environment(environment)

    legacy = [
        {
            i["feature"]["name"]: i
            for i in evaluation.evaluate_identity(
                compiled, evaluation.IdentityToEvaluate(identity.identifier, {}, identity.id), True
            )
        }["banner"]["variant"]
        for identity in identities
    ]
    composite = [
        {
            i["feature"]["name"]: i
            for i in evaluation.evaluate_identity(
                compiled, evaluation.IdentityToEvaluate(identity.identifier, {}), True
            )
        }["banner"]["variant"]
        for identity in identities
    ]

    assert legacy != composite
