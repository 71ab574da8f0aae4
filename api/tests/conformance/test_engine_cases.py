"""Flagsmith's engine conformance cases, rebuilt through the admin API and asked of the SDK API.

For each of the 199 cases in ``data/`` (Flagsmith/engine-test-data), the case's
environment is built as a user would build it (``builder.py``); then the SDK
API answers for the case's identity and traits (``POST /api/v1/identities/``, or
``GET /api/v1/flags/`` for a context without identity), and the answer is
checked:

- every flag (enabled, value with its JSON type, variant) and every segment
  membership equals what the official Python SDK (pip ``flagsmith``) computes
  in offline mode from the environment document Banderole serves;
- every flag and segment membership that no hash decides equals the case's
  expected result. Where a hash decides (variants, percentage splits), the
  case's ids and identity key cannot be reproduced through the API
  (``cases.py``), and the SDK's local evaluation is the reference.

Segment membership is read from probe features (``builder.py``). Two parts of
an expected result are never compared: the engine's ``reason`` (the SDK API
does not answer it) and the ``metadata`` of flags, which in most cases is just
the case's own feature id (Banderole answers its own ids in ``feature.id``).
Cases whose subject is exactly what the API cannot show are in
``NOT_OBSERVABLE``, each with its reason; their observable part is still checked.
The same result is in docs/compatibility.md, "Engine conformance".
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flagsmith import Flagsmith
from rest_framework.test import APIClient

from organisations.models import Organisation
from tests.conformance.builder import AdminAPI, Built, build_environment
from tests.conformance.cases import Case, load_cases
from users.tests.factories import UserFactory

CASES = {case.name: case for case in load_cases()}

# The context has no identity, so only /flags/ answers it, and neither /flags/ nor the SDK's
# environment flags evaluate segments: which segments match an identity-less context cannot be seen.
SEGMENTS_WITHOUT_IDENTITY = "segments of a context without identity"
# Arbitrary metadata attached to a feature, override or segment is passed through by the engine;
# the admin API has no field to attach it and the SDK API does not answer it.
METADATA_PASSTHROUGH = "metadata passthrough"

NOT_OBSERVABLE = {
    "test_context_value_jsonpath_non_existent__should_not_match": SEGMENTS_WITHOUT_IDENTITY,
    "test_feature_with_metadata__metadata_in_result": METADATA_PASSTHROUGH,
    "test_feature_override_with_metadata__match__metadata_in_result": METADATA_PASSTHROUGH,
    "test_segment__with_metadata__match__metadata_in_result": METADATA_PASSTHROUGH,
}

FlagTuple = tuple[bool, str, Any, str | None]


def _passes_metadata_through(case: Case) -> bool:
    """Whether the expected result carries metadata other than the case's feature id."""
    return any(set(flag.get("metadata") or {}) - {"id"} for flag in case.result["flags"].values()) or any(
        segment.get("metadata") for segment in case.result["segments"]
    )


def _is_really_unobservable(case: Case, reason: str) -> bool:
    if reason == SEGMENTS_WITHOUT_IDENTITY:
        return case.identity is None and bool(case.segments)
    if reason == METADATA_PASSTHROUGH:
        return _passes_metadata_through(case)
    return False


@pytest.fixture(scope="module")
def built_environments(
    request: pytest.FixtureRequest, django_db_setup: None, django_db_blocker: Any
) -> Iterator[dict[str, Built | str]]:
    """Every environment the selected cases need, built once through the admin API.

    Cases with the same environment (most of the cases ported from Flagsmith's
    first suite share one) share one build. Built outside the tests'
    transactions so all of them see it, and deleted afterwards. A build that
    fails is recorded as its error, which fails the cases that need it.
    """
    wanted = {
        item.callspec.params["case_name"]
        for item in request.session.items
        if item.module is request.module and hasattr(item, "callspec")
    }
    cases = [CASES[name] for name in sorted(wanted)]
    built: dict[str, Built | str] = {}
    with django_db_blocker.unblock():
        user = UserFactory(email="conformance@example.com")
        client = APIClient()
        client.force_authenticate(user=user)
        api = AdminAPI(client)
        try:
            organisation_id = api.call("post", "organisations/", {"name": "Conformance"}, expected=201)["id"]
            for case in cases:
                if case.environment_fingerprint in built:
                    continue
                try:
                    built[case.environment_fingerprint] = build_environment(
                        api, organisation_id, case, label=f"{case.name[:60]} ({len(built)})"
                    )
                except AssertionError as error:
                    built[case.environment_fingerprint] = f"building the environment failed: {error}"
            yield built
        finally:
            # Outside any test transaction nothing rolls back: leave the database as the other tests expect it.
            Organisation.objects.filter(memberships__user=user).delete()
            user.delete()


