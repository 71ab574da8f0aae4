from __future__ import annotations

import pytest

from environments.models import Environment
from features.models import (
    Feature,
    FeatureState,
    FeatureStateValue,
    MultivariateFeatureOption,
    MultivariateFeatureStateValue,
)
from features.tests.factories import FeatureFactory

pytestmark = pytest.mark.django_db


def features_url(project, feature=None):
    base = f"/api/v1/projects/{project.id}/features/"
    return base if feature is None else f"{base}{feature.id}/"


def options_url(feature, option=None):
    base = f"/api/v1/projects/{feature.project_id}/features/{feature.id}/mv-options/"
    return base if option is None else f"{base}{option.id}/"


def states_url(environment, state=None):
    base = f"/api/v1/environments/{environment.api_key}/featurestates/"
    return base if state is None else f"{base}{state.id}/"


def counts():
    return (
        Feature.objects.count(),
        FeatureState.objects.count(),
        FeatureStateValue.objects.count(),
        MultivariateFeatureOption.objects.count(),
        MultivariateFeatureStateValue.objects.count(),
    )


# --- Features ----------------------------------------------------------------------


def test_create_feature__admin__201_with_flagsmith_shape_and_states(admin_client, defaults_project, environment):
    response = admin_client.post(
        features_url(defaults_project),
        {"name": "new_checkout", "initial_value": "7", "default_enabled": True, "description": "Try it"},
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) >= {
        "id",
        "name",
        "type",
        "description",
        "initial_value",
        "default_enabled",
        "is_server_key_only",
        "is_archived",
        "created_date",
        "uuid",
        "project",
        "multivariate_options",
    }
    assert body["type"] == "STANDARD"
    assert body["project"] == defaults_project.id
    assert body["initial_value"] == "7"
    state = FeatureState.objects.get(feature_id=body["id"], environment=environment)
    assert state.enabled is True
    assert state.feature_state_value.value == 7


def test_create_feature__with_variants__201_multivariate(admin_client, defaults_project, environment):
    response = admin_client.post(
        features_url(defaults_project),
        {
            "name": "colour",
            "initial_value": "red",
            "multivariate_options": [
                {"type": "unicode", "string_value": "green", "default_percentage_allocation": 40},
                {"type": "int", "integer_value": 3, "default_percentage_allocation": 60},
            ],
        },
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["type"] == "MULTIVARIATE"
    assert [option["default_percentage_allocation"] for option in body["multivariate_options"]] == [40, 60]
    assert MultivariateFeatureStateValue.objects.filter(feature_state__environment=environment).count() == 2


def test_create_feature__variants_over_100_percent__400_nothing_written(admin_client, defaults_project, environment):
    before = counts()

    response = admin_client.post(
        features_url(defaults_project),
        {
            "name": "colour",
            "multivariate_options": [
                {"type": "unicode", "string_value": "a", "default_percentage_allocation": 60},
                {"type": "unicode", "string_value": "b", "default_percentage_allocation": 41},
            ],
        },
    )

    assert response.status_code == 400
    assert "multivariate_options" in response.json()
    assert counts() == before


def test_create_feature__same_name_other_case__400_names_name(admin_client, feature):
    before = counts()

    response = admin_client.post(features_url(feature.project), {"name": "CheckOut"})

    assert response.status_code == 400
    assert "name" in response.json()
    assert counts() == before


def test_create_feature__same_name_in_other_project__201(admin_client, feature, organisation):
    from projects.tests.factories import ProjectFactory

    other = ProjectFactory(organisation=organisation)

    response = admin_client.post(features_url(other), {"name": "checkout"})

    assert response.status_code == 201


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x", "type": "BOGUS"}, "type"),
        ({"name": "x", "default_enabled": "maybe"}, "default_enabled"),
        ({"name": "x", "initial_value": "v" * 20_001}, "initial_value"),
        ({"name": "x", "multivariate_options": [{"default_percentage_allocation": 101}]}, "multivariate_options"),
        ({"name": "x", "multivariate_options": [{"type": "int", "integer_value": 2**31}]}, "multivariate_options"),
    ],
)
def test_create_feature__bad_input__400_names_field_nothing_written(
    admin_client, defaults_project, environment, payload, field
):
    before = counts()

    response = admin_client.post(features_url(defaults_project), payload)

    assert response.status_code == 400
    assert field in response.json()
    assert counts() == before


def test_create_feature__name_against_project_regex__400(admin_client, defaults_project):
    defaults_project.feature_name_regex = "[a-z_]+"
    defaults_project.save()

    response = admin_client.post(features_url(defaults_project), {"name": "Bad Name"})

    assert response.status_code == 400
    assert "name" in response.json()


