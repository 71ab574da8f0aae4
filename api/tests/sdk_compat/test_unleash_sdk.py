"""The real Unleash Python SDK, pointed at ``/api/client/``, gets what ``/api/v1/identities/`` gives.

``UnleashClient`` (yggdrasil engine) registers, fetches the features with the
environment's server-side key, and evaluates each generated identity locally
with the context ``{userId: identifier, properties: traits as text}``. The
server's own remote evaluation of the same identity and traits is the
reference. How each flag is compared comes from the admin API's translation
report: ``exact`` flags identity by identity; ``shares`` flags (percentage
splits, variants) by the share of each outcome, within sampling error;
``int_value``'s MODULO segment cannot match in Unleash, so it is compared
exactly where the identity has no ``user_number``.
"""

from __future__ import annotations

import gzip
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import requests
from flagsmith import Flagsmith
from UnleashClient import UnleashClient
from UnleashClient.constants import SDK_VERSION as UNLEASH_SDK_VERSION

from tests.e2e.server import RunningServer
from tests.sdk_compat.comparison import (
    UNLEASH_TRANSLATION,
    UnleashComparison,
    UnleashOutcome,
    flagsmith_as_unleash,
    report,
    unleash_properties,
)
from tests.sdk_compat.configuration import FEATURES, Configuration
from tests.sdk_compat.identities import IDENTITY_COUNT, generate_identities

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def _say(capsys: pytest.CaptureFixture[str], message: str) -> None:
    with capsys.disabled():
        print(f"\n[sdk-compat] {message}")


@pytest.fixture(scope="module")
def unleash_sdk(configuration: Configuration, tmp_path_factory: pytest.TempPathFactory) -> Iterator[UnleashClient]:
    """The Python SDK as a user starts it: ``url=<banderole>/api`` and the server-side key as token."""
    client = UnleashClient(
        url=f"{configuration.base_url}/api",
        app_name="banderole-sdk-compat",
        instance_id="pytest",
        custom_headers={"Authorization": configuration.server_key},
        refresh_interval=1,
        metrics_interval=1,
        cache_directory=str(tmp_path_factory.mktemp("unleash_cache")),
        request_retries=0,
    )
    client.initialize_client()
    yield client
    client.destroy()


def unleash_outcome(client: UnleashClient, name: str, context: dict[str, Any]) -> UnleashOutcome:
    enabled = client.is_enabled(name, context)
    variant = client.get_variant(name, context)
    payload = variant.get("payload") if variant.get("enabled") else None
    return enabled, payload["value"] if payload else None


def test_translation_report__admin_api__says_which_flags_are_exact(
    configuration: Configuration, admin_session: requests.Session
) -> None:
    response = admin_session.get(f"{configuration.api_url}environments/{configuration.client_key}/unleash/", timeout=30)

    assert response.status_code == 200, response.text
    features = {item["name"]: item for item in response.json()["features"]}
    assert {name: item["translation"] for name, item in features.items()} == UNLEASH_TRANSLATION
    assert any("MODULO" in note for note in features["int_value"]["notes"])
    assert not any(item["capped"] for item in features.values())


def test_unleash_sdk__started_with_the_server_key__registers_and_fetches_every_feature(
    unleash_sdk: UnleashClient,
) -> None:
    # The server-side key serves server-key-only features too.
    assert set(unleash_sdk.feature_definitions()) == set(FEATURES)


def test_unleash_sdk__generated_identities__agree_with_remote_evaluation(
    unleash_sdk: UnleashClient, remote_client: Flagsmith, capsys: pytest.CaptureFixture[str]
) -> None:
    comparison = UnleashComparison()
    for identity in generate_identities(IDENTITY_COUNT):
        flags = remote_client.get_identity_flags(identity.identifier, identity.traits).all_flags()
        context = {"userId": identity.identifier, "properties": unleash_properties(identity.traits)}
        comparison.add(
            identity.identifier,
            identity.traits,
            {flag.feature_name: flagsmith_as_unleash(flag.enabled, flag.value) for flag in flags},
            {flag.feature_name: unleash_outcome(unleash_sdk, flag.feature_name, context) for flag in flags},
        )

    assert not comparison.mismatches, report(comparison.mismatches)
    assert not comparison.share_problems(), comparison.share_problems()
    assert set(comparison.shares) == {name for name, kind in UNLEASH_TRANSLATION.items() if kind == "shares"}
    assert comparison.exact_int_value > 50
    _say(
        capsys,
        f"UnleashClient {UNLEASH_SDK_VERSION}: {comparison.identities} identities; exact flags equal, int_value "
        f"exact on {comparison.exact_int_value} identities without user_number; shares:\n"
        + "\n".join(comparison.share_lines()),
    )


