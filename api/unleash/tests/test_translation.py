"""The translation, checked by the Unleash Python SDK's own engine (yggdrasil) against Flagsmith's engine.

Each test builds targeting with the services, serves ``/api/client/features`` and
loads the body into yggdrasil, then evaluates identities both ways: the server's
``evaluate_identity`` (what ``/api/v1/identities/`` answers) and yggdrasil with
``{userId, properties}`` (traits as text). Exact translations must agree on
every identity; splits by share.
"""

from __future__ import annotations

from typing import Any

import pytest
from yggdrasil_engine.engine import UnleashEngine

from documents.evaluation import IdentityToEvaluate, evaluate_identity
from documents.store import compiled_environment
from environments.models import Environment
from features import services as feature_services
from features.models import Feature
from identities.services import create_identity_override
from identities.tests.factories import IdentityFactory
from segments import services as segment_services
from segments.models import Segment
from tests.sdk_compat.comparison import flagsmith_as_unleash, unleash_properties
from unleash.services import Query, unleash_environment
from unleash.translation import MAX_STRATEGIES

pytestmark = pytest.mark.django_db

MISSING = object()


@pytest.fixture
def feature(sdk_project, environment, admin_user) -> Feature:
    return feature_services.create_feature(
        sdk_project, {"name": "target", "initial_value": "default", "default_enabled": True}, admin_user
    )


def _segment(project, user, conditions: list[dict[str, Any]], rule_type: str = "ALL", name: str = "s") -> Segment:
    rules = [{"type": "ALL", "rules": [{"type": rule_type, "conditions": conditions}]}]
    return segment_services.create_segment(project, {"name": name, "rules": rules}, user)


def _override(feature, environment, segment, user, *, enabled: bool = True, value: Any = "matched") -> None:
    feature_services.create_segment_override(
        feature=feature,
        segment=segment,
        environment=environment,
        user=user,
        state={"enabled": enabled, "feature_state_value": value},
    )


def _compiled(environment: Environment):
    return compiled_environment(environment.id, Environment.objects.get(pk=environment.pk).updated_at)


def _engine(environment: Environment, inline: bool = False) -> UnleashEngine:
    body = unleash_environment(_compiled(environment)).render(Query(inline_segments=inline)).body
    engine = UnleashEngine()
    assert engine.take_state(body.decode()) is None
    return engine


def _unleash(engine: UnleashEngine, name: str, identifier: str, traits: dict[str, Any]) -> tuple:
    context = {"userId": identifier, "properties": unleash_properties(traits)}
    enabled = engine.is_enabled(name, context).is_enabled
    variant = engine.get_variant(name, context).variant
    payload = variant.payload if variant.enabled else None
    return enabled, payload["value"] if payload else None


def _flagsmith(environment: Environment, name: str, identifier: str, traits: dict[str, Any]) -> tuple:
    compiled = _compiled(environment)
    identity_id = compiled.identity_overrides.get(identifier, (None,))[0]
    flags = evaluate_identity(compiled, IdentityToEvaluate(identifier, traits, identity_id), True)
    flag = next(item for item in flags if item["feature"]["name"] == name)
    return flagsmith_as_unleash(flag["enabled"], flag["feature_state_value"])


def _disagreements(environment, name: str, trait_key: str, values: list[Any]) -> list[str]:
    problems = []
    for inline in (False, True):
        engine = _engine(environment, inline)
        for index, value in enumerate(values):
            traits = {} if value is MISSING else {trait_key: value}
            identifier = f"user-{index}"
            expected, got = (
                _flagsmith(environment, name, identifier, traits),
                _unleash(engine, name, identifier, traits),
            )
            if expected != got:
                problems.append(f"inline={inline} {trait_key}={value!r}: flagsmith={expected} unleash={got}")
    return problems


def _report(environment) -> dict[str, dict[str, Any]]:
    return {item["name"]: item for item in unleash_environment(_compiled(environment)).report()}


