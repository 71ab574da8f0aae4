"""The Unleash client API's protocol, as a real Unleash 8.2 server answers it (reference §2)."""

from __future__ import annotations

import gzip
import json

import pytest
from rest_framework.test import APIClient

from analytics.models import FeatureEvaluationBucket
from environments.models import Environment, EnvironmentAPIKey
from environments.services import create_server_key, mark_environments_changed
from features import services as feature_services
from features.models import Feature, Tag
from unleash.authentication import MISSING_TOKEN, WRONG_TOKEN_TYPE
from unleash.tests.conftest import unleash_client

pytestmark = pytest.mark.django_db

ENDPOINTS = [
    ("get", "/api/client/features", None),
    ("get", "/api/client/features/checkout", None),
    ("post", "/api/client/register", {"appName": "app"}),
    ("post", "/api/client/metrics", {"appName": "app"}),
]


def _names(response) -> list[str]:
    return [feature["name"] for feature in response.json()["features"]]


# --- authentication -------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
@pytest.mark.parametrize("token", [None, "", "ser.unknown", "garbage", "Bearer ser.unknown"])
def test_endpoint__missing_or_unknown_token__401_json(flags_environment, method, path, body, token):
    response = getattr(unleash_client(token), method)(path, body, format="json")

    assert response.status_code == 401
    assert response.json() == {"message": MISSING_TOKEN}


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_endpoint__client_key__403_wrong_token_type(flags_environment, method, path, body):
    response = getattr(unleash_client(flags_environment.api_key), method)(path, body, format="json")

    assert response.status_code == 403
    assert response.json() == {"message": WRONG_TOKEN_TYPE}


def test_features__bearer_token__accepted(flags_environment, server_key):
    response = unleash_client(f"Bearer {server_key.plain_key}").get("/api/client/features")

    assert response.status_code == 200


def test_features__revoked_server_key__401(flags_environment, server_key):
    EnvironmentAPIKey.objects.filter(pk=server_key.pk).update(active=False)
    mark_environments_changed(environment_ids=[flags_environment.id])

    response = unleash_client(server_key.plain_key).get("/api/client/features")

    assert response.status_code == 401


def test_features__organisation_stopped_serving__403(flags_environment, server_key, organisation):
    organisation.stop_serving_flags = True
    organisation.save()

    response = unleash_client(server_key.plain_key).get("/api/client/features")

    assert response.status_code == 403


def test_features__another_environments_key__sees_only_its_own_features(flags_environment, other_environment):
    other_key = create_server_key(environment=other_environment, name="other")

    response = unleash_client(other_key.plain_key).get("/api/client/features")

    assert response.status_code == 200
    assert _names(response) == []


# --- GET features ---------------------------------------------------------------------------------


def test_features__spec_4_2_or_later__top_level_segments_referenced_by_id(unleash, pro_segment):
    body = unleash.get("/api/client/features").json()

    checkout = next(feature for feature in body["features"] if feature["name"] == "checkout")
    segment_ids = [strategy["segments"] for strategy in checkout["strategies"]]
    assert segment_ids == [[pro_segment.id * 100], []]
    assert body["segments"] == [
        {
            "id": pro_segment.id * 100,
            "name": f"banderole-segment-{pro_segment.id * 100}",
            "constraints": [
                {
                    "contextName": "plan",
                    "operator": "IN",
                    "values": ["pro"],
                    "inverted": False,
                    "caseInsensitive": False,
                }
            ],
        }
    ]
    assert body["query"]["inlineSegmentConstraints"] is False


@pytest.mark.parametrize("spec", [None, "4.1.9", "3.0.0"])
def test_features__no_spec_or_older__segment_constraints_inlined(flags_environment, server_key, spec):
    body = unleash_client(server_key.plain_key, spec=spec).get("/api/client/features").json()

    assert "segments" not in body
    checkout = next(feature for feature in body["features"] if feature["name"] == "checkout")
    assert "segments" not in checkout["strategies"][0]
    assert checkout["strategies"][0]["constraints"][0]["values"] == ["pro"]
    assert body["query"]["inlineSegmentConstraints"] is True


