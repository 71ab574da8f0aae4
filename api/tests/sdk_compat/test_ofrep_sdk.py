"""OpenFeature's Python SDK with the OFREP provider, pointed at Banderole, equals ``/api/v1/identities/``.

The provider calls ``POST /ofrep/v1/evaluate/flags/{key}`` with the context
``{targetingKey: identifier, ...traits}``; Banderole evaluates it with its own
engine, so every flag of every identity must agree exactly, splits and variants
included: value (with its type), enabled (a disabled valued flag resolves to the
code default with reason DISABLED) and the variant key.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from importlib.metadata import version
from typing import Any

import pytest
import requests
from flagsmith import Flagsmith
from openfeature import api
from openfeature.client import OpenFeatureClient
from openfeature.contrib.provider.ofrep import OFREPProvider
from openfeature.evaluation_context import EvaluationContext
from openfeature.exception import ErrorCode
from openfeature.flag_evaluation import FlagEvaluationDetails, Reason

from tests.sdk_compat.comparison import payload_text, report
from tests.sdk_compat.configuration import FEATURES, Configuration
from tests.sdk_compat.identities import IDENTITY_COUNT, generate_identities

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

DEFAULT = object()  # marks "the code default came back"
CODE_DEFAULTS = {bool: False, int: -1, str: "<code default>"}


@pytest.fixture(scope="module")
def openfeature_client(configuration: Configuration) -> Iterator[OpenFeatureClient]:
    """The OpenFeature SDK as a user configures it: the OFREP provider, a bearer server-side key."""
    provider = OFREPProvider(
        configuration.base_url, headers_factory=lambda: {"Authorization": f"Bearer {configuration.server_key}"}
    )
    api.set_provider(provider, domain="banderole-server")
    yield api.get_client(domain="banderole-server")
    api.shutdown()


def resolve(client: OpenFeatureClient, name: str, kind: type, context: EvaluationContext) -> FlagEvaluationDetails:
    resolver = {
        bool: client.get_boolean_details,
        int: client.get_integer_details,
        str: client.get_string_details,
    }[kind]
    return resolver(name, CODE_DEFAULTS[kind], context)


def expected_kind(value: Any) -> type:
    """The OpenFeature type of a Flagsmith flag: a flag without a value is a boolean flag."""
    return bool if value is None else type(value)


def _mismatch(flag: Any, details: FlagEvaluationDetails) -> str | None:
    if details.error_code is not None:
        return f"error {details.error_code}: {details.error_message}"
    if flag.value is None:
        wanted = (flag.enabled, "on" if flag.enabled else "off")
        got = (details.value, details.variant)
    elif not flag.enabled:
        wanted = (CODE_DEFAULTS[type(flag.value)], "disabled", Reason.DISABLED)
        got = (details.value, details.variant, details.reason)
    else:
        wanted = (flag.value, type(flag.value).__name__, flag.variant or payload_text(flag.value))
        got = (details.value, type(details.value).__name__, details.variant)
        if flag.variant == "control" and details.variant == payload_text(flag.value):
            # Flagsmith's /identities/ names a multivariate feature's non-option value "control"
            # (an identity override, say); OFREP names a value that no split chose by the value.
            wanted = got
    return None if wanted == got else f"identities={wanted} ofrep={got}"


def test_openfeature_ofrep__generated_identities__equal_remote_evaluation(
    openfeature_client: OpenFeatureClient, remote_client: Flagsmith, capsys: pytest.CaptureFixture[str]
) -> None:
    identities = generate_identities(IDENTITY_COUNT)
    mismatches = []
    reasons: Counter = Counter()
    for identity in identities:
        flags = remote_client.get_identity_flags(identity.identifier, identity.traits)
        context = EvaluationContext(targeting_key=identity.identifier, attributes=identity.traits)
        for flag in flags.all_flags():
            details = resolve(openfeature_client, flag.feature_name, expected_kind(flag.value), context)
            reasons[details.reason] += 1
            if (problem := _mismatch(flag, details)) is not None:
                mismatches.append(f"{identity.identifier} {flag.feature_name}: {problem} traits={identity.traits}")

    assert not mismatches, report(mismatches)
    # The engine's reasons come through: segment matches, splits, defaults, disabled.
    assert {Reason.TARGETING_MATCH, Reason.SPLIT, Reason.STATIC, Reason.DEFAULT, Reason.DISABLED} <= set(reasons)
    with capsys.disabled():
        print(
            f"\n[sdk-compat] openfeature-sdk {version('openfeature-sdk')} + openfeature-provider-ofrep "
            f"{version('openfeature-provider-ofrep')}: {len(identities)} identities x {len(FEATURES)} flags equal "
            f"remote evaluation; reasons {dict(sorted((str(k), v) for k, v in reasons.items()))}"
        )


def test_openfeature_ofrep__client_key_as_x_api_key__server_only_flag_not_found(
    configuration: Configuration,
) -> None:
    provider = OFREPProvider(configuration.base_url, headers_factory=lambda: {"X-API-Key": configuration.client_key})
    api.set_provider(provider, domain="banderole-client")
    client = api.get_client(domain="banderole-client")
    context = EvaluationContext(targeting_key="ofrep-client-key")

    assert client.get_boolean_value("flag_on", False, context) is True
    details = client.get_string_details("server_only", "fallback", context)

    assert details.value == "fallback"
    assert details.error_code == ErrorCode.FLAG_NOT_FOUND


def test_openfeature_ofrep__bad_key__general_error_and_code_default(configuration: Configuration) -> None:
    provider = OFREPProvider(configuration.base_url, headers_factory=lambda: {"Authorization": "Bearer ser.wrong"})
    api.set_provider(provider, domain="banderole-bad-key")
    client = api.get_client(domain="banderole-bad-key")

    details = client.get_boolean_details("flag_on", False, EvaluationContext(targeting_key="x"))

    assert details.value is False
    assert details.error_code == ErrorCode.GENERAL
    assert details.error_message == "unauthorized"


def _bulk(configuration: Configuration, context: dict[str, Any], etag: str | None = None) -> requests.Response:
    headers = {"Authorization": f"Bearer {configuration.server_key}"}
    if etag:
        headers["If-None-Match"] = etag
    return requests.post(
        f"{configuration.base_url}/ofrep/v1/evaluate/flags", json={"context": context}, headers=headers, timeout=30
    )


def test_ofrep_bulk__etag__covers_the_context(configuration: Configuration) -> None:
    enterprise = {"targetingKey": "bulk-1", "plan": "enterprise"}
    free = {"targetingKey": "bulk-1", "plan": "free"}
    first = _bulk(configuration, enterprise)
    etag = first.headers["ETag"]

    again = _bulk(configuration, enterprise, etag)
    other_context = _bulk(configuration, free, etag)

    assert first.status_code == 200
    assert {item["key"] for item in first.json()["flags"]} == set(FEATURES)
    assert again.status_code == 304 and again.content == b""
    assert other_context.status_code == 200
    assert other_context.headers["ETag"] != etag
