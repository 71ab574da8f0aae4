"""Defaults and acceptance of the admin API, checked against Flagsmith 2.265's models and serializers.

Each object is created through the API with the smallest body Flagsmith takes, and
every default it reports is Flagsmith's (the file and line of Flagsmith's source are
named beside it). The values Flagsmith accepts that Banderole once refused are
accepted. Deliberate differences are listed in docs/compatibility.md.
"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from features.models import FeatureState

pytestmark = pytest.mark.django_db

V1 = "/api/v1"


@pytest.fixture
def client_key_for():
    def _client(environment):
        client = APIClient()
        client.credentials(HTTP_X_ENVIRONMENT_KEY=environment.api_key)
        return client

    return _client


def test_new_project__minimal_body__flagsmiths_defaults(admin_client, organisation):
    body = admin_client.post(f"{V1}/projects/", {"name": "p", "organisation": organisation.id}, format="json").json()

    # api/projects/models.py:51-111
    assert {
        key: body[key]
        for key in (
            "hide_disabled_flags",
            "prevent_flag_defaults",
            "enforce_feature_owners",
            "enable_realtime_updates",
            "only_allow_lower_case_feature_names",
            "feature_name_regex",
            "max_segments_allowed",
            "max_features_allowed",
            "max_segment_overrides_allowed",
            "stale_flags_limit_days",
        )
    } == {
        "hide_disabled_flags": False,
        "prevent_flag_defaults": False,
        "enforce_feature_owners": False,
        "enable_realtime_updates": False,
        "only_allow_lower_case_feature_names": True,
        "feature_name_regex": None,
        "max_segments_allowed": 500,
        "max_features_allowed": 1000,
        "max_segment_overrides_allowed": 2000,
        "stale_flags_limit_days": 30,
    }


def test_new_feature__default_enabled_and_initial_value__served_in_every_environment(
    admin_client, project, environment, client_key_for
):
    # The first finding: with prevent_flag_defaults false (Flagsmith's default) a
    # feature's defaults reach every environment (features/models.py:951-965).
    admin_client.post(
        f"{V1}/projects/{project.id}/features/",
        {"name": "checkout", "default_enabled": True, "initial_value": "blue"},
        format="json",
    )

    flags = client_key_for(environment).get(f"{V1}/flags/").json()

    assert [(flag["feature"]["name"], flag["enabled"], flag["feature_state_value"]) for flag in flags] == [
        ("checkout", True, "blue")
    ]


def test_new_environment__minimal_body__flagsmiths_defaults(admin_client, project):
    body = admin_client.post(f"{V1}/environments/", {"name": "e", "project": project.id}, format="json").json()

    # api/environments/models.py:93-158
    assert {
        key: body[key]
        for key in (
            "allow_client_traits",
            "hide_disabled_flags",
            "hide_sensitive_data",
            "use_identity_composite_key_for_hashing",
            "use_identity_overrides_in_local_eval",
            "use_v2_feature_versioning",
            "minimum_change_request_approvals",
            "banner_text",
            "banner_colour",
        )
    } == {
        "allow_client_traits": True,
        "hide_disabled_flags": None,
        "hide_sensitive_data": False,
        "use_identity_composite_key_for_hashing": True,
        "use_identity_overrides_in_local_eval": True,
        "use_v2_feature_versioning": False,
        "minimum_change_request_approvals": None,
        "banner_text": None,
        "banner_colour": None,
    }


def test_new_feature__minimal_body__flagsmiths_defaults(admin_client, project, environment):
    body = admin_client.post(f"{V1}/projects/{project.id}/features/", {"name": "f"}, format="json").json()

    # api/features/models.py:112-129
    assert {key: body[key] for key in ("type", "default_enabled", "initial_value", "description", "is_archived")} == {
        "type": "STANDARD",
        "default_enabled": False,
        "initial_value": None,
        "description": None,
        "is_archived": False,
    }
    assert body["is_server_key_only"] is False
    state = FeatureState.objects.get(feature_id=body["id"], environment=environment)
    # api/features/feature_states/models.py:29-40: a string value type, no value.
    assert (state.enabled, state.feature_state_value.type, state.feature_state_value.value) == (False, "unicode", None)


def test_new_variant__minimal_body__flagsmiths_defaults(admin_client, project):
    feature = admin_client.post(f"{V1}/projects/{project.id}/features/", {"name": "f"}, format="json").json()

    body = admin_client.post(
        f"{V1}/projects/{project.id}/features/{feature['id']}/mv-options/", {"string_value": "a"}, format="json"
    ).json()

    # api/features/multivariate/models.py:57-70, feature_states/models.py:29
    assert (body["type"], body["default_percentage_allocation"], body["key"]) == ("unicode", 100, None)


def test_new_tag__minimal_body__flagsmiths_colour(admin_client, project):
    body = admin_client.post(f"{V1}/projects/{project.id}/tags/", {"label": "t"}, format="json").json()

    # api/projects/tags/models.py:17-19
    assert (body["color"], body["description"]) == ("#6837FC", None)


def test_new_server_key__minimal_body__active_without_expiry(admin_client, environment):
    body = admin_client.post(f"{V1}/environments/{environment.api_key}/api-keys/", {"name": "k"}, format="json").json()

    # api/environments/models.py:728-732
    assert (body["active"], body["expires_at"]) == (True, None)


def test_new_organisation__minimal_body__flagsmiths_defaults(admin_client):
    body = admin_client.post(f"{V1}/organisations/", {"name": "o"}, format="json").json()

    # api/organisations/models.py: persist_trait_data = DEFAULT_ORG_STORE_TRAITS_VALUE (true)
    assert (body["persist_trait_data"], body["restrict_project_create_to_admin"], body["stop_serving_flags"]) == (
        True,
        False,
        False,
    )


# --- values Flagsmith accepts -------------------------------------------------------------


@pytest.mark.parametrize(("sent", "stored"), [(5, "5"), (True, "True"), (1.5, "1.5")])
def test_create_feature__non_string_initial_value__kept_as_its_text(admin_client, project, sent, stored):
    # api/features/serializers.py:271-274
    response = admin_client.post(
        f"{V1}/projects/{project.id}/features/", {"name": "f", "initial_value": sent}, format="json"
    )

    assert response.status_code == 201, response.json()
    assert response.json()["initial_value"] == stored


@pytest.mark.parametrize("key", ["Control", "CONTROL", "k" * 255])
def test_create_variant__key_flagsmith_accepts__201(admin_client, project, key):
    # api/features/multivariate/models.py:57 (255 characters) and serializers.py:78 ("control" only).
    feature = admin_client.post(f"{V1}/projects/{project.id}/features/", {"name": "f"}, format="json").json()

    response = admin_client.post(
        f"{V1}/projects/{project.id}/features/{feature['id']}/mv-options/",
        {"string_value": "a", "key": key, "default_percentage_allocation": 10},
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["key"] == key


def test_create_variant__key_control__400(admin_client, project):
    feature = admin_client.post(f"{V1}/projects/{project.id}/features/", {"name": "f"}, format="json").json()

    response = admin_client.post(
        f"{V1}/projects/{project.id}/features/{feature['id']}/mv-options/",
        {"string_value": "a", "key": "control"},
        format="json",
    )

    assert response.status_code == 400
    assert "key" in response.json()


def test_create_feature__name_matches_regex_as_flagsmith_anchors_it__201(admin_client, project):
    # api/projects/models.py:200-211: the pattern is wrapped in ^…$ (so "ab|cd" takes "abx").
    project.feature_name_regex = "ab|cd"
    project.save()

    taken = admin_client.post(f"{V1}/projects/{project.id}/features/", {"name": "abx"}, format="json")
    refused = admin_client.post(f"{V1}/projects/{project.id}/features/", {"name": "xyz"}, format="json")

    assert taken.status_code == 201, taken.json()
    assert refused.status_code == 400


def test_create_environment__null_description__201(admin_client, project):
    # api/environments/models.py:96: description is nullable.
    response = admin_client.post(
        f"{V1}/environments/", {"name": "e", "project": project.id, "description": None}, format="json"
    )

    assert response.status_code == 201, response.json()
    assert response.json()["description"] == ""


def test_create_feature_segment__null_priority__201_last(admin_client, project, environment, admin_user):
    from features import services
    from segments.tests.factories import SegmentFactory

    feature = services.create_feature(project, {"name": "f"}, admin_user)
    first, second = SegmentFactory(project=project), SegmentFactory(project=project)
    services.create_segment_override(feature=feature, segment=first, environment=environment, user=admin_user)

    response = admin_client.post(
        f"{V1}/features/feature-segments/",
        {"feature": feature.id, "segment": second.id, "environment": environment.id, "priority": None},
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["priority"] == 1