OPERATOR_CASES = [
    ("EQUAL", "plan", "pro", ["pro", "Pro", "", "pro ", 5, 5.5, MISSING]),
    ("EQUAL", "n", "42", [42, "42", "042", "42.0", 42.5, "x42", 41, MISSING]),
    ("EQUAL", "r", "0.5", [0.5, "0.5", "0.50", 0, 1, "x", MISSING]),
    ("EQUAL", "admin", "true", [True, False, "true", "false", 1, MISSING]),
    ("NOT_EQUAL", "country", "US", ["US", "GB", "us", "", 5, 1.5, MISSING]),
    ("NOT_EQUAL", "n", "42", [42, 43, "42", "042", "abc", 42.5, MISSING]),
    ("NOT_EQUAL", "r", "0.5", [0.5, 0.25, 1, "abc", MISSING]),
    ("NOT_EQUAL", "admin", "true", [True, False, "true", "false", 1, MISSING]),
    ("GREATER_THAN", "n", "10", [11, 10, 9, "11", 10.5, 9.9, -20, MISSING]),
    ("GREATER_THAN_INCLUSIVE", "n", "10", [11, 10, 9, "10", 10.0001, MISSING]),
    ("LESS_THAN", "n", "10", [11, 10, 9, "9", -3, 9.99, MISSING]),
    ("LESS_THAN_INCLUSIVE", "n", "10", [11, 10, 9, 10.0, "10", MISSING]),
    ("GREATER_THAN", "r", "50.5", [51, 50.6, 50.5, "60.1", 50, "51", MISSING]),
    ("LESS_THAN", "r", "0.25", [0, 0.1, "0.1", 0.3, -0.5, -1, MISSING]),
    ("GREATER_THAN", "big", "3000000000", [3000000001, 2999999999, 2**62, -(2**35), MISSING]),
    ("GREATER_THAN", "v", "2.1.0:semver", ["2.1.1", "2.1.0", "2.0.9", "3.0.0-beta", "x", "2.1", "2", MISSING]),
    ("GREATER_THAN_INCLUSIVE", "v", "2.1.0:semver", ["2.1.0", "2.1.0-rc.1", "10.0.0", MISSING]),
    ("LESS_THAN", "v", "3.0.0:semver", ["2.9.9", "3.0.0", "3.0.0-alpha", MISSING]),
    ("LESS_THAN_INCLUSIVE", "v", "1.9.9:semver", ["1.9.9", "1.10.0", "1.5.0-beta", MISSING]),
    ("EQUAL", "v", "2.0.0:semver", ["2.0.0", "2.0.1", "2.0", "x", MISSING]),
    ("NOT_EQUAL", "v", "2.0.0:semver", ["2.0.0", "2.0.1", "2.0", "x", MISSING]),
    # Not a version: the engine never matches, negated or not (Flagsmith stores such values).
    ("GREATER_THAN", "v", "2.1:semver", ["2.1.0", "3.0.0", "2.1", "x", MISSING]),
    ("NOT_EQUAL", "v", "v2.0.0:semver", ["2.0.0", "2.0.1", "v2.0.0", MISSING]),
    ("CONTAINS", "email", "@example.com", ["a@example.com", "a@EXAMPLE.com", "", 5, MISSING]),
    ("NOT_CONTAINS", "email", "test", ["tester@x.io", "x@y.io", "", 5, 2.5, MISSING]),
    ("REGEX", "email", r"[a-z]+@corp\.test$", ["ana@corp.test", "x ana@corp.test", "ANA@corp.test", 12, MISSING]),
    ("REGEX", "n", r"\d{3}", [123, "1234", 12, "abc", MISSING]),
    ("IN", "plan", "team,business", ["team", "business", "teams", "", 5, MISSING]),
    ("IN", "age", "[18, 21, 30]", [18, "21", 21.0, 30, 31, "018", MISSING]),
    ("IN", "n", "1.5,2,02,-3,0", [1.5, "1.5", 2, "2", "02", "-3", "-03", 0, "00", "-0", 3, MISSING]),
    ("IS_SET", "plan", None, ["x", "", 0, False, MISSING]),
    ("IS_NOT_SET", "plan", None, ["x", "", 0, MISSING]),
]


@pytest.mark.parametrize(
    ("operator", "property_", "value", "traits"),
    OPERATOR_CASES,
    ids=[f"{operator}-{property_}-{value}" for operator, property_, value, _ in OPERATOR_CASES],
)
def test_operator__overriding_segment__unleash_sdk_agrees_with_flagsmith(
    feature, environment, sdk_project, admin_user, operator, property_, value, traits
):
    segment = _segment(sdk_project, admin_user, [{"operator": operator, "property": property_, "value": value}])
    _override(feature, environment, segment, admin_user)

    assert _disagreements(environment, "target", property_, traits) == []
    assert _report(environment)["target"]["translation"] == "exact"


