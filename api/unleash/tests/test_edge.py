"""Unleash Edge in front of Banderole: what Edge asks of its upstream, in the shapes Edge reads.

Edge (unleash-edge's ``unleash-edge-http-client``) posts ``{"tokens": [...]}`` to
``/edge/validate`` without a token and reads ``{"tokens": [{token, type, projects,
environment}]}``; it posts ``{"applications", "metrics"}`` batches to
``/api/client/metrics/bulk`` with a backend token of the batch's environment, and
drops a batch answered 400. It only accepts tokens of Unleash's form
``<projects>:<environment>.<secret>``.
"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from analytics.models import FeatureEvaluationBucket
from environments.models import Environment, EnvironmentAPIKey
from environments.services import mark_environments_changed
from organisations.models import Organisation
from unleash.serializers import MAX_COUNT, MAX_TOKENS
from unleash.tests.conftest import unleash_client

pytestmark = pytest.mark.django_db


def _validate(tokens) -> object:
    return APIClient().post("/edge/validate", {"tokens": tokens}, format="json")


def _metric(environment: str, feature: str = "checkout", yes: int = 1, no: int = 0) -> dict:
    return {
        "featureName": feature,
        "appName": "checkout-service",
        "environment": environment,
        "timestamp": "2026-01-01T10:00:00Z",
        "yes": yes,
        "no": no,
        "variants": {},
        "sdkVersion": "unleash-client-node:6.12.1",
    }


def _bulk(metrics: list[dict], applications: list[dict] | None = None) -> dict:
    return {
        "applications": applications
        if applications is not None
        else [
            {
                "appName": "checkout-service",
                "environment": "x",
                "instanceId": "pod-1",
                "connectVia": [{"appName": "unleash-edge", "instanceId": "edge-1"}],
                "interval": 15000,
                "started": "2026-01-01T09:00:00Z",
                "strategies": ["default", "flexibleRollout"],
            }
        ],
        "metrics": metrics,
    }


def _recorded(environment: Environment) -> dict:
    return {
        (bucket.feature_name, bucket.enabled_when_evaluated): bucket.count
        for bucket in FeatureEvaluationBucket.objects.filter(environment=environment)
    }


# --- /edge/validate -------------------------------------------------------------------------------


def test_edge_validate__both_keys_of_an_environment__typed_with_one_environment_name(flags_environment, server_key):
    backend = f"*:production.{server_key.plain_key}"
    frontend = f"*:production.{flags_environment.api_key}"

    response = _validate([backend, frontend, "*:production.unknown", "garbage", ""])

    assert response.status_code == 200
    project = str(flags_environment.project_id)
    assert response.json() == {
        "tokens": [
            {"token": backend, "type": "backend", "projects": [project], "environment": flags_environment.api_key},
            {"token": frontend, "type": "frontend", "projects": [project], "environment": flags_environment.api_key},
        ]
    }


def test_edge_validate__two_environments_of_the_same_name__distinct_environment_names(
    flags_environment, project, admin_user
):
    other = Environment.objects.create(name=flags_environment.name, project=project)

    tokens = _validate([flags_environment.api_key, other.api_key]).json()["tokens"]

    assert [token["environment"] for token in tokens] == [flags_environment.api_key, other.api_key]


def test_edge_validate__revoked_key_or_stopped_organisation__left_out(flags_environment, server_key):
    EnvironmentAPIKey.objects.filter(pk=server_key.pk).update(active=False)
    mark_environments_changed(environment_ids=[flags_environment.id])
    assert _validate([server_key.plain_key]).json() == {"tokens": []}

    Organisation.objects.filter(pk=flags_environment.project.organisation_id).update(stop_serving_flags=True)
    mark_environments_changed(environment_ids=[flags_environment.id])
    assert _validate([flags_environment.api_key]).json() == {"tokens": []}


@pytest.mark.parametrize(
    "body",
    [{}, {"tokens": "ser.x"}, {"tokens": [{"token": "x"}]}, {"tokens": ["x"] * (MAX_TOKENS + 1)}, ["ser.x"]],
)
def test_edge_validate__malformed__unleash_400(db, body):
    response = APIClient().post("/edge/validate", body, format="json")

    assert response.status_code == 400
    assert response.json()["name"] == "BadDataError"


# --- the client API with Edge's tokens --------------------------------------------------------------


def test_client_features__server_key_in_unleash_token_form__served(flags_environment, server_key):
    response = unleash_client(f"*:production.{server_key.plain_key}").get("/api/client/features")

    assert response.status_code == 200
    assert {feature["name"] for feature in response.json()["features"]} >= {"checkout", "banner"}


# --- /api/client/metrics/bulk ---------------------------------------------------------------------


def test_bulk_metrics__edge_batch__summed_per_feature_for_the_token_environment_only(flags_environment, server_key):
    name = flags_environment.api_key
    batch = _bulk(
        [
            _metric(name, yes=3, no=1),
            _metric(name, yes=2, no=2),
            _metric("another-environment", yes=100),
            _metric(name, feature="unknown-flag", yes=9),
        ]
    )

    response = unleash_client(f"*:production.{server_key.plain_key}").post(
        "/api/client/metrics/bulk", batch, format="json"
    )

    assert response.status_code == 202
    assert response.content == b""
    assert _recorded(flags_environment) == {("checkout", True): 5, ("checkout", False): 3}


def test_bulk_metrics__empty_lists__202_nothing_recorded(flags_environment, server_key):
    response = unleash_client(server_key.plain_key).post("/api/client/metrics/bulk", _bulk([], []), format="json")

    assert response.status_code == 202
    assert not FeatureEvaluationBucket.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"metrics": []},
        {"applications": []},
        _bulk([{"featureName": "checkout", "yes": 1}]),
        _bulk([{**_metric("x"), "yes": MAX_COUNT + 1}]),
        _bulk([{**_metric("x"), "no": 10**40}]),
        _bulk([{**_metric("x"), "yes": -3}]),
        _bulk([_metric("x")] * 10_001),
    ],
)
def test_bulk_metrics__malformed_or_huge__400_and_nothing_recorded(flags_environment, server_key, body):
    response = unleash_client(server_key.plain_key).post("/api/client/metrics/bulk", body, format="json")

    assert response.status_code == 400
    assert response.json()["name"] == "BadDataError"
    assert not FeatureEvaluationBucket.objects.exists()


def test_bulk_metrics__client_key__403(flags_environment):
    response = unleash_client(flags_environment.api_key).post("/api/client/metrics/bulk", _bulk([]), format="json")

    assert response.status_code == 403


def test_edge_instance_data__accepted(flags_environment, server_key):
    body = {"identifier": "edge-1", "appName": "unleash-edge", "region": None, "edgeVersion": "20.0.0"}

    response = unleash_client(server_key.plain_key).post("/api/client/metrics/edge", body, format="json")

    assert response.status_code == 202