def test_create_feature__member__403_nothing_written(member_client, defaults_project, environment):
    before = counts()

    response = member_client.post(features_url(defaults_project), {"name": "x"})

    assert response.status_code == 403
    assert counts() == before


def test_features__outsider__404(outsider_client, feature):
    assert outsider_client.get(features_url(feature.project)).status_code == 404
    assert outsider_client.get(features_url(feature.project, feature)).status_code == 404
    assert outsider_client.post(features_url(feature.project), {"name": "x"}).status_code == 404
    assert outsider_client.delete(features_url(feature.project, feature)).status_code == 404
    assert Feature.objects.filter(pk=feature.pk).exists()


def test_features__anonymous__401(anon_client, feature):
    assert anon_client.get(features_url(feature.project)).status_code == 401


def test_list_features__member__200_paginated(member_client, feature):
    response = member_client.get(features_url(feature.project))

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert [item["name"] for item in body["results"]] == ["checkout"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("search=CHECK", ["checkout"]),
        ("is_archived=true", ["old"]),
        ("is_archived=false", ["checkout", "banner"]),
        ("type=MULTIVARIATE", ["banner"]),
        ("type=STANDARD&is_archived=false", ["checkout"]),
    ],
)
def test_list_features__filters__match(admin_client, feature, mv_feature, query, expected):
    FeatureFactory(project=feature.project, name="old", is_archived=True)

    response = admin_client.get(f"{features_url(feature.project)}?{query}")

    assert response.status_code == 200
    assert [item["name"] for item in response.json()["results"]] == expected


def test_list_features__bad_filter_value__400(admin_client, feature):
    response = admin_client.get(f"{features_url(feature.project)}?type=BOGUS")

    assert response.status_code == 400
    assert "type" in response.json()


def test_list_features__query_count__independent_of_feature_count(
    admin_client, defaults_project, django_assert_max_num_queries
):
    for index in range(8):
        feature = FeatureFactory(project=defaults_project, name=f"f{index}")
        MultivariateFeatureOption.objects.create(feature=feature, string_value="v", default_percentage_allocation=5)

    # count, page, and one prefetch each for variants, tags, owners and group owners.
    with django_assert_max_num_queries(7):
        response = admin_client.get(f"{features_url(defaults_project)}?page_size=100")

    assert response.status_code == 200
    assert response.json()["count"] == 8


def test_update_feature__admin_put__200_states_untouched(admin_client, feature, environment):
    response = admin_client.put(
        features_url(feature.project, feature),
        {"name": "checkout", "description": "changed", "initial_value": "x", "is_archived": True},
    )

    assert response.status_code == 200, response.json()
    feature.refresh_from_db()
    assert feature.description == "changed"
    assert feature.is_archived is True
    assert FeatureState.objects.get(feature=feature).feature_state_value.value == "blue"


def test_update_feature__rename_to_existing_name__400(admin_client, feature, mv_feature):
    response = admin_client.patch(features_url(feature.project, feature), {"name": "BANNER"})

    assert response.status_code == 400
    assert "name" in response.json()


def test_update_feature__member__403(member_client, feature):
    response = member_client.patch(features_url(feature.project, feature), {"description": "no"})

    assert response.status_code == 403


def test_delete_feature__admin__204_states_gone(admin_client, feature):
    response = admin_client.delete(features_url(feature.project, feature))

    assert response.status_code == 204
    assert not Feature.objects.filter(pk=feature.pk).exists()
    assert not FeatureState.objects.filter(feature_id=feature.pk).exists()


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/projects/abc/features/",
        "/api/v1/projects/{p}/features/abc/",
        "/api/v1/projects/{p}/features/{f}/mv-options/abc/",
        "/api/v1/projects/{p}/features/abc/mv-options/",
        "/api/v1/environments/{e}/featurestates/abc/",
        "/api/v1/projects/{p}/features/99999999/",
    ],
)
def test_feature_routes__non_integer_or_unknown_id__404(admin_client, feature, environment, path):
    url = path.format(p=feature.project_id, f=feature.id, e=environment.api_key)

    assert admin_client.get(url).status_code == 404


# --- Environment creation gives states ------------------------------------------------


def test_create_environment__project_has_features__states_created(admin_client, feature, mv_feature):
    response = admin_client.post("/api/v1/environments/", {"name": "Staging", "project": feature.project_id})

    assert response.status_code == 201
    environment = Environment.objects.get(api_key=response.json()["api_key"])
    states = FeatureState.objects.filter(environment=environment)
    assert {state.feature_id for state in states} == {feature.id, mv_feature.id}
    assert states.get(feature=feature).feature_state_value.value == "blue"
    assert states.get(feature=mv_feature).multivariate_feature_state_values.count() == 2