class ServedDocument:
    """The SDK's offline handler: the environment document Banderole served."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document

    def get_environment(self) -> dict[str, Any]:
        return self.document


def _flag(enabled: bool, value: Any, variant: str | None) -> FlagTuple:
    # The JSON type is part of the value: 1, True and "1" differ.
    return (enabled, type(value).__name__, value, variant)


def _sdk_flags(flags: Any) -> dict[str, FlagTuple]:
    return {flag.feature_name: _flag(flag.enabled, flag.value, flag.variant) for flag in flags.all_flags()}


def _answered_flags(items: list[dict[str, Any]]) -> dict[str, FlagTuple]:
    return {
        item["feature"]["name"]: _flag(item["enabled"], item["feature_state_value"], item.get("variant"))
        for item in items
    }


def _split_probes(flags: dict[str, FlagTuple], built: Built) -> tuple[dict[str, FlagTuple], set[str]]:
    """The case's own flags, and the names of the segments whose probe is enabled."""
    segments = {built.probes[name] for name, flag in flags.items() if name in built.probes and flag[0]}
    return {name: flag for name, flag in flags.items() if name not in built.probes}, segments


def _differences(label: str, left: dict[str, Any], right: dict[str, Any], names: set[str]) -> list[str]:
    return [
        f"{label} {name}: {left.get(name, 'MISSING')!r} != {right.get(name, 'MISSING')!r}"
        for name in sorted(names)
        if left.get(name, "MISSING") != right.get(name, "MISSING")
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("case_name", sorted(CASES))
def test_engine_case__rebuilt_through_the_admin_api__sdk_api_answers_as_the_engine(
    case_name: str, built_environments: dict[str, Built | str]
) -> None:
    case = CASES[case_name]
    built = built_environments[case.environment_fingerprint]
    if isinstance(built, str):
        pytest.fail(built)
    reason = NOT_OBSERVABLE.get(case.name)
    if reason is not None:
        assert _is_really_unobservable(case, reason), f"{case.name} is listed as not observable ({reason}), but is"
    # Nothing goes uncompared without being listed.
    if _passes_metadata_through(case):
        assert reason == METADATA_PASSTHROUGH, f"{case.name} passes metadata through: list it in NOT_OBSERVABLE"
    if case.identity is None and case.segments:
        assert reason == SEGMENTS_WITHOUT_IDENTITY, f"{case.name} has segments but no identity: list it"

    sdk_api = APIClient(headers={"X-Environment-Key": built.server_key})
    document = sdk_api.get("/api/v1/environment-document/")
    assert document.status_code == 200, document.content
    local = Flagsmith(offline_mode=True, offline_handler=ServedDocument(document.json()))

    identity = case.identity
    if identity is None:
        response = sdk_api.get("/api/v1/flags/")
        assert response.status_code == 200, response.content
        items = response.json()
        answered, answered_segments = _split_probes(_answered_flags(items), built)
        computed, computed_segments = _split_probes(_sdk_flags(local.get_environment_flags()), built)
    else:
        traits = identity.get("traits") or {}
        response = sdk_api.post(
            "/api/v1/identities/",
            {
                "identifier": identity["identifier"],
                "traits": [{"trait_key": key, "trait_value": value} for key, value in traits.items()],
            },
            format="json",
        )
        assert response.status_code == 200, response.content
        items = response.json()["flags"]
        answered, answered_segments = _split_probes(_answered_flags(items), built)
        computed, _ = _split_probes(_sdk_flags(local.get_identity_flags(identity["identifier"], traits)), built)
        computed_segments = {segment.name for segment in local.get_identity_segments(identity["identifier"], traits)}

    if reason == METADATA_PASSTHROUGH:
        assert not any("metadata" in item for item in items), (
            f"the SDK API now answers metadata: compare it and take {case.name} off NOT_OBSERVABLE"
        )

    expected = {
        name: _flag(flag["enabled"], flag["value"], flag.get("variant")) for name, flag in case.result["flags"].items()
    }
    expected_segments = {segment["name"] for segment in case.result["segments"]}
    case_segments = {segment["name"] for segment in case.segments}

    problems = _differences("flag (SDK API vs official SDK)", answered, computed, set(answered) | set(computed))
    problems += _differences(
        "flag (SDK API vs expected)", answered, expected, (set(answered) | set(expected)) - case.hashed_flags
    )
    if identity is not None:
        in_answered = {name: name in answered_segments for name in case_segments}
        in_computed = {name: name in computed_segments for name in case_segments}
        in_expected = {name: name in expected_segments for name in case_segments}
        problems += _differences("segment (SDK API vs official SDK)", in_answered, in_computed, case_segments)
        problems += _differences(
            "segment (SDK API vs expected)", in_answered, in_expected, case_segments - case.hashed_segments
        )
    assert not problems, "\n".join(problems)
