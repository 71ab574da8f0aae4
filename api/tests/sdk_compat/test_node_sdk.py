"""flagsmith-nodejs gets the same flags remotely as locally, and the same as the Python SDK.

``node/evaluate.js`` evaluates each identity with flagsmith-nodejs twice (remote
``POST /identities/`` and local evaluation over the environment document); the
Python SDK's remote results for the same identities are the third opinion.
flagsmith-nodejs 8 exposes no ``variant``, so enabled and value are compared.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from flagsmith import Flagsmith

from tests.sdk_compat.comparison import describe_mismatch, report
from tests.sdk_compat.configuration import FEATURES, OVERRIDDEN_IDENTIFIERS, Configuration
from tests.sdk_compat.identities import IDENTITY_COUNT, generate_identities

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

PORTABLE_COUNT = 100
ODD_COUNT = 50

NodeFlags = dict[str, tuple[bool, str, Any]]


def _plain(flags: dict[str, dict[str, Any]]) -> NodeFlags:
    return {name: (flag["enabled"], type(flag["value"]).__name__, flag["value"]) for name, flag in flags.items()}


def _python_remote(flags: Any) -> NodeFlags:
    return {flag.feature_name: (flag.enabled, type(flag.value).__name__, flag.value) for flag in flags.all_flags()}


def test_node_sdk__identities__remote_equals_local_equals_python(
    node_project: Path,
    configuration: Configuration,
    remote_client: Flagsmith,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    portable = generate_identities(PORTABLE_COUNT, seed=5, prefix="node", portable=True)
    # The Python suite's identities: the overridden ones (portable traits) and odd ones
    # JavaScript can hold, sent with the very traits the Python suite sends.
    python_suite = generate_identities(IDENTITY_COUNT)
    portable = [*python_suite[: len(OVERRIDDEN_IDENTIFIERS)], *portable][:PORTABLE_COUNT]
    odd = [i for i in python_suite if i.js_safe and i.identifier not in OVERRIDDEN_IDENTIFIERS]
    identities = portable + odd[:ODD_COUNT]
    input_path = tmp_path / "identities.json"
    input_path.write_text(
        json.dumps({"identities": [{"identifier": i.identifier, "traits": i.traits} for i in identities]})
    )

    result = subprocess.run(
        [
            shutil.which("node") or "node",
            "evaluate.js",
            str(input_path),
            configuration.api_url,
            configuration.server_key,
        ],
        cwd=node_project,
        capture_output=True,
        text=True,
        timeout=180,
    )

    assert result.returncode == 0, f"evaluate.js failed:\n{result.stderr}"
    output = json.loads(result.stdout)
    environment = {side: _plain(output["environment"][side]) for side in ("remote", "local")}
    assert environment["remote"] == environment["local"], describe_mismatch(
        "node environment flags", None, {}, "remote", environment["remote"], "local", environment["local"]
    )
    assert set(environment["remote"]) == set(FEATURES)
    mismatches = []
    local_divergences = 0
    portable_outcomes: dict[str, set] = defaultdict(set)
    for index, (identity, evaluated) in enumerate(zip(identities, output["identities"], strict=True)):
        assert evaluated["identifier"] == identity.identifier
        remote, local = _plain(evaluated["remote"]), _plain(evaluated["local"])
        python = _python_remote(remote_client.get_identity_flags(identity.identifier, identity.traits))
        if remote != python:
            mismatches.append(
                describe_mismatch(
                    "node vs python",
                    identity.identifier,
                    identity.traits,
                    "node-remote",
                    remote,
                    "python-remote",
                    python,
                )
            )
        if index < len(portable):
            for name, flag in local.items():
                portable_outcomes[name].add(flag)
        if remote != local:
            if index < len(portable):
                mismatches.append(
                    describe_mismatch(
                        "node", identity.identifier, identity.traits, "node-remote", remote, "node-local", local
                    )
                )
            else:
                local_divergences += 1

    assert not mismatches, report(mismatches)
    # Local evaluation in Node took the same segment, identity and variant paths, not just defaults.
    assert len(portable_outcomes["tiered_discount"]) >= 4, portable_outcomes["tiered_discount"]
    assert {flag[2] for flag in portable_outcomes["mv_colour"]} >= {"red", "green", "blue", "grey", "teal"}
    with capsys.disabled():
        print(
            f"\n[sdk-compat] {output['sdk']} {output['version']}: {len(portable)} portable identities "
            f"remote == local == python remote; {len(identities) - len(portable)} more remote == python remote "
            f"(local differs on {local_divergences} of them: known flagsmith-nodejs engine gaps)"
        )
