"""The configuration the SDK suites evaluate, built through the admin HTTP API only.

One organisation, project and environment with a server-side key; standard,
valued, multivariate and server-key-only features; segments that between them
use all 14 operators, ``:semver`` comparisons, nested ALL/ANY/NONE rules and the
``$.identity.identifier`` property; segment overrides at several priorities on
one feature, from overlapping segments so the order decides; a segment override
with its own variant shares; identity overrides for a handful of identifiers.
Every call is one a dashboard makes, so a server that builds this is one the
dashboard can drive.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import requests

# Identifiers with identity overrides; the identity generator mixes them in.
OVERRIDDEN_IDENTIFIERS = ("vip-1", "vip-2", "user-7", "override-int", "override-mv")


@dataclass
class Configuration:
    base_url: str
    organisation_id: int
    project_id: int
    environment_id: int
    client_key: str
    server_key: str
    feature_ids: dict[str, int] = field(default_factory=dict)
    segment_ids: dict[str, int] = field(default_factory=dict)
    operators_used: set[str] = field(default_factory=set)

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/v1/"


class AdminClient:
    """The admin API over one keep-alive session, failing loudly on any unexpected status."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.session = requests.Session()

    def call(self, method: str, path: str, body: Any = None, expected: int = 200) -> Any:
        response = self.session.request(method, f"{self.base_url}/api/v1/{path}", json=body, timeout=30)
        if response.status_code != expected:
            raise AssertionError(
                f"{method} /api/v1/{path} with {body!r}: expected {expected}, "
                f"got {response.status_code}: {response.text[:2000]}"
            )
        return response.json() if response.content else None

    def login(self, email: str, password: str) -> None:
        token = self.call("POST", "auth/login/", {"email": email, "password": password})["key"]
        self.session.headers["Authorization"] = f"Token {token}"


# --- features ------------------------------------------------------------------------------------

# name -> feature body; "shares" are the environment default's variant shares
# (option value -> percentage), set after creation so they differ from the defaults.
FEATURES: dict[str, dict[str, Any]] = {
    "flag_on": {"default_enabled": True},
    "flag_off": {"default_enabled": False},
    "string_value": {"default_enabled": True, "initial_value": "hello"},
    "int_value": {"default_enabled": True, "initial_value": "42"},
    "bool_value": {"default_enabled": True, "initial_value": "true"},
    "disabled_with_value": {"default_enabled": False, "initial_value": "hidden"},
    "server_only": {"default_enabled": True, "initial_value": "secret", "is_server_key_only": True},
    "tiered_discount": {"default_enabled": True, "initial_value": "none"},
    "beta_access": {"default_enabled": False},
    "rollout": {"default_enabled": False, "initial_value": "old"},
    "mv_colour": {
        "default_enabled": True,
        "initial_value": "grey",
        "multivariate_options": [
            {"type": "unicode", "string_value": "red", "default_percentage_allocation": 30, "key": "red_variant"},
            {"type": "unicode", "string_value": "green", "default_percentage_allocation": 30, "key": "green_variant"},
            {"type": "unicode", "string_value": "blue", "default_percentage_allocation": 20},
        ],
        "shares": {"red": 15, "green": 35, "blue": 25},
    },
    "mv_limit": {
        "default_enabled": True,
        "initial_value": "5",
        "multivariate_options": [
            {"type": "int", "integer_value": 10, "default_percentage_allocation": 50},
            {"type": "int", "integer_value": 100, "default_percentage_allocation": 10, "key": "hundred"},
        ],
        "shares": {10: 40, 100: 40},
    },
    "mv_banner": {
        "default_enabled": False,
        "initial_value": "none",
        "multivariate_options": [
            {"type": "unicode", "string_value": "summer", "default_percentage_allocation": 50, "key": "summer"},
            {"type": "bool", "boolean_value": True, "default_percentage_allocation": 25},
        ],
        "shares": {"summer": 33.3, True: 33.3},
    },
}