def test_unleash_sdk__polling__sends_the_etag_and_gets_304(unleash_sdk: UnleashClient) -> None:
    # The SDK's own transport, watched: each poll after the first sends If-None-Match.
    transport = unleash_sdk._transport
    results = []
    fetch = transport.fetch_features

    def watched(etag: str = "") -> Any:
        result = fetch(etag)
        results.append((etag, result))
        return result

    transport.fetch_features = watched
    try:
        deadline = time.monotonic() + 15
        while not any(result.not_modified for _, result in results) and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        transport.fetch_features = fetch

    assert any(etag and result.not_modified for etag, result in results), results
    assert set(unleash_sdk.feature_definitions()) == set(FEATURES)


def test_unleash_sdk__metrics__reach_flag_analytics(
    unleash_sdk: UnleashClient, configuration: Configuration, server_database_url: str
) -> None:
    for _ in range(3):
        unleash_sdk.is_enabled("flag_on", {"userId": "metrics-1"})
    unleash_sdk.is_enabled("flag_off", {"userId": "metrics-1"})

    deadline = time.monotonic() + 15
    counts: dict[tuple[str, bool], int] = {}
    while time.monotonic() < deadline:
        with psycopg.connect(server_database_url) as connection:
            rows = connection.execute(
                "SELECT feature_name, enabled_when_evaluated, SUM(count) FROM analytics_featureevaluationbucket "
                "WHERE environment_id = %s GROUP BY feature_name, enabled_when_evaluated",
                [configuration.environment_id],
            ).fetchall()
        counts = {(name, enabled): total for name, enabled, total in rows}
        if counts.get(("flag_on", True), 0) >= 3 and counts.get(("flag_off", False), 0) >= 1:
            break
        time.sleep(0.5)

    assert counts.get(("flag_on", True), 0) >= 3, counts
    assert counts.get(("flag_off", False), 0) >= 1, counts


def test_unleash_api__unknown_token__401_and_the_sdk_gets_nothing(
    server: RunningServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    client = UnleashClient(
        url=f"{server.url}/api",
        app_name="banderole-sdk-compat-bad-token",
        custom_headers={"Authorization": "ser.not-a-key"},
        disable_metrics=True,
        cache_directory=str(tmp_path),
        request_retries=0,
    )
    try:
        client.initialize_client()
        assert client.feature_definitions() == {}
        assert client.is_enabled("flag_on", {"userId": "x"}) is False
    finally:
        client.destroy()


def test_unleash_api__payload__bounded_and_gzipped_on_request(
    configuration: Configuration, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"{configuration.base_url}/api/client/features"
    headers = {"Authorization": configuration.server_key, "Unleash-Client-Spec": "6.1.0"}
    plain = requests.get(url, headers={**headers, "Accept-Encoding": "identity"}, timeout=30)
    inline = requests.get(
        url, headers={"Authorization": configuration.server_key, "Accept-Encoding": "identity"}, timeout=30
    )
    flags = requests.get(
        f"{configuration.api_url}flags/",
        headers={"X-Environment-Key": configuration.server_key, "Accept-Encoding": "identity"},
        timeout=30,
    )

    assert plain.status_code == inline.status_code == 200
    # A user's flags in one small response; the cap keeps a pathological flag from exploding it.
    assert len(plain.content) < 64_000
    _say(
        capsys,
        f"/api/client/features for {len(FEATURES)} features: {len(plain.content)} bytes with segments "
        f"({len(gzip.compress(plain.content))} gzipped), "
        f"{len(inline.content)} bytes inlined; /api/v1/flags/: {len(flags.content)} bytes",
    )
