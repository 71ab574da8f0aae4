"""Rebuild a conformance case's environment through the admin API, the calls a user's dashboard makes.

One project and environment per case environment (the environment's name, as
``$.environment.name`` conditions read it), a server-side key, every feature
with its variants and its state in the environment, every segment with its
rules, and every segment override in the order the engine ranks them. The
case's ids are not reproduced (the API assigns its own); ``Built`` maps the
case's names to what the API made.

To observe segment membership through the SDK API, every segment also gets a
probe: a feature disabled in the environment and enabled by an override of
that segment only, so ``/identities/`` shows it enabled exactly when the
identity is in the segment.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from rest_framework.test import APIClient

from tests.conformance.cases import Case

PROBE_PREFIX = "conformance-probe-"


@dataclass
class Built:
    environment_key: str
    server_key: str
    feature_ids: dict[str, int] = field(default_factory=dict)
    segment_ids: dict[str, int] = field(default_factory=dict)
    # Probe feature name -> the name of the segment it reveals.
    probes: dict[str, str] = field(default_factory=dict)


class AdminAPI:
    """The admin API through Django's test client, failing loudly on any unexpected status."""

    def __init__(self, client: APIClient) -> None:
        self.client = client

    def call(self, method: str, path: str, body: Any = None, expected: int = 200) -> Any:
        response = getattr(self.client, method)(f"/api/v1/{path}", body, format="json")
        if response.status_code != expected:
            raise AssertionError(
                f"{method.upper()} /api/v1/{path} with {body!r}: expected {expected}, "
                f"got {response.status_code}: {response.content[:2000]!r}"
            )
        return response.json() if response.content else None


def _option_body(variant: dict[str, Any]) -> dict[str, Any]:
    """A multivariate option with the variant's value in its typed column, and its key if it has one."""
    value = variant["value"]
    if isinstance(value, bool):
        body: dict[str, Any] = {"type": "bool", "boolean_value": value}
    elif isinstance(value, int):
        body = {"type": "int", "integer_value": value}
    else:
        body = {"type": "unicode", "string_value": value}
    # Each environment's share is set on its feature state; the default share plays no part.
    body["default_percentage_allocation"] = 0
    if variant.get("key") is not None:
        body["key"] = variant["key"]
    return body


def _variant_identity(variant: dict[str, Any]) -> str:
    return json.dumps([variant["value"], variant.get("key")])


def _condition_body(condition: dict[str, Any]) -> dict[str, Any]:
    value = condition.get("value")
    if isinstance(value, list):
        # The API stores a condition value as text: an IN list is written as its JSON array,
        # which the engine reads back as the same list.
        value = json.dumps(value)
    return {
        "operator": condition["operator"],
        # Flagsmith's API refuses an empty property; no property is null, which the engine reads as "".
        "property": condition.get("property") or None,
        "value": value,
    }


def _rules_body(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "type": rule["type"],
            "conditions": [_condition_body(condition) for condition in rule.get("conditions") or []],
            "rules": _rules_body(rule.get("rules") or []),
        }
        for rule in rules
    ]


def build_environment(api: AdminAPI, organisation_id: int, case: Case, label: str) -> Built:
    project = api.call("post", "projects/", {"name": label, "organisation": organisation_id}, expected=201)
    environment = api.call(
        "post", "environments/", {"name": case.context["environment"]["name"], "project": project["id"]}, expected=201
    )
    key = environment["api_key"]
    server_key = api.call("post", f"environments/{key}/api-keys/", {"name": "conformance"}, expected=201)["key"]
    built = Built(environment_key=key, server_key=server_key)

    # Every variant a feature has anywhere (environment default or overrides) is an option of the
    # feature; the environment default's variants in the engine's order (priority) come first.
    options: dict[str, dict[str, str]] = {}
    option_ids: dict[str, dict[str, int]] = {}
    for name, feature in case.features.items():
        variants = sorted(feature.get("variants") or [], key=lambda variant: variant["priority"])
        for segment in case.segments:
            for override in segment.get("overrides") or []:
                if override["name"] == name:
                    variants += sorted(override.get("variants") or [], key=lambda variant: variant["priority"])
        options[name] = {_variant_identity(variant): variant for variant in variants}
        created = api.call(
            "post",
            f"projects/{project['id']}/features/",
            {
                "name": name,
                "type": "MULTIVARIATE" if options[name] else "STANDARD",
                "multivariate_options": [_option_body(variant) for variant in options[name].values()],
            },
            expected=201,
        )
        built.feature_ids[name] = created["id"]
        option_ids[name] = {
            identity: option["id"]
            for identity, option in zip(options[name], created["multivariate_options"], strict=True)
        }

    def shares(name: str, feature: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            {
                "multivariate_feature_option": option_ids[name][_variant_identity(variant)],
                "percentage_allocation": variant["weight"],
            }
            for variant in sorted(feature.get("variants") or [], key=lambda variant: variant["priority"])
        ]

    for name, feature in case.features.items():
        states = api.call("get", f"environments/{key}/featurestates/?feature={built.feature_ids[name]}")["results"]
        api.call(
            "put",
            f"environments/{key}/featurestates/{states[0]['id']}/",
            {
                "enabled": feature["enabled"],
                "feature_state_value": feature["value"],
                "multivariate_feature_state_values": shares(name, feature),
            },
        )

    for segment in case.segments:
        created = api.call(
            "post",
            f"projects/{project['id']}/segments/",
            {"name": segment["name"], "rules": _rules_body(segment["rules"])},
            expected=201,
        )
        built.segment_ids[segment["name"]] = created["id"]

    # The engine ranks overrides by priority (lower wins; none is the weakest), then by the order
    # of the segments in the context. Created in that order, each goes last: the same ranking.
    ranked = sorted(
        (
            (override.get("priority", float("inf")), order, segment, override)
            for order, segment in enumerate(case.segments)
            for override in segment.get("overrides") or []
        ),
        key=lambda item: item[:2],
    )
    for _, _, segment, override in ranked:
        name = override["name"]
        api.call(
            "post",
            f"environments/{key}/features/{built.feature_ids[name]}/create-segment-override/",
            {
                "feature_segment": {"segment": built.segment_ids[segment["name"]]},
                "enabled": override["enabled"],
                "feature_state_value": override["value"],
                "multivariate_feature_state_values": shares(name, override),
            },
            expected=201,
        )

    for order, segment in enumerate(case.segments):
        probe = f"{PROBE_PREFIX}{order}"
        feature_id = api.call("post", f"projects/{project['id']}/features/", {"name": probe}, expected=201)["id"]
        api.call(
            "post",
            f"environments/{key}/features/{feature_id}/create-segment-override/",
            {"feature_segment": {"segment": built.segment_ids[segment["name"]]}, "enabled": True},
            expected=201,
        )
        built.probes[probe] = segment["name"]
    return built