def _option_value(option: dict[str, Any]) -> Any:
    return {"unicode": option["string_value"], "int": option["integer_value"], "bool": option["boolean_value"]}[
        option["type"]
    ]


# --- segments ------------------------------------------------------------------------------------


def _condition(operator: str, property_: str | None, value: str | None) -> dict[str, Any]:
    return {"operator": operator, "property": property_, "value": value}


def _rule(
    rule_type: str, conditions: list[dict[str, Any]] | None = None, rules: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {"type": rule_type, "conditions": conditions or [], "rules": rules or []}


# name -> top-level rules. Dashboards write one ALL rule with nested ANY/NONE rules;
# some segments here have two top-level rules, which are AND-ed.
SEGMENTS: dict[str, list[dict[str, Any]]] = {
    "enterprise": [_rule("ALL", [_condition("EQUAL", "plan", "enterprise")])],
    "paying": [
        _rule(
            "ALL",
            rules=[
                _rule(
                    "ANY",
                    [
                        _condition("EQUAL", "plan", "pro"),
                        _condition("EQUAL", "plan", "enterprise"),
                        _condition("IN", "plan", "team,business"),
                    ],
                )
            ],
        )
    ],
    "heavy_users": [
        _rule(
            "ALL",
            [
                _condition("GREATER_THAN_INCLUSIVE", "logins", "100"),
                _condition("LESS_THAN", "age", "65"),
            ],
        )
    ],
    "score_band": [
        _rule("ALL", [_condition("GREATER_THAN", "score", "50.5"), _condition("LESS_THAN_INCLUSIVE", "score", "90")]),
    ],
    "every_third": [_rule("ALL", [_condition("MODULO", "user_number", "3|0")])],
    "corporate_email": [
        _rule(
            "ALL",
            rules=[
                _rule(
                    "ANY",
                    [
                        _condition("CONTAINS", "email", "@example.com"),
                        _condition("REGEX", "email", r"[a-z]+\.[a-z]+@corp\.test$"),
                    ],
                ),
                _rule("NONE", [_condition("CONTAINS", "email", "noreply")]),
            ],
        )
    ],
    "not_us": [_rule("ALL", [_condition("NOT_EQUAL", "country", "US"), _condition("IS_SET", "country", None)])],
    "no_plan": [_rule("ALL", [_condition("IS_NOT_SET", "plan", None)])],
    "rollout_30": [_rule("ALL", [_condition("PERCENTAGE_SPLIT", "", "30")])],
    "org_split_50": [_rule("ALL", [_condition("PERCENTAGE_SPLIT", "org_id", "50")])],
    "modern_app": [
        _rule(
            "ALL",
            [
                _condition("GREATER_THAN_INCLUSIVE", "app_version", "2.1.0:semver"),
                _condition("LESS_THAN", "app_version", "3.0.0:semver"),
            ],
        )
    ],
    "legacy_app": [
        _rule(
            "ANY",
            [
                _condition("LESS_THAN_INCLUSIVE", "app_version", "1.9.9:semver"),
                _condition("EQUAL", "app_version", "2.0.0:semver"),
            ],
        ),
        _rule("NONE", [_condition("GREATER_THAN", "app_version", "1.5.0-beta:semver")]),
    ],
    "named_identities": [_rule("ALL", [_condition("IN", "$.identity.identifier", "user-3,user-11,vip-2,user-42")])],
    "non_testers": [_rule("ALL", [_condition("NOT_CONTAINS", "email", "test")])],
    "admins_or_staff": [
        _rule(
            "ALL",
            rules=[
                _rule(
                    "ANY",
                    rules=[
                        _rule("ALL", [_condition("EQUAL", "is_admin", "true")]),
                        _rule(
                            "ALL",
                            [_condition("IN", "age", "[18, 21, 30]"), _condition("NOT_EQUAL", "is_admin", "true")],
                        ),
                    ],
                ),
                _rule("NONE", rules=[_rule("ANY", [_condition("EQUAL", "country", "XX")])]),
            ],
        )
    ],
    "big_numbers": [
        _rule(
            "ANY",
            [
                _condition("GREATER_THAN", "big_number", "3000000000"),
                _condition("EQUAL", "numeric_string", "42"),
                _condition("LESS_THAN", "ratio", "0.25"),
            ],
        )
    ],
}

# Segment overrides: feature -> [(segment, state)], in creation order.
SEGMENT_OVERRIDES: dict[str, list[tuple[str, dict[str, Any]]]] = {
    # Overlapping segments (every enterprise identity is also paying, some are in
    # rollout_30): only the priority decides which value an identity gets.
    "tiered_discount": [
        ("paying", {"enabled": True, "feature_state_value": "paying-10"}),
        ("rollout_30", {"enabled": True, "feature_state_value": "rollout-5"}),
        ("enterprise", {"enabled": True, "feature_state_value": "enterprise-20"}),
        ("no_plan", {"enabled": False, "feature_state_value": "no-plan"}),
        ("corporate_email", {"enabled": True, "feature_state_value": "corporate-15"}),
    ],
    "beta_access": [
        ("heavy_users", {"enabled": True}),
        ("named_identities", {"enabled": True}),
        ("admins_or_staff", {"enabled": True}),
    ],
    "rollout": [
        ("org_split_50", {"enabled": True, "feature_state_value": "org-new"}),
        ("rollout_30", {"enabled": True, "feature_state_value": "new"}),
        ("legacy_app", {"enabled": False, "feature_state_value": "legacy"}),
    ],
    "int_value": [
        ("score_band", {"enabled": True, "feature_state_value": 7}),
        ("every_third", {"enabled": True, "feature_state_value": 3}),
        ("big_numbers", {"enabled": False, "feature_state_value": 2147483647}),
    ],
    "bool_value": [("not_us", {"enabled": True, "feature_state_value": False})],
    "flag_off": [("non_testers", {"enabled": True})],
    # Overrides with variant shares of their own, hashed on the override's own state.
    "mv_colour": [
        ("modern_app", {"enabled": True, "feature_state_value": "teal", "shares": {"red": 40, "blue": 40}}),
        ("paying", {"enabled": True, "shares": {"green": 70}}),
    ],
    "mv_banner": [("corporate_email", {"enabled": True, "shares": {"summer": 10, True: 80}})],
}

# Final order of tiered_discount's overrides, set through update-priorities/:
# enterprise beats corporate_email beats paying beats rollout_30 beats no_plan.
TIERED_DISCOUNT_ORDER = ("enterprise", "corporate_email", "paying", "rollout_30", "no_plan")

# Identity overrides: identifier -> feature -> state.
IDENTITY_OVERRIDES: dict[str, dict[str, dict[str, Any]]] = {
    "vip-1": {
        "beta_access": {"enabled": True},
        "string_value": {"enabled": True, "feature_state_value": "vip"},
        "tiered_discount": {"enabled": True, "feature_state_value": "vip-50"},
    },
    "vip-2": {"mv_colour": {"enabled": True, "feature_state_value": "gold"}, "flag_on": {"enabled": False}},
    "user-7": {"flag_on": {"enabled": False}, "rollout": {"enabled": True, "feature_state_value": "pinned"}},
    "override-int": {"int_value": {"enabled": True, "feature_state_value": 9000}},
    "override-mv": {
        "mv_limit": {"enabled": False, "feature_state_value": 1},
        "bool_value": {"enabled": True, "feature_state_value": False},
    },
}


def _shares(options: dict[Any, int], shares: dict[Any, float]) -> list[dict[str, Any]]:
    return [
        {"multivariate_feature_option": options[value], "percentage_allocation": pct} for value, pct in shares.items()
    ]


def build_configuration(base_url: str, email: str, password: str) -> Configuration:
    admin = AdminClient(base_url)
    admin.login(email, password)

    organisation = admin.call("POST", "organisations/", {"name": "SDK Compat Org"}, 201)
    project = admin.call(
        "POST",
        "projects/",
        {"name": "SDK Compat", "organisation": organisation["id"]},
        201,
    )
    environment = admin.call("POST", "environments/", {"name": "Production", "project": project["id"]}, 201)
    client_key = environment["api_key"]
    server_key = admin.call("POST", f"environments/{client_key}/api-keys/", {"name": "sdk-compat"}, 201)["key"]
    assert server_key and server_key.startswith("ser."), server_key
    configuration = Configuration(
        base_url=base_url,
        organisation_id=organisation["id"],
        project_id=project["id"],
        environment_id=environment["id"],
        client_key=client_key,
        server_key=server_key,
    )

    # Features: every environment default follows initial_value and default_enabled.
    options: dict[str, dict[Any, int]] = {}
    for name, spec in FEATURES.items():
        body = {key: value for key, value in spec.items() if key != "shares"}
        feature = admin.call("POST", f"projects/{project['id']}/features/", {"name": name, **body}, 201)
        configuration.feature_ids[name] = feature["id"]
        options[name] = {_option_value(option): option["id"] for option in feature["multivariate_options"]}
    states = admin.call("GET", f"environments/{client_key}/featurestates/")
    states = states["results"] if isinstance(states, dict) else states
    default_state = {state["feature"]: state for state in states}
    for name, spec in FEATURES.items():
        if "shares" in spec:
            state = default_state[configuration.feature_ids[name]]
            admin.call(
                "PATCH",
                f"environments/{client_key}/featurestates/{state['id']}/",
                {"multivariate_feature_state_values": _shares(options[name], spec["shares"])},
            )

    # Segments.
    for name, rules in SEGMENTS.items():
        segment = admin.call("POST", f"projects/{project['id']}/segments/", {"name": name, "rules": rules}, 201)
        configuration.segment_ids[name] = segment["id"]
        configuration.operators_used |= _operators(rules)

    # Segment overrides, appended in creation order (each new one goes last).
    override_ids: dict[tuple[str, str], int] = {}
    for feature_name, overrides in SEGMENT_OVERRIDES.items():
        feature_id = configuration.feature_ids[feature_name]
        for segment_name, state in overrides:
            body: dict[str, Any] = {
                "feature_segment": {"segment": configuration.segment_ids[segment_name]},
                "enabled": state["enabled"],
            }
            if "feature_state_value" in state:
                body["feature_state_value"] = state["feature_state_value"]
            if "shares" in state:
                body["multivariate_feature_state_values"] = _shares(options[feature_name], state["shares"])
            created = admin.call(
                "POST", f"environments/{client_key}/features/{feature_id}/create-segment-override/", body, 201
            )
            override_ids[(feature_name, segment_name)] = created["feature_segment"]["id"]
    reordered = admin.call(
        "POST",
        "features/feature-segments/update-priorities/",
        [
            {"id": override_ids[("tiered_discount", segment_name)], "priority": priority}
            for priority, segment_name in enumerate(TIERED_DISCOUNT_ORDER)
        ],
    )
    assert [item["segment_name"] for item in sorted(reordered, key=lambda item: item["priority"])] == list(
        TIERED_DISCOUNT_ORDER
    ), reordered
    # And one moved alone: rollout's legacy_app override to the top.
    admin.call("PATCH", f"features/feature-segments/{override_ids[('rollout', 'legacy_app')]}/", {"priority": 0})

    # Identity overrides.
    for identifier, overrides in IDENTITY_OVERRIDES.items():
        identity = admin.call("POST", f"environments/{client_key}/identities/", {"identifier": identifier}, 201)
        for feature_name, state in overrides.items():
            admin.call(
                "POST",
                f"environments/{client_key}/identities/{identity['id']}/featurestates/",
                {"feature": configuration.feature_ids[feature_name], **state},
                201,
            )
    return configuration


def _operators(rules: list[dict[str, Any]]) -> set[str]:
    found: set[str] = set()
    for rule in rules:
        found |= {condition["operator"] for condition in rule["conditions"]}
        found |= _operators(rule["rules"])
    return found