@pytest.mark.parametrize(
    ("operator", "property_", "value", "traits"),
    OPERATOR_CASES,
    ids=[f"{operator}-{property_}-{value}" for operator, property_, value, _ in OPERATOR_CASES],
)
def test_operator__disabling_segment__negation_agrees_with_flagsmith(
    feature, environment, sdk_project, admin_user, operator, property_, value, traits
):
    segment = _segment(sdk_project, admin_user, [{"operator": operator, "property": property_, "value": value}])
    _override(feature, environment, segment, admin_user, enabled=False)

    assert _disagreements(environment, "target", property_, traits) == []


def test_rules__none_of_any_nested__agree(feature, environment, sdk_project, admin_user):
    rules = [
        {
            "type": "ALL",
            "conditions": [{"operator": "IS_SET", "property": "plan", "value": None}],
            "rules": [
                {
                    "type": "NONE",
                    "rules": [
                        {
                            "type": "ANY",
                            "conditions": [
                                {"operator": "EQUAL", "property": "plan", "value": "free"},
                                {"operator": "CONTAINS", "property": "plan", "value": "trial"},
                            ],
                        }
                    ],
                }
            ],
        }
    ]
    segment = segment_services.create_segment(sdk_project, {"name": "paid", "rules": rules}, admin_user)
    _override(feature, environment, segment, admin_user, value="paid")

    problems = _disagreements(environment, "target", "plan", ["free", "pro-trial", "pro", "", 3, MISSING])

    assert problems == []


def test_priorities__disabled_above_enabled_above_default__order_and_negation_agree(
    feature, environment, sdk_project, admin_user
):
    # A user with plan=pro and country=US: the disabling override (priority 0) wins.
    us = _segment(sdk_project, admin_user, [{"operator": "EQUAL", "property": "country", "value": "US"}], name="us")
    pro = _segment(sdk_project, admin_user, [{"operator": "EQUAL", "property": "plan", "value": "pro"}], name="pro")
    anyone = _segment(sdk_project, admin_user, [{"operator": "IS_SET", "property": "plan", "value": None}], name="any")
    _override(feature, environment, us, admin_user, enabled=False, value="us")
    _override(feature, environment, pro, admin_user, value="pro")
    _override(feature, environment, anyone, admin_user, value="anyone")
    engine = _engine(environment)

    for traits in (
        {"country": "US", "plan": "pro"},
        {"country": "GB", "plan": "pro"},
        {"plan": "free"},
        {"country": "US"},
        {},
    ):
        assert _unleash(engine, "target", "u", traits) == _flagsmith(environment, "target", "u", traits), traits


def test_identity_overrides__value_and_disabling__agree_and_come_first(feature, environment, sdk_project, admin_user):
    pro = _segment(sdk_project, admin_user, [{"operator": "EQUAL", "property": "plan", "value": "pro"}])
    _override(feature, environment, pro, admin_user, value="pro")
    create_identity_override(
        IdentityFactory(environment=environment, identifier="vip"),
        feature,
        {"enabled": True, "feature_state_value": "vip"},
        admin_user,
    )
    create_identity_override(
        IdentityFactory(environment=environment, identifier="banned"), feature, {"enabled": False}, admin_user
    )
    engine = _engine(environment)

    for identifier in ("vip", "banned", "someone"):
        for traits in ({"plan": "pro"}, {}):
            expected = _flagsmith(environment, "target", identifier, traits)
            assert _unleash(engine, "target", identifier, traits) == expected, (identifier, traits)
    assert _unleash(engine, "target", "vip", {"plan": "pro"}) == (True, "vip")
    assert _unleash(engine, "target", "banned", {"plan": "pro"}) == (False, None)