# --- Multivariate options ----------------------------------------------------------


def test_create_mv_option__admin__201_and_shares_in_every_environment(admin_client, feature, environment):
    response = admin_client.post(
        options_url(feature), {"type": "bool", "boolean_value": True, "default_percentage_allocation": 25}
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["boolean_value"] is True
    assert body["feature"] == feature.id
    state = FeatureState.objects.get(feature=feature, environment=environment)
    assert list(state.multivariate_feature_state_values.values_list("percentage_allocation", flat=True)) == [25]
    feature.refresh_from_db()
    assert feature.type == "MULTIVARIATE"


def test_create_mv_option__allocations_over_100__400_nothing_written(admin_client, mv_feature):
    before = counts()

    response = admin_client.post(
        options_url(mv_feature), {"type": "unicode", "string_value": "c", "default_percentage_allocation": 51}
    )

    assert response.status_code == 400
    assert "default_percentage_allocation" in response.json()
    assert counts() == before


def test_update_mv_option__allocation_over_100__400(admin_client, mv_feature):
    option = mv_feature.multivariate_options.first()

    response = admin_client.patch(options_url(mv_feature, option), {"default_percentage_allocation": 81})

    assert response.status_code == 400
    assert "default_percentage_allocation" in response.json()


def test_update_mv_option__within_100__200(admin_client, mv_feature):
    option = mv_feature.multivariate_options.first()

    response = admin_client.patch(options_url(mv_feature, option), {"default_percentage_allocation": 80})

    assert response.status_code == 200
    assert response.json()["default_percentage_allocation"] == 80


def test_delete_mv_option__admin__204_shares_gone(admin_client, mv_feature):
    option = mv_feature.multivariate_options.first()

    response = admin_client.delete(options_url(mv_feature, option))

    assert response.status_code == 204
    assert not MultivariateFeatureStateValue.objects.filter(multivariate_feature_option_id=option.pk).exists()


def test_mv_options__member_reads_but_cannot_write(member_client, mv_feature):
    assert member_client.get(options_url(mv_feature)).status_code == 200
    assert member_client.post(options_url(mv_feature), {"string_value": "x"}).status_code == 403


def test_mv_options__outsider__404(outsider_client, mv_feature):
    assert outsider_client.get(options_url(mv_feature)).status_code == 404


# --- Feature states ---------------------------------------------------------------------


def test_list_feature_states__member__200_with_typed_values(member_client, feature, mv_feature, environment):
    response = member_client.get(states_url(environment))

    assert response.status_code == 200
    results = {item["feature"]: item for item in response.json()["results"]}
    assert results[feature.id]["feature_state_value"] == "blue"
    assert results[feature.id]["enabled"] is True
    assert results[feature.id]["environment"] == environment.id
    assert results[feature.id]["identity"] is None
    assert len(results[mv_feature.id]["multivariate_feature_state_values"]) == 2


@pytest.mark.parametrize(("query", "expected"), [("feature_name=CHECKOUT", 1), ("feature_name=nope", 0)])
def test_list_feature_states__feature_name_filter(admin_client, feature, mv_feature, environment, query, expected):
    response = admin_client.get(f"{states_url(environment)}?{query}")

    assert response.json()["count"] == expected


def test_list_feature_states__feature_filter(admin_client, feature, mv_feature, environment):
    response = admin_client.get(f"{states_url(environment)}?feature={mv_feature.id}")

    assert [item["feature"] for item in response.json()["results"]] == [mv_feature.id]


def test_list_feature_states__query_count__independent_of_feature_count(
    admin_client, defaults_project, environment, admin_user, django_assert_max_num_queries
):
    from features import services

    for index in range(6):
        services.create_feature(
            defaults_project,
            {"name": f"f{index}", "multivariate_options": [{"string_value": "v", "default_percentage_allocation": 5}]},
            admin_user,
        )

    with django_assert_max_num_queries(6):
        response = admin_client.get(f"{states_url(environment)}?page_size=100")

    assert response.json()["count"] == 6


@pytest.mark.parametrize("value", [42, True, False, "hello", "", None, -(2**31), 2**31 - 1])
def test_update_feature_state__typed_value__round_trips(admin_client, feature, environment, value):
    state = FeatureState.objects.get(feature=feature, environment=environment)

    response = admin_client.patch(states_url(environment, state), {"feature_state_value": value})

    assert response.status_code == 200, response.json()
    assert response.json()["feature_state_value"] == value
    assert type(response.json()["feature_state_value"]) is type(value)
    again = admin_client.get(states_url(environment, state)).json()["feature_state_value"]
    assert again == value and type(again) is type(value)


def test_update_feature_state__put_enabled_and_shares__200(admin_client, mv_feature, environment):
    state = FeatureState.objects.get(feature=mv_feature, environment=environment)
    first, second = mv_feature.multivariate_options.all()

    response = admin_client.put(
        states_url(environment, state),
        {
            "enabled": True,
            "feature_state_value": "control",
            "multivariate_feature_state_values": [
                {"multivariate_feature_option": first.id, "percentage_allocation": 70},
            ],
        },
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["enabled"] is True
    assert [
        (item["multivariate_feature_option"], item["percentage_allocation"])
        for item in body["multivariate_feature_state_values"]
    ] == [(first.id, 70)]
    assert not state.multivariate_feature_state_values.filter(multivariate_feature_option=second).exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"enabled": "perhaps"}, "enabled"),
        ({"feature_state_value": "v" * 20_001}, "feature_state_value"),
        ({"feature_state_value": 2**31}, "feature_state_value"),
        ({"feature_state_value": {"a": 1}}, "feature_state_value"),
        ({"feature_state_value": [1]}, "feature_state_value"),
        (
            {
                "multivariate_feature_state_values": [
                    {"multivariate_feature_option": "FIRST", "percentage_allocation": 101}
                ]
            },
            "multivariate_feature_state_values",
        ),
        (
            {
                "multivariate_feature_state_values": [
                    {"multivariate_feature_option": "FIRST", "percentage_allocation": 60},
                    {"multivariate_feature_option": "SECOND", "percentage_allocation": 41},
                ]
            },
            "multivariate_feature_state_values",
        ),
        (
            {
                "multivariate_feature_state_values": [
                    {"multivariate_feature_option": "FIRST", "percentage_allocation": 10},
                    {"multivariate_feature_option": "FIRST", "percentage_allocation": 10},
                ]
            },
            "multivariate_feature_state_values",
        ),
        (
            {
                "multivariate_feature_state_values": [
                    {"multivariate_feature_option": 999999, "percentage_allocation": 1}
                ]
            },
            "multivariate_feature_state_values",
        ),
    ],
)
def test_update_feature_state__bad_input__400_names_field_nothing_written(
    admin_client, mv_feature, environment, payload, field
):
    state = FeatureState.objects.get(feature=mv_feature, environment=environment)
    first, second = mv_feature.multivariate_options.all()
    for share in payload.get("multivariate_feature_state_values", []):
        share["multivariate_feature_option"] = {"FIRST": first.id, "SECOND": second.id}.get(
            share["multivariate_feature_option"], share["multivariate_feature_option"]
        )
    before_shares = list(state.multivariate_feature_state_values.values_list("id", "percentage_allocation"))
    before_updated = state.updated_at

    response = admin_client.patch(states_url(environment, state), payload)

    assert response.status_code == 400
    assert field in response.json()
    state.refresh_from_db()
    assert state.updated_at == before_updated
    assert state.feature_state_value.value == "control"
    assert list(state.multivariate_feature_state_values.values_list("id", "percentage_allocation")) == before_shares