@pytest.mark.parametrize("spec", ["six", "6.1", "6.1.0.0", "v6.1.0"])
def test_features__malformed_client_spec__400(flags_environment, server_key, spec):
    response = unleash_client(server_key.plain_key, spec=spec).get("/api/client/features")

    assert response.status_code == 400
    assert response.json()["name"] == "BadDataError"


def test_features__body__unleash_shape_with_query_and_meta(unleash, flags_environment, project):
    response = unleash.get("/api/client/features")
    body = response.json()

    assert response.status_code == 200
    assert list(body) == ["version", "features", "query", "segments", "meta"]
    assert body["version"] == 2
    assert body["query"] == {
        "project": [str(project.id)],
        "environment": flags_environment.name,
        "inlineSegmentConstraints": False,
    }
    assert body["meta"]["etag"] == response["ETag"]
    assert set(body["meta"]) == {"revisionId", "etag", "queryHash"}
    feature = body["features"][0]
    assert set(feature) == {
        "name",
        "type",
        "enabled",
        "project",
        "stale",
        "strategies",
        "variants",
        "description",
        "impressionData",
    }
    strategy = feature["strategies"][0]
    assert set(strategy) == {"name", "constraints", "parameters", "variants", "segments"}
    assert all(isinstance(value, str) for value in strategy["parameters"].values())


def test_features__server_key__serves_server_key_only_and_disabled_features(unleash):
    features = {feature["name"]: feature for feature in unleash.get("/api/client/features").json()["features"]}

    assert set(features) == {"checkout", "banner", "secret", "dormant"}
    assert features["secret"]["enabled"] is True
    assert features["dormant"]["enabled"] is False
    assert features["dormant"]["strategies"] == []


def test_features__hide_disabled_flags__omits_features_enabled_for_nobody(unleash, flags_environment):
    flags_environment.hide_disabled_flags = True
    flags_environment.save()

    assert set(_names(unleash.get("/api/client/features"))) == {"checkout", "banner", "secret"}
    assert unleash.get("/api/client/features/dormant").status_code == 404


def test_features__archived_feature__served_as_stale(unleash, disabled_feature):
    Feature.objects.filter(pk=disabled_feature.pk).update(is_archived=True)
    mark_environments_changed(project_id=disabled_feature.project_id)

    features = {feature["name"]: feature for feature in unleash.get("/api/client/features").json()["features"]}

    assert features["dormant"]["stale"] is True


def test_features__multivariate__strategy_variants_out_of_1000_with_control(unleash):
    features = {feature["name"]: feature for feature in unleash.get("/api/client/features").json()["features"]}

    variants = features["banner"]["strategies"][0]["variants"]
    assert [(v["name"], v["weight"], v["payload"]["value"]) for v in variants] == [
        ("variant_a", 300, "a"),
        (variants[1]["name"], 200, "b"),
        ("control", 500, "control"),
    ]
    assert sum(variant["weight"] for variant in variants) == 1000


# --- filters --------------------------------------------------------------------------------------


def test_features__name_prefix__prefix_match(unleash):
    assert _names(unleash.get("/api/client/features?namePrefix=ch")) == ["checkout"]
    assert _names(unleash.get("/api/client/features?namePrefix=nothing")) == []


@pytest.fixture
def tagged(checkout, banner, admin_user, project):
    web, mobile = Tag.objects.create(project=project, label="web"), Tag.objects.create(project=project, label="mobile")
    feature_services.update_feature(checkout, {"tags": [web]}, admin_user)
    feature_services.update_feature(banner, {"tags": [mobile]}, admin_user)
    return web, mobile


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("tag=simple:web", ["checkout"]),
        ("tag[]=simple:mobile", ["banner"]),
        ("tag=simple:web&tag=simple:mobile", ["checkout", "banner"]),
        ("tag[]=simple:web&tag[]=simple:mobile", ["checkout", "banner"]),
        ("tag=simple:nope", []),
        ("tag=other:web", []),
        ("tag=simple:web&namePrefix=b", []),
        ("project=nope", ["checkout", "banner", "secret", "dormant"]),
    ],
)
def test_features__tag_and_project_filters(unleash, tagged, query, expected):
    response = unleash.get(f"/api/client/features?{query}")

    assert response.status_code == 200
    assert _names(response) == expected


@pytest.mark.parametrize("tag", ["web", ":web", "simple:", "x" * 300])
def test_features__malformed_tag__400(unleash, tag):
    response = unleash.get("/api/client/features", {"tag": tag})

    assert response.status_code == 400
    assert response.json()["name"] == "BadDataError"


