"""The Unleash Node SDK (``unleash-client``), pointed at ``/api/client/``, agrees with ``/identities/``.

A smaller sample than the Python SDK's, compared the same way
(``comparison.UnleashComparison``): ``node/unleash.js`` fetches the features
with the server-side key and evaluates each identity with
``{userId, properties}``; the Python SDK's remote evaluation is the reference.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from flagsmith import Flagsmith

from tests.sdk_compat.comparison import (
    UNLEASH_TRANSLATION,
    UnleashComparison,
    flagsmith_as_unleash,
    report,
    unleash_properties,
)
from tests.sdk_compat.configuration import FEATURES, Configuration
from tests.sdk_compat.identities import IDENTITY_COUNT, generate_identities

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

NODE_COUNT = 200


def test_unleash_node_sdk__identities__agree_with_remote_evaluation(
    node_project: Path,
    configuration: Configuration,
    remote_client: Flagsmith,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    identities = generate_identities(IDENTITY_COUNT)[:NODE_COUNT]
    input_path = tmp_path / "identities.json"
    input_path.write_text(
        json.dumps(
            {
                "features": sorted(FEATURES),
                "identities": [
                    {"identifier": i.identifier, "properties": unleash_properties(i.traits)} for i in identities
                ],
            }
        )
    )

    result = subprocess.run(
        [
            shutil.which("node") or "node",
            "unleash.js",
            str(input_path),
            f"{configuration.base_url}/api",
            configuration.server_key,
        ],
        cwd=node_project,
        capture_output=True,
        text=True,
        timeout=180,
    )

    assert result.returncode == 0, f"unleash.js failed:\n{result.stderr}"
    output = json.loads(result.stdout)
    assert set(output["features"]) == set(FEATURES)
    comparison = UnleashComparison()
    for identity, evaluated in zip(identities, output["identities"], strict=True):
        assert evaluated["identifier"] == identity.identifier
        flags = remote_client.get_identity_flags(identity.identifier, identity.traits).all_flags()
        comparison.add(
            identity.identifier,
            identity.traits,
            {flag.feature_name: flagsmith_as_unleash(flag.enabled, flag.value) for flag in flags},
            {name: (flag["enabled"], flag["payload"]) for name, flag in evaluated["flags"].items()},
        )

    assert not comparison.mismatches, report(comparison.mismatches)
    assert not comparison.share_problems(), comparison.share_problems()
    assert set(comparison.shares) == {name for name, kind in UNLEASH_TRANSLATION.items() if kind == "shares"}
    with capsys.disabled():
        print(
            f"\n[sdk-compat] {output['sdk']} {output['version']}: {comparison.identities} identities; exact flags "
            f"equal, int_value exact on {comparison.exact_int_value}; shares:\n" + "\n".join(comparison.share_lines())
        )