def test_update_feature_state__variant_of_other_feature__400(admin_client, mv_feature, feature, environment):
    state = FeatureState.objects.get(feature=feature, environment=environment)
    foreign = mv_feature.multivariate_options.first()

    response = admin_client.patch(
        states_url(environment, state),
        {
            "multivariate_feature_state_values": [
                {"multivariate_feature_option": foreign.id, "percentage_allocation": 5}
            ]
        },
    )

    assert response.status_code == 400
    assert "multivariate_feature_state_values" in response.json()


def test_update_feature_state__member__403_unchanged(member_client, feature, environment):
    state = FeatureState.objects.get(feature=feature, environment=environment)

    response = member_client.patch(states_url(environment, state), {"enabled": False})

    assert response.status_code == 403
    state.refresh_from_db()
    assert state.enabled is True


def test_feature_states__outsider__404(outsider_client, feature, environment):
    state = FeatureState.objects.get(feature=feature, environment=environment)

    assert outsider_client.get(states_url(environment)).status_code == 404
    assert outsider_client.patch(states_url(environment, state), {"enabled": False}).status_code == 404


def test_feature_state__of_other_environment__404(admin_client, feature, environment, other_environment):
    state = FeatureState.objects.get(feature=feature, environment=environment)
    own_other = Environment.objects.create(project=feature.project, name="Second")

    assert admin_client.get(states_url(own_other, state)).status_code == 404