def test_features__renaming_a_tag__changes_what_the_filter_returns(unleash, tagged):
    web, _ = tagged
    web.label = "desktop"
    web.save()

    assert _names(unleash.get("/api/client/features?tag=simple:desktop")) == ["checkout"]
    assert _names(unleash.get("/api/client/features?tag=simple:web")) == []


# --- ETag and If-None-Match -----------------------------------------------------------------------


def test_features__if_none_match_current__304_empty(unleash):
    etag = unleash.get("/api/client/features")["ETag"]

    for sent in (etag, f"W/{etag}", f'"other", {etag}'):
        response = unleash.get("/api/client/features", HTTP_IF_NONE_MATCH=sent)
        assert response.status_code == 304
        assert response.content == b""


def test_features__stale_etag__200_full_body(unleash):
    response = unleash.get("/api/client/features", HTTP_IF_NONE_MATCH='"stale:1:v1"')

    assert response.status_code == 200
    assert response.json()["features"]


def test_features__etag__differs_per_query_and_spec(unleash, unleash_inline):
    tags = {
        unleash.get("/api/client/features")["ETag"],
        unleash.get("/api/client/features?namePrefix=c")["ETag"],
        unleash_inline.get("/api/client/features")["ETag"],
    }

    assert len(tags) == 3


def test_features__etag__changes_when_the_payload_does(unleash, checkout, flags_environment, admin_user):
    before = unleash.get("/api/client/features")["ETag"]
    state = checkout.feature_states.get(environment=flags_environment, feature_segment=None, identity=None)
    feature_services.update_feature_state(state, {"enabled": False}, admin_user)

    response = unleash.get("/api/client/features", HTTP_IF_NONE_MATCH=before)

    assert response.status_code == 200
    assert response["ETag"] != before


def test_features__etag__same_when_a_new_version_changes_nothing_served(unleash, flags_environment, other_environment):
    before = unleash.get("/api/client/features")["ETag"]
    mark_environments_changed(environment_ids=[flags_environment.id, other_environment.id])

    response = unleash.get("/api/client/features", HTTP_IF_NONE_MATCH=before)

    assert response.status_code == 304


