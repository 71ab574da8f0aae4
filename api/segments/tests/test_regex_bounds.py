"""A REGEX segment condition cannot hold an SDK request: bounded evaluation, refusal on write."""

from __future__ import annotations

import time

import pytest

from features import services as feature_services
from segments.services import create_segment

pytestmark = pytest.mark.django_db


def one_condition(operator, property_, value):
    condition = {"operator": operator, "property": property_, "value": value}
    return [{"type": "ALL", "conditions": [], "rules": [{"type": "ANY", "rules": [], "conditions": [condition]}]}]


@pytest.fixture
def catastrophic_segment_override(project, environment, admin_user):
    """A flag turned on for a segment whose condition is ``email REGEX ^(a+)+$`` (an admin's typo)."""
    feature = feature_services.create_feature(project, {"name": "promo"}, admin_user)
    segment = create_segment(
        project, {"name": "typo", "rules": one_condition("REGEX", "email", r"^(a+)+$")}, admin_user
    )
    feature_services.create_segment_override(
        feature=feature, segment=segment, environment=environment, user=admin_user, state={"enabled": True}
    )
    return feature


@pytest.mark.parametrize(
    "email",
    ["a" * 26 + "!", "a" * 1999 + "!", "a" * 1998 + "é!", "a" * 1999 + "\n", "a" * 2000],
)
def test_identities__trait_against_catastrophic_regex__answered_fast_with_re_answer(
    api_client_for, environment, catastrophic_segment_override, email
) -> None:
    client = api_client_for(None)
    client.credentials(HTTP_X_ENVIRONMENT_KEY=environment.api_key)
    body = {"identifier": "probe", "traits": [{"trait_key": "email", "trait_value": email}]}
    client.post("/api/v1/identities/", body, format="json")  # warm: compile the document

    started = time.perf_counter()
    response = client.post("/api/v1/identities/", body, format="json")
    elapsed = time.perf_counter() - started

    assert response.status_code == 200, response.content
    (flag,) = response.json()["flags"]
    # re.match("^(a+)+$", email): only all-a values (a final newline allowed by $) match.
    assert flag["enabled"] is (email.rstrip("\n") == "a" * len(email.rstrip("\n")))
    assert elapsed < 0.25, elapsed  # the whole request; evaluation itself is well under 50 ms


@pytest.mark.parametrize("pattern", [r"^(?=x)(a+)+$", r"^((?!z)\w+)+$"])
def test_create_segment__backtracking_pattern_only_re_runs__400(admin_client, project, pattern) -> None:
    response = admin_client.post(
        f"/api/v1/projects/{project.id}/segments/",
        {"name": "slow", "rules": one_condition("REGEX", "email", pattern)},
        format="json",
    )
    assert response.status_code == 400
    assert "exponential time" in str(response.json())


def test_create_segment__backtracking_pattern_re2_runs__accepted(admin_client, project) -> None:
    response = admin_client.post(
        f"/api/v1/projects/{project.id}/segments/",
        {"name": "fine", "rules": one_condition("REGEX", "email", r"^(a+)+$")},
        format="json",
    )
    assert response.status_code == 201, response.content


def test_feature_name_regex__catastrophic__feature_create_answers_fast(admin_client, project) -> None:
    response = admin_client.patch(f"/api/v1/projects/{project.id}/", {"feature_name_regex": "(a+)+"}, format="json")
    assert response.status_code == 200, response.content
    started = time.perf_counter()
    response = admin_client.post(f"/api/v1/projects/{project.id}/features/", {"name": "a" * 30 + "!"}, format="json")
    elapsed = time.perf_counter() - started
    assert response.status_code == 400
    assert "pattern" in str(response.json())
    assert elapsed < 0.25, elapsed
    response = admin_client.post(f"/api/v1/projects/{project.id}/features/", {"name": "a" * 30}, format="json")
    assert response.status_code == 201, response.content


def test_feature_name_regex__backtracking_pattern_only_re_runs__400(admin_client, project) -> None:
    response = admin_client.patch(
        f"/api/v1/projects/{project.id}/", {"feature_name_regex": "(?=a)(a+)+"}, format="json"
    )
    assert response.status_code == 400
    assert "exponential time" in response.json()["feature_name_regex"][0]