def test_identifier_and_environment_properties__agree(feature, environment, sdk_project, admin_user):
    named = _segment(
        sdk_project,
        admin_user,
        [
            {"operator": "IN", "property": "$.identity.identifier", "value": "a,b"},
            {"operator": "EQUAL", "property": "$.environment.name", "value": environment.name},
        ],
    )
    _override(feature, environment, named, admin_user, value="named")
    engine = _engine(environment)

    for identifier in ("a", "b", "c"):
        assert _unleash(engine, "target", identifier, {}) == _flagsmith(environment, "target", identifier, {})
    assert _unleash(engine, "target", "a", {}) == (True, "named")


def test_percentage_split__share_matches_and_report_says_shares(feature, environment, sdk_project, admin_user):
    split = _segment(sdk_project, admin_user, [{"operator": "PERCENTAGE_SPLIT", "property": "", "value": "30"}])
    _override(feature, environment, split, admin_user, value="split")
    engine = _engine(environment)

    matched = sum(_unleash(engine, "target", f"user-{n}", {}) == (True, "split") for n in range(2000))

    assert 0.26 < matched / 2000 < 0.34
    assert _report(environment)["target"]["translation"] == "shares"


def test_disabling_split__complement_share(feature, environment, sdk_project, admin_user):
    split = _segment(sdk_project, admin_user, [{"operator": "PERCENTAGE_SPLIT", "property": "", "value": "30"}])
    _override(feature, environment, split, admin_user, enabled=False)
    engine = _engine(environment)

    enabled = sum(_unleash(engine, "target", f"user-{n}", {})[0] for n in range(2000))

    assert 0.66 < enabled / 2000 < 0.74


def test_modulo__never_matches_and_reported_inexact(feature, environment, sdk_project, admin_user):
    segment = _segment(sdk_project, admin_user, [{"operator": "MODULO", "property": "n", "value": "3|0"}])
    _override(feature, environment, segment, admin_user, value="third")
    engine = _engine(environment)

    report = _report(environment)["target"]

    assert _unleash(engine, "target", "u", {"n": 9}) == (True, "default")
    assert report["translation"] == "inexact"
    assert any("MODULO" in note for note in report["notes"])


def test_python_only_regex__reported_inexact(feature, environment, sdk_project, admin_user):
    segment = _segment(sdk_project, admin_user, [{"operator": "REGEX", "property": "e", "value": r"(?!bot).*"}])
    _override(feature, environment, segment, admin_user)

    assert _report(environment)["target"]["translation"] == "inexact"


def test_many_disabling_overrides__capped_never_enabling_what_flagsmith_disables(
    feature, environment, sdk_project, admin_user
):
    # Negating an ALL-of-3 segment gives three alternatives; eight of them, 3**8 uncapped.
    for index in range(8):
        conditions = [{"operator": "EQUAL", "property": f"t{index}{option}", "value": "1"} for option in range(3)]
        segment = _segment(sdk_project, admin_user, conditions, name=f"deny-{index}")
        _override(feature, environment, segment, admin_user, enabled=False)
    engine = _engine(environment)
    feature_json = unleash_environment(_compiled(environment)).feature_json("target", inline_segments=True)

    report = _report(environment)["target"]

    assert report["capped"] is True and report["translation"] == "inexact"
    assert len(feature_json["strategies"]) == MAX_STRATEGIES
    enabled_somewhere = 0
    for n in range(300):
        traits = {
            f"t{index}{option}": str((n * 7919 >> (index * 3 + option)) % 2)
            for index in range(8)
            for option in range(3)
        }
        flagsmith_enabled = _flagsmith(environment, "target", f"u{n}", traits)[0]
        unleash_enabled = _unleash(engine, "target", f"u{n}", traits)[0]
        assert flagsmith_enabled or not unleash_enabled, traits
        enabled_somewhere += unleash_enabled
    assert enabled_somewhere > 0


def test_multivariate_override__own_shares_as_strategy_variants(sdk_project, environment, admin_user):
    feature = feature_services.create_feature(
        sdk_project,
        {
            "name": "colour",
            "initial_value": "grey",
            "default_enabled": True,
            "multivariate_options": [
                {"type": "unicode", "string_value": "red", "default_percentage_allocation": 40, "key": "red"},
            ],
        },
        admin_user,
    )
    engine = _engine(environment)

    reds = sum(_unleash(engine, "colour", f"user-{n}", {}) == (True, "red") for n in range(2000))

    assert 0.36 < reds / 2000 < 0.44
    assert feature.name in _report(environment)
