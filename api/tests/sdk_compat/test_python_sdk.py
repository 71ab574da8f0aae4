"""The official Python SDK gets the same flags from the server remotely as it computes locally.

Remote evaluation is ``POST /api/v1/identities/`` on the server; local evaluation
is the SDK's own engine over ``/api/v1/environment-document/``. For every
feature of every identity, ``enabled``, ``value`` (with its type) and
``variant`` must agree.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import pytest
import requests
from flagsmith import Flagsmith
from flagsmith.version import __version__ as flagsmith_version

from tests.sdk_compat.comparison import describe_mismatch, flagsmith_control_as_engine, python_flags, report
from tests.sdk_compat.configuration import FEATURES, IDENTITY_OVERRIDES, Configuration
from tests.sdk_compat.identities import IDENTITY_COUNT, generate_identities

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

TRANSIENT_COUNT = 60
ALL_OPERATORS = {
    "EQUAL",
    "NOT_EQUAL",
    "GREATER_THAN",
    "GREATER_THAN_INCLUSIVE",
    "LESS_THAN",
    "LESS_THAN_INCLUSIVE",
    "CONTAINS",
    "NOT_CONTAINS",
    "REGEX",
    "MODULO",
    "IN",
    "IS_SET",
    "IS_NOT_SET",
    "PERCENTAGE_SPLIT",
}


def _say(capsys: pytest.CaptureFixture[str], message: str) -> None:
    with capsys.disabled():
        print(f"\n[sdk-compat] {message}")


def _stored_identity(configuration: Configuration, identifier: str) -> dict[str, Any]:
    """What the server holds for an identifier, read without creating it."""
    response = requests.get(
        f"{configuration.api_url}identities/",
        params={"identifier": identifier, "transient": "true"},
        headers={"X-Environment-Key": configuration.server_key},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_configuration__built_through_the_admin_api__covers_every_operator(configuration: Configuration) -> None:
    assert configuration.operators_used == ALL_OPERATORS
    assert len(configuration.feature_ids) >= 12


def test_python_sdk__environment_flags__remote_equals_local(
    remote_client: Flagsmith, local_client: Flagsmith, capsys: pytest.CaptureFixture[str]
) -> None:
    remote = python_flags(remote_client.get_environment_flags())
    local = python_flags(local_client.get_environment_flags())

    assert remote == local, describe_mismatch("environment flags", None, {}, "remote", remote, "local", local)
    assert set(remote) == set(FEATURES)
    _say(capsys, f"python flagsmith {flagsmith_version}: environment flags agree ({len(remote)} features)")


def test_python_sdk__generated_identities__remote_equals_local(
    remote_client: Flagsmith, local_client: Flagsmith, capsys: pytest.CaptureFixture[str]
) -> None:
    identities = generate_identities(IDENTITY_COUNT)
    mismatches = []
    outcomes: dict[str, Counter] = defaultdict(Counter)

    for identity in identities:
        local = python_flags(local_client.get_identity_flags(identity.identifier, identity.traits))
        remote = flagsmith_control_as_engine(
            python_flags(remote_client.get_identity_flags(identity.identifier, identity.traits)), local
        )
        if remote != local:
            mismatches.append(
                describe_mismatch(
                    "identity flags", identity.identifier, identity.traits, "remote", remote, "local", local
                )
            )
        for name, flag in remote.items():
            outcomes[name][flag] += 1

    assert not mismatches, report(mismatches)
    # Agreement means something only if the overrides took effect: every feature with
    # segment or identity overrides, and every multivariate one, varies between identities.
    varying = {name for name, counter in outcomes.items() if len(counter) > 1}
    assert varying >= {"tiered_discount", "beta_access", "rollout", "int_value", "mv_colour", "mv_limit", "mv_banner"}
    assert len(outcomes["tiered_discount"]) >= 5, outcomes["tiered_discount"]
    variants = {flag[3] for flag in outcomes["mv_colour"]}
    assert {"red_variant", "green_variant", "control"} <= variants, variants
    _say(
        capsys,
        f"python flagsmith {flagsmith_version}: {len(identities)} identities compared, remote == local",
    )


def test_python_sdk__identity_overrides__applied_remotely_and_locally_also_when_transient(
    remote_client: Flagsmith, local_client: Flagsmith
) -> None:
    # The traits the generated suite sends for these identifiers: remote evaluation adds
    # an identity's stored traits, local evaluation knows only those it is given.
    traits_of = {identity.identifier: identity.traits for identity in generate_identities(IDENTITY_COUNT)}
    for identifier, overrides in IDENTITY_OVERRIDES.items():
        traits = traits_of[identifier]
        local = python_flags(local_client.get_identity_flags(identifier, traits))
        remote = flagsmith_control_as_engine(python_flags(remote_client.get_identity_flags(identifier, traits)), local)
        transient = flagsmith_control_as_engine(
            python_flags(remote_client.get_identity_flags(identifier, traits, transient=True)), local
        )

        assert remote == local, describe_mismatch(
            "identity override", identifier, traits, "remote", remote, "local", local
        )
        assert transient == local, describe_mismatch(
            "identity override, transient", identifier, traits, "remote", transient, "local", local
        )
        for feature_name, state in overrides.items():
            enabled, _, value, _ = remote[feature_name]
            assert enabled == state["enabled"], (identifier, feature_name, remote[feature_name])
            if "feature_state_value" in state:
                assert value == state["feature_state_value"], (identifier, feature_name, remote[feature_name])


def test_python_sdk__transient_traits__remote_equals_local_and_are_not_stored(
    remote_client: Flagsmith, local_client: Flagsmith, configuration: Configuration, capsys: pytest.CaptureFixture[str]
) -> None:
    identities = generate_identities(TRANSIENT_COUNT, seed=7, prefix="transient-traits")
    mismatches = []
    for index, identity in enumerate(identities):
        # Every other trait is transient, starting with the first or the second.
        traits = {
            key: {"value": value, "transient": True} if (position + index) % 2 == 0 else value
            for position, (key, value) in enumerate(identity.traits.items())
        }
        remote = python_flags(remote_client.get_identity_flags(identity.identifier, traits))
        local = python_flags(local_client.get_identity_flags(identity.identifier, traits))
        if remote != local:
            mismatches.append(
                describe_mismatch("transient traits", identity.identifier, traits, "remote", remote, "local", local)
            )
        stored = {trait["trait_key"] for trait in _stored_identity(configuration, identity.identifier)["traits"]}
        persisted = {key for key, value in traits.items() if not isinstance(value, dict)}
        assert stored == persisted, (identity.identifier, traits, stored)

    assert not mismatches, report(mismatches)
    _say(capsys, f"python flagsmith: {len(identities)} identities with transient traits compared")


def test_python_sdk__transient_identities__remote_equals_local_and_are_not_stored(
    remote_client: Flagsmith, local_client: Flagsmith, configuration: Configuration, capsys: pytest.CaptureFixture[str]
) -> None:
    identities = generate_identities(TRANSIENT_COUNT, seed=11, prefix="transient-identity")
    mismatches = []
    for identity in identities:
        remote = python_flags(remote_client.get_identity_flags(identity.identifier, identity.traits, transient=True))
        local = python_flags(local_client.get_identity_flags(identity.identifier, identity.traits))
        if remote != local:
            mismatches.append(
                describe_mismatch(
                    "transient identity", identity.identifier, identity.traits, "remote", remote, "local", local
                )
            )
        assert _stored_identity(configuration, identity.identifier)["traits"] == [], identity.identifier

    assert not mismatches, report(mismatches)
    _say(capsys, f"python flagsmith: {len(identities)} transient identities compared")


# Traits -> feature -> (enabled, value): what the configuration means, worked out by
# hand, so remote and local evaluation cannot agree on a wrong document.
HAND_CHECKED = [
    # enterprise (priority 0) beats paying (2), which it overlaps.
    ({"plan": "enterprise"}, {"tiered_discount": (True, "enterprise-20")}),
    # corporate_email (1) beats paying (2); paying beats rollout_30 (3) whatever the hash.
    ({"plan": "pro", "email": "ana.ng@corp.test"}, {"tiered_discount": (True, "corporate-15")}),
    ({"plan": "team"}, {"tiered_discount": (True, "paying-10")}),
    # legacy_app was moved above org_split_50 and rollout_30.
    ({"app_version": "1.4.2", "org_id": 1}, {"rollout": (False, "legacy")}),
    # Segment overrides of values, and of enabled alone.
    ({"score": 60.5}, {"int_value": (True, 7)}),
    ({"user_number": 9}, {"int_value": (True, 3)}),
    ({"big_number": 3_000_000_001}, {"int_value": (False, 2147483647)}),
    ({"country": "GB"}, {"bool_value": (True, False)}),
    ({"logins": 100, "age": 30}, {"beta_access": (True, None)}),
    ({"is_admin": True}, {"beta_access": (True, None)}),
    ({"email": "tester@example.com", "country": "XX"}, {"flag_off": (False, None), "beta_access": (False, None)}),
    ({"email": "ana@example.com"}, {"flag_off": (True, None)}),
]


@pytest.mark.parametrize(("traits", "expected"), HAND_CHECKED)
def test_python_sdk__hand_checked_traits__get_the_configured_flags_remotely_and_locally(
    remote_client: Flagsmith, local_client: Flagsmith, traits: dict[str, Any], expected: dict[str, tuple]
) -> None:
    identifier = "hand-checked-" + "-".join(f"{key}={value}" for key, value in traits.items())
    remote = python_flags(remote_client.get_identity_flags(identifier, traits, transient=True))
    local = python_flags(local_client.get_identity_flags(identifier, traits))

    assert remote == local, describe_mismatch("hand-checked", identifier, traits, "remote", remote, "local", local)
    assert {name: remote[name][0:3:2] for name in expected} == expected