def test_features__gzip_enabled__compressed_and_weak_etag_revalidates(unleash, settings):
    settings.MIDDLEWARE = ["django.middleware.gzip.GZipMiddleware", *settings.MIDDLEWARE]

    response = unleash.get("/api/client/features", HTTP_ACCEPT_ENCODING="gzip")
    revalidated = unleash.get("/api/client/features", HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=response["ETag"])

    assert response["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(response.content))["version"] == 2
    assert response["ETag"].startswith("W/")
    assert revalidated.status_code == 304


def test_features__warm__no_database_query(unleash, django_assert_max_num_queries):
    unleash.get("/api/client/features")

    with django_assert_max_num_queries(1):  # at most the 1 s version check
        response = unleash.get("/api/client/features")

    assert response.status_code == 200


# --- GET features/{name} --------------------------------------------------------------------------


def test_feature__known__as_in_the_list(unleash):
    listed = {feature["name"]: feature for feature in unleash.get("/api/client/features").json()["features"]}

    response = unleash.get("/api/client/features/checkout")

    assert response.status_code == 200
    assert response.json() == listed["checkout"]


def test_feature__unknown__404_not_found_error(unleash):
    response = unleash.get("/api/client/features/does-not-exist")

    assert response.status_code == 404
    assert response.json() == {"name": "NotFoundError", "message": "Could not find feature flag does-not-exist"}


def test_features__trailing_slash__json_404(unleash):
    response = unleash.get("/api/client/features/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


# --- POST register and metrics --------------------------------------------------------------------

REGISTER = {
    "appName": "checkout-service",
    "instanceId": "pod-1",
    "connectionId": "c0a8",
    "platformName": "CPython",
    "platformVersion": "3.11.9",
    "yggdrasilVersion": "0.20.8",
    "specVersion": "6.1.0",
    "sdkVersion": "unleash-python-sdk:6.9.1",
    "strategies": ["default", "flexibleRollout"],
    "started": "2026-01-01T00:00:00Z",
    "interval": 15000,
}


def _csrf_checking(server_key: EnvironmentAPIKey) -> APIClient:
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=server_key.plain_key)
    return client


def test_register__python_sdk_body_without_csrf_token__202_empty(flags_environment, server_key):
    response = _csrf_checking(server_key).post("/api/client/register", REGISTER, format="json")

    assert response.status_code == 202
    assert response.content == b""


@pytest.mark.parametrize("path", ["/api/client/register", "/api/client/metrics"])
@pytest.mark.parametrize(
    ("body", "content_type"),
    [("{}", "application/json"), ('{"instanceId": "x"}', "application/json"), ("[]", "application/json")],
)
def test_register_and_metrics__no_app_name__400_bad_data(unleash, path, body, content_type):
    response = unleash.generic("POST", path, body, content_type=content_type)

    assert response.status_code == 400
    assert response.json()["name"] == "BadDataError"


@pytest.mark.parametrize("path", ["/api/client/register", "/api/client/metrics"])
def test_register_and_metrics__invalid_json__400(unleash, path):
    response = unleash.generic("POST", path, "{not json", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["name"] == "BadDataError"


def test_register__missing_app_name__details_name_the_field(unleash):
    details = unleash.post("/api/client/register", {}, format="json").json()["details"]

    assert details[0]["path"] == "/body/appName"


def _metrics(toggles: dict) -> dict:
    return {
        "appName": "checkout-service",
        "instanceId": "pod-1",
        "bucket": {"start": "2026-01-01T00:00:00Z", "stop": "2026-01-01T00:01:00Z", "toggles": toggles},
    }


def test_metrics__counts__202_and_recorded_as_flag_evaluations(flags_environment, server_key):
    toggles = {"checkout": {"yes": 5, "no": 2, "variants": {"value": 5}}, "unknown-flag": {"yes": 9, "no": 0}}

    response = _csrf_checking(server_key).post("/api/client/metrics", _metrics(toggles), format="json")

    assert response.status_code == 202
    assert response.content == b""
    recorded = {
        (bucket.feature_name, bucket.enabled_when_evaluated): bucket.count
        for bucket in FeatureEvaluationBucket.objects.filter(environment=flags_environment)
    }
    assert recorded == {("checkout", True): 5, ("checkout", False): 2}


def test_metrics__without_bucket__202_nothing_recorded(unleash):
    response = unleash.post("/api/client/metrics", {"appName": "app"}, format="json")

    assert response.status_code == 202
    assert not FeatureEvaluationBucket.objects.exists()


@pytest.mark.parametrize("counts", [{"yes": -1}, {"yes": "many"}, "five"])
def test_metrics__bad_counts__400(unleash, counts):
    response = unleash.post("/api/client/metrics", _metrics({"checkout": counts}), format="json")

    assert response.status_code == 400
    assert not FeatureEvaluationBucket.objects.exists()


# --- the admin API's translation report -----------------------------------------------------------


def test_translation_report__member__each_feature_with_its_faithfulness(member_client, flags_environment):
    response = member_client.get(f"/api/v1/environments/{flags_environment.api_key}/unleash/")

    assert response.status_code == 200
    report = {item["name"]: item for item in response.json()["features"]}
    assert report["checkout"] == {
        "name": "checkout",
        "translation": "exact",
        "capped": False,
        "strategies": 2,
        "notes": [],
        "served": True,
    }
    assert report["banner"]["translation"] == "shares"


def test_translation_report__unknown_environment__404(member_client, flags_environment):
    assert member_client.get("/api/v1/environments/nope/unleash/").status_code == 404


def test_environment__deleted__its_key_gets_401(flags_environment, server_key):
    client = unleash_client(server_key.plain_key)
    assert client.get("/api/client/features").status_code == 200
    Environment.objects.filter(pk=flags_environment.pk).delete()

    assert client.get("/api/client/features").status_code == 401


def test_translation__through_a_shared_cache__pickles_and_renders_the_same(flags_environment):
    import pickle

    from documents.store import compiled_environment
    from unleash.services import Query, unleash_environment

    translated = unleash_environment(compiled_environment(flags_environment.id, flags_environment.updated_at))
    query = Query(inline_segments=False)

    copy = pickle.loads(pickle.dumps(translated))

    assert copy.render(query) == translated.render(query)
