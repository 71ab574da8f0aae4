"""Unleash's browser SDK (npm ``unleash-proxy-client``) on Banderole's Frontend API equals ``/identities/``.

The SDK runs twice over the same 200 generated identities: in Node
(``node/proxy_client.js``) and in Chromium on a test page served from another
origin (``node/pages/unleash.html``, driven by ``node/browser.js``), each with GET
(the SDK's default, the context in the query) and POST. For each identity it sets
``{userId, properties}`` (traits as text, as Unleash properties are) and reads
``isEnabled`` and ``getVariant`` of every feature. The reference is ``POST
/api/v1/identities/`` with the client key, the same identifier and the same text
traits (transient): same enabled flags, same variant and payload, exactly,
percentage splits and variant shares included. The SDK revalidates with the ETag
it holds (a 304 must come back) and posts its metrics.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.sdk_compat.comparison import (
    NOT_SERVED,
    FrontendOutcome,
    identities_as_frontend,
    keyless_shares,
    report,
    unleash_properties,
)
from tests.sdk_compat.configuration import FEATURES, Configuration
from tests.sdk_compat.identities import IDENTITY_COUNT, generate_identities

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

USERS = 200
MODES = {"get": False, "post": True}


@pytest.fixture(scope="module")
def users() -> list[dict[str, Any]]:
    return [
        {"identifier": identity.identifier, "properties": unleash_properties(identity.traits)}
        for identity in generate_identities(IDENTITY_COUNT)[:USERS]
    ]


@pytest.fixture(scope="module")
def expected(configuration: Configuration, users: list[dict[str, Any]]) -> dict[str, dict[str, FrontendOutcome]]:
    """Per identifier: every feature as ``/identities/`` gives it to the client key, as the Frontend API shows it."""
    document = requests.get(
        f"{configuration.api_url}environment-document/",
        headers={"X-Environment-Key": configuration.server_key},
        timeout=30,
    ).json()
    keyless = keyless_shares(document)
    outcomes = {}
    with requests.Session() as session:
        session.headers["X-Environment-Key"] = configuration.client_key
        for user in users:
            body = {
                "identifier": user["identifier"],
                "traits": [{"trait_key": key, "trait_value": value} for key, value in user["properties"].items()],
                "transient": True,
            }
            response = session.post(f"{configuration.api_url}identities/", json=body, timeout=30)
            assert response.status_code == 200, response.text
            flags = {flag["feature"]["name"]: flag for flag in response.json()["flags"]}
            outcomes[user["identifier"]] = {
                name: identities_as_frontend(flags[name], keyless) if name in flags else NOT_SERVED for name in FEATURES
            }
    return outcomes


def _input(configuration: Configuration, users: list[dict[str, Any]], use_post: bool) -> dict[str, Any]:
    return {
        "url": f"{configuration.base_url}/api/frontend",
        "clientKey": configuration.client_key,
        "usePOSTrequests": use_post,
        "features": sorted(FEATURES),
        "identities": users,
    }


def _compare(expected: dict[str, dict[str, FrontendOutcome]], output: dict[str, Any]) -> list[str]:
    mismatches = []
    for evaluated in output["identities"]:
        wanted = expected[evaluated["identifier"]]
        got = {name: (flag["enabled"], flag["variant"], flag["payload"]) for name, flag in evaluated["flags"].items()}
        mismatches.extend(
            f"{evaluated['identifier']} {name}: identities={wanted[name]} frontend={got.get(name)}"
            for name in FEATURES
            if wanted[name] != got.get(name)
        )
    return mismatches


def _variant_kinds(output: dict[str, Any]) -> set[str]:
    """Which of the variant namings the comparison met: every one must be covered."""
    names = {flag["variant"] for identity in output["identities"] for flag in identity["flags"].values()}
    return {"keyless share" if name.startswith("variant-") else name for name in names}


def _check_traffic(output: dict[str, Any]) -> None:
    statuses = [(item["method"], item["path"], item["status"]) for item in output["responses"]]
    features = [status for method, path, status in statuses if path == "/api/frontend"]
    assert set(features) <= {200, 304}, statuses
    # The last context was asked twice: the second answer is an empty 304 for the ETag the SDK held.
    assert features[-1] == 304, features[-5:]
    assert ("POST", "/api/frontend/client/metrics", 200) in statuses
    assert not output["errors"], output["errors"]


def _verify(expected: dict[str, dict[str, FrontendOutcome]], output: dict[str, Any]) -> None:
    """Every user and flag equal, every variant naming met, the ETag and metrics exchanges as the SDK makes them."""
    assert len(output["identities"]) == USERS
    mismatches = _compare(expected, output)
    assert not mismatches, report(mismatches)
    _check_traffic(output)
    assert {"value", "control", "disabled", "keyless share", "red_variant", "hundred", "summer"} <= _variant_kinds(
        output
    )


def _say(capsys: pytest.CaptureFixture[str], message: str) -> None:
    with capsys.disabled():
        print(f"\n[sdk-compat] {message}")


@pytest.mark.parametrize("mode", MODES)
def test_unleash_proxy_client__node__generated_users_equal_identities(
    node_project: Path,
    configuration: Configuration,
    users: list[dict[str, Any]],
    expected: dict[str, dict[str, FrontendOutcome]],
    tmp_path: Path,
    mode: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    input_path = tmp_path / "input.json"
    input_path.write_text(json.dumps(_input(configuration, users, MODES[mode])))
    started = time.monotonic()

    result = subprocess.run(
        [shutil.which("node") or "node", "proxy_client.js", str(input_path)],
        cwd=node_project,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert result.returncode == 0, f"proxy_client.js failed:\n{result.stderr}"
    output = json.loads(result.stdout)
    _verify(expected, output)
    _say(
        capsys,
        f"{output['sdk']} {output['version']} (Node, {mode.upper()}): {USERS} users x {len(FEATURES)} flags equal "
        f"/identities/, 0 differences, in {time.monotonic() - started:.1f} s",
    )


@pytest.mark.parametrize("mode", MODES)
def test_unleash_proxy_client__chromium__generated_users_equal_identities(
    node_project: Path,
    chromium: str,
    test_site: str,
    configuration: Configuration,
    users: list[dict[str, Any]],
    expected: dict[str, dict[str, FrontendOutcome]],
    tmp_path: Path,
    mode: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    input_path = tmp_path / "input.json"
    input_path.write_text(json.dumps(_input(configuration, users, MODES[mode])))
    started = time.monotonic()

    result = subprocess.run(
        [shutil.which("node") or "node", "browser.js", f"{test_site}/pages/unleash.html", str(input_path)],
        cwd=node_project,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "CHROMIUM_PATH": chromium},
        stdin=subprocess.DEVNULL,
    )

    assert result.returncode == 0, f"browser.js failed:\n{result.stderr}\n{result.stdout[-2000:]}"
    line = next(line for line in result.stdout.splitlines() if line.startswith("RESULT "))
    output = json.loads(line.removeprefix("RESULT "))
    assert not output["problems"], output["problems"]
    _verify(expected, output)
    version = json.loads((node_project / "node_modules" / "unleash-proxy-client" / "package.json").read_text())
    _say(
        capsys,
        f"unleash-proxy-client {version['version']} ({output['browser']}, {mode.upper()}, cross-origin): {USERS} "
        f"users x {len(FEATURES)} flags equal /identities/, 0 differences, in {time.monotonic() - started:.1f} s",
    )
