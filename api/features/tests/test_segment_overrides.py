"""Segment overrides: features/feature-segments/, update-priorities/, create-segment-override/,
and override states edited through environments/{key}/featurestates/.
"""

from __future__ import annotations

import pytest

from environments.models import Environment
from environments.tests.factories import EnvironmentFactory
from features import services
from features.models import (
    Feature,
    FeatureSegment,
    FeatureState,
    FeatureStateValue,
    MultivariateFeatureStateValue,
)
from features.tests.factories import FeatureFactory
from projects.tests.factories import ProjectFactory
from segments.models import Segment
from segments.tests.factories import SegmentFactory

pytestmark = pytest.mark.django_db

FEATURE_SEGMENTS_URL = "/api/v1/features/feature-segments/"
PRIORITIES_URL = f"{FEATURE_SEGMENTS_URL}update-priorities/"


def feature_segment_url(feature_segment: FeatureSegment) -> str:
    return f"{FEATURE_SEGMENTS_URL}{feature_segment.id}/"


def create_override_url(environment: Environment, feature: Feature) -> str:
    return f"/api/v1/environments/{environment.api_key}/features/{feature.id}/create-segment-override/"


def states_url(environment: Environment, state: FeatureState | None = None) -> str:
    base = f"/api/v1/environments/{environment.api_key}/featurestates/"
    return base if state is None else f"{base}{state.id}/"


def counts() -> tuple[int, int, int, int]:
    return (
        FeatureSegment.objects.count(),
        FeatureState.objects.count(),
        FeatureStateValue.objects.count(),
        MultivariateFeatureStateValue.objects.count(),
    )


def group(feature: Feature, environment: Environment) -> list[tuple[int, int]]:
    return list(
        FeatureSegment.objects.filter(feature=feature, environment=environment)
        .order_by("priority")
        .values_list("segment_id", "priority")
    )


@pytest.fixture
def segments(defaults_project) -> list[Segment]:
    return [SegmentFactory(project=defaults_project, name=name) for name in ("beta", "staff", "vip", "eu")]


@pytest.fixture
def overrides(feature, environment, segments, admin_user) -> list[FeatureSegment]:
    """Three overrides of ``feature``: beta (0), staff (1), vip (2)."""
    return [
        services.create_segment_override(
            feature=feature, segment=segment, environment=environment, user=admin_user
        ).feature_segment
        for segment in segments[:3]
    ]


# --- features/feature-segments/ ----------------------------------------------------------------


def test_create_feature_segment__admin__201_at_end_with_state_copied_from_default(
    admin_client, feature, environment, segments, overrides
):
    before = Environment.objects.get(pk=environment.pk).updated_at

    response = admin_client.post(
        FEATURE_SEGMENTS_URL, {"feature": feature.id, "segment": segments[3].id, "environment": environment.id}
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == {
        "id",
        "uuid",
        "feature",
        "segment",
        "environment",
        "priority",
        "segment_name",
        "is_feature_specific",
    }
    assert body["priority"] == 3
    assert body["segment_name"] == "eu"
    assert body["is_feature_specific"] is False
    state = FeatureState.objects.get(feature_segment_id=body["id"])
    assert (state.enabled, state.feature_state_value.value) == (True, "blue")
    assert Environment.objects.get(pk=environment.pk).updated_at > before


def test_create_feature_segment__priority_given__inserted_and_others_shift(
    admin_client, feature, environment, segments, overrides
):
    response = admin_client.post(
        FEATURE_SEGMENTS_URL,
        {"feature": feature.id, "segment": segments[3].id, "environment": environment.id, "priority": 1},
    )

    assert response.status_code == 201, response.json()
    assert group(feature, environment) == [
        (segments[0].id, 0),
        (segments[3].id, 1),
        (segments[1].id, 2),
        (segments[2].id, 3),
    ]


def test_create_feature_segment__mv_feature__shares_copied_from_default(
    admin_client, mv_feature, environment, segments
):
    response = admin_client.post(
        FEATURE_SEGMENTS_URL, {"feature": mv_feature.id, "segment": segments[0].id, "environment": environment.id}
    )

    assert response.status_code == 201
    state = FeatureState.objects.get(feature_segment_id=response.json()["id"])
    assert sorted(state.multivariate_feature_state_values.values_list("percentage_allocation", flat=True)) == [20, 30]


def test_create_feature_segment__duplicate__400_nothing_written(admin_client, feature, environment, overrides):
    before = counts()

    response = admin_client.post(
        FEATURE_SEGMENTS_URL,
        {"feature": feature.id, "segment": overrides[0].segment_id, "environment": environment.id},
    )

    assert response.status_code == 400
    assert "segment" in response.json()
    assert counts() == before


def test_create_feature_segment__across_projects__400(admin_client, feature, environment, organisation):
    other_project = ProjectFactory(organisation=organisation)
    foreign_segment = SegmentFactory(project=other_project)
    foreign_environment = EnvironmentFactory(project=other_project)
    own_segment = SegmentFactory(project=feature.project)
    before = counts()

    wrong_segment = admin_client.post(
        FEATURE_SEGMENTS_URL, {"feature": feature.id, "segment": foreign_segment.id, "environment": environment.id}
    )
    wrong_environment = admin_client.post(
        FEATURE_SEGMENTS_URL,
        {"feature": feature.id, "segment": own_segment.id, "environment": foreign_environment.id},
    )

    assert wrong_segment.status_code == 400 and "segment" in wrong_segment.json()
    assert wrong_environment.status_code == 400 and "environment" in wrong_environment.json()
    assert counts() == before


def test_create_feature_segment__segment_specific_to_other_feature__400(admin_client, feature, mv_feature, environment):
    specific = SegmentFactory(project=feature.project, feature=mv_feature)

    response = admin_client.post(
        FEATURE_SEGMENTS_URL, {"feature": feature.id, "segment": specific.id, "environment": environment.id}
    )

    assert response.status_code == 400
    assert "segment" in response.json()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "environment"),
        ({"feature": "x", "segment": 1, "environment": "ENV"}, "feature"),
        ({"feature": 999999, "segment": "SEGMENT", "environment": "ENV"}, "feature"),
        ({"feature": "FEATURE", "segment": 999999, "environment": "ENV"}, "segment"),
        ({"feature": "FEATURE", "segment": "SEGMENT", "environment": "ENV", "priority": -1}, "priority"),
        ({"feature": "FEATURE", "segment": "SEGMENT", "environment": "ENV", "priority": "top"}, "priority"),
    ],
)
def test_create_feature_segment__bad_input__400_names_field(
    admin_client, feature, environment, segments, payload, field
):
    ids = {"FEATURE": feature.id, "SEGMENT": segments[0].id, "ENV": environment.id}
    payload = {key: ids.get(value, value) if isinstance(value, str) else value for key, value in payload.items()}
    before = counts()

    response = admin_client.post(FEATURE_SEGMENTS_URL, payload, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert counts() == before


def test_create_feature_segment__malformed_json__400(admin_client, feature):
    response = admin_client.post(FEATURE_SEGMENTS_URL, "{nope", content_type="application/json")

    assert response.status_code == 400
    assert "detail" in response.json()


def test_create_feature_segment__member__403_nothing_written(member_client, feature, environment, segments):
    before = counts()

    response = member_client.post(
        FEATURE_SEGMENTS_URL, {"feature": feature.id, "segment": segments[0].id, "environment": environment.id}
    )

    assert response.status_code == 403
    assert counts() == before


def test_list_feature_segments__member__ordered_by_priority(member_client, feature, environment, overrides):
    services.move_segment_override(overrides[2], 0, user=None)

    response = member_client.get(f"{FEATURE_SEGMENTS_URL}?environment={environment.id}&feature={feature.id}")

    assert response.status_code == 200
    results = response.json()["results"]
    assert [item["id"] for item in results] == [overrides[2].id, overrides[0].id, overrides[1].id]
    assert [item["priority"] for item in results] == [0, 1, 2]


def test_list_feature_segments__only_the_named_feature_and_environment(
    admin_client, feature, mv_feature, environment, overrides, segments, admin_user
):
    second_environment = EnvironmentFactory(project=feature.project)
    services.create_segment_override(feature=mv_feature, segment=segments[0], environment=environment, user=admin_user)
    services.create_segment_override(
        feature=feature, segment=segments[0], environment=second_environment, user=admin_user
    )

    response = admin_client.get(f"{FEATURE_SEGMENTS_URL}?environment={environment.id}&feature={feature.id}")

    assert [item["id"] for item in response.json()["results"]] == [item.id for item in overrides]


@pytest.mark.parametrize("query", ["", "?environment=ENV", "?feature=FEATURE", "?environment=x&feature=FEATURE"])
def test_list_feature_segments__missing_or_bad_params__400(admin_client, feature, environment, query):
    query = query.replace("ENV", str(environment.id)).replace("FEATURE", str(feature.id))

    response = admin_client.get(f"{FEATURE_SEGMENTS_URL}{query}")

    assert response.status_code == 400
    assert response.json()


def test_list_feature_segments__query_count__independent_of_override_count(
    admin_client, feature, environment, defaults_project, admin_user, django_assert_max_num_queries
):
    for _ in range(5):
        services.create_segment_override(
            feature=feature, segment=SegmentFactory(project=defaults_project), environment=environment, user=admin_user
        )

    with django_assert_max_num_queries(5):
        response = admin_client.get(f"{FEATURE_SEGMENTS_URL}?environment={environment.id}&feature={feature.id}")

    assert response.json()["count"] == 5


def test_feature_segments__outsider__404(outsider_client, feature, environment, overrides, segments):
    assert (
        outsider_client.get(f"{FEATURE_SEGMENTS_URL}?environment={environment.id}&feature={feature.id}").status_code
        == 404
    )
    assert outsider_client.get(feature_segment_url(overrides[0])).status_code == 404
    assert outsider_client.patch(feature_segment_url(overrides[0]), {"priority": 2}).status_code == 404
    assert outsider_client.delete(feature_segment_url(overrides[0])).status_code == 404
    assert (
        outsider_client.post(
            FEATURE_SEGMENTS_URL, {"feature": feature.id, "segment": segments[3].id, "environment": environment.id}
        ).status_code
        == 404
    )
    assert FeatureSegment.objects.count() == 3


def test_feature_segments__anonymous__401(anon_client, overrides):
    assert anon_client.get(feature_segment_url(overrides[0])).status_code == 401
    assert anon_client.post(PRIORITIES_URL, [], format="json").status_code == 401


def test_retrieve_feature_segment__member__200(member_client, overrides):
    response = member_client.get(feature_segment_url(overrides[1]))

    assert response.status_code == 200
    assert response.json()["priority"] == 1


@pytest.mark.parametrize("method", ["patch", "put"])
def test_update_feature_segment__priority__moves_and_keeps_dense(
    admin_client, feature, environment, overrides, segments, method
):
    response = getattr(admin_client, method)(feature_segment_url(overrides[2]), {"priority": 0})

    assert response.status_code == 200, response.json()
    assert response.json()["priority"] == 0
    assert group(feature, environment) == [(segments[2].id, 0), (segments[0].id, 1), (segments[1].id, 2)]


def test_update_feature_segment__priority_past_end__clamped(admin_client, feature, environment, overrides, segments):
    response = admin_client.patch(feature_segment_url(overrides[0]), {"priority": 99})

    assert response.json()["priority"] == 2
    assert group(feature, environment) == [(segments[1].id, 0), (segments[2].id, 1), (segments[0].id, 2)]


def test_update_feature_segment__put_without_priority__400(admin_client, overrides):
    response = admin_client.put(feature_segment_url(overrides[0]), {})

    assert response.status_code == 400
    assert "priority" in response.json()


def test_update_feature_segment__other_segment__400_unchanged(admin_client, overrides, segments):
    response = admin_client.patch(feature_segment_url(overrides[0]), {"segment": segments[3].id})

    assert response.status_code == 400
    assert "segment" in response.json()
    assert FeatureSegment.objects.get(pk=overrides[0].pk).segment_id == segments[0].id


def test_update_feature_segment__member__403(member_client, overrides):
    response = member_client.patch(feature_segment_url(overrides[2]), {"priority": 0})

    assert response.status_code == 403
    assert FeatureSegment.objects.get(pk=overrides[2].pk).priority == 2


def test_delete_feature_segment__admin__204_state_gone_gap_closed(
    admin_client, feature, environment, overrides, segments
):
    state_id = overrides[0].feature_state.id
    before = Environment.objects.get(pk=environment.pk).updated_at

    response = admin_client.delete(feature_segment_url(overrides[0]))

    assert response.status_code == 204
    assert not FeatureState.objects.filter(pk=state_id).exists()
    assert group(feature, environment) == [(segments[1].id, 0), (segments[2].id, 1)]
    assert Environment.objects.get(pk=environment.pk).updated_at > before


def test_delete_feature_segment__member__403(member_client, overrides):
    assert member_client.delete(feature_segment_url(overrides[0])).status_code == 403
    assert FeatureSegment.objects.count() == 3


# --- update-priorities/ ----------------------------------------------------------------------


def test_update_priorities__full_list__reordered_and_whole_group_returned(
    admin_client, feature, environment, overrides, segments
):
    beta, staff, vip = overrides

    response = admin_client.post(
        PRIORITIES_URL,
        [{"id": vip.id, "priority": 0}, {"id": beta.id, "priority": 1}, {"id": staff.id, "priority": 2}],
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert [(item["id"], item["priority"]) for item in response.json()] == [(vip.id, 0), (beta.id, 1), (staff.id, 2)]
    assert group(feature, environment) == [(segments[2].id, 0), (segments[0].id, 1), (segments[1].id, 2)]


def test_update_priorities__one_based_list__renumbered_from_zero(admin_client, feature, environment, overrides):
    beta, staff, vip = overrides

    response = admin_client.post(
        PRIORITIES_URL,
        [{"id": staff.id, "priority": 1}, {"id": vip.id, "priority": 2}, {"id": beta.id, "priority": 3}],
        format="json",
    )

    assert response.status_code == 200
    assert [(item["id"], item["priority"]) for item in response.json()] == [(staff.id, 0), (vip.id, 1), (beta.id, 2)]


def test_update_priorities__partial_list__moves_named_only(admin_client, feature, environment, overrides):
    beta, staff, vip = overrides

    response = admin_client.post(PRIORITIES_URL, [{"id": beta.id, "priority": 2}], format="json")

    assert response.status_code == 200
    assert [item["id"] for item in response.json()] == [staff.id, vip.id, beta.id]


@pytest.mark.parametrize(
    "payload",
    [
        {"id": 1, "priority": 0},
        [{"id": "BETA", "priority": -1}],
        [{"id": "BETA", "priority": "first"}],
        [{"id": "BETA", "priority": 0}, {"id": "BETA", "priority": 1}],
        [{"id": "BETA", "priority": 0}, {"id": "STAFF", "priority": 0}],
        [{"id": "BETA", "priority": 0}, {"id": 999999, "priority": 1}],
        [{"id": "BETA", "priority": 0}, {"id": "ELSEWHERE", "priority": 1}],
        [{"priority": 0}],
    ],
)
def test_update_priorities__bad_input__400_nothing_changes(
    admin_client, feature, mv_feature, environment, overrides, segments, admin_user, payload
):
    elsewhere = services.create_segment_override(
        feature=mv_feature, segment=segments[0], environment=environment, user=admin_user
    ).feature_segment
    ids = {"BETA": overrides[0].id, "STAFF": overrides[1].id, "ELSEWHERE": elsewhere.id}
    if isinstance(payload, list):
        payload = [{key: ids.get(value, value) for key, value in item.items()} for item in payload]
    before = group(feature, environment)

    response = admin_client.post(PRIORITIES_URL, payload, format="json")

    assert response.status_code == 400, response.json()
    assert response.json()
    assert group(feature, environment) == before


def test_update_priorities__empty_list__200_empty(admin_client, overrides):
    response = admin_client.post(PRIORITIES_URL, [], format="json")

    assert response.status_code == 200
    assert response.json() == []


def test_update_priorities__member__403_unchanged(member_client, feature, environment, overrides):
    before = group(feature, environment)

    response = member_client.post(PRIORITIES_URL, [{"id": overrides[2].id, "priority": 0}], format="json")

    assert response.status_code == 403
    assert group(feature, environment) == before


def test_update_priorities__outsider__404_unchanged(outsider_client, feature, environment, overrides):
    before = group(feature, environment)

    response = outsider_client.post(PRIORITIES_URL, [{"id": overrides[2].id, "priority": 0}], format="json")

    assert response.status_code == 404
    assert group(feature, environment) == before


# --- create-segment-override/ ------------------------------------------------------------------


def test_create_segment_override__flagsmith_body__201_with_typed_value_and_feature_segment(
    admin_client, feature, environment, segments, overrides
):
    response = admin_client.post(
        create_override_url(environment, feature),
        {
            "feature_segment": {"segment": segments[3].id},
            "enabled": False,
            "feature_state_value": {"type": "int", "integer_value": 7, "string_value": None, "boolean_value": None},
            "multivariate_feature_state_values": [],
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["feature"] == feature.id
    assert body["environment"] == environment.id
    assert body["identity"] is None
    assert body["enabled"] is False
    assert body["feature_state_value"] == {
        "type": "int",
        "string_value": None,
        "integer_value": 7,
        "boolean_value": None,
    }
    feature_segment = FeatureSegment.objects.get(pk=body["feature_segment"]["id"])
    assert body["feature_segment"]["segment"] == segments[3].id
    assert body["feature_segment"]["priority"] == 3
    assert feature_segment.feature_state.id == body["id"]


def test_create_segment_override__plain_value_segment_id_and_priority__201(
    admin_client, feature, environment, segments, overrides
):
    response = admin_client.post(
        create_override_url(environment, feature),
        {"segment_id": segments[3].id, "priority": 0, "enabled": True, "feature_state_value": "green"},
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["feature_segment"]["priority"] == 0
    assert group(feature, environment)[0] == (segments[3].id, 0)
    assert FeatureState.objects.get(pk=response.json()["id"]).feature_state_value.value == "green"


def test_create_segment_override__mv_shares__stored(admin_client, mv_feature, environment, segments):
    first, second = mv_feature.multivariate_options.all()

    response = admin_client.post(
        create_override_url(environment, mv_feature),
        {
            "feature_segment": {"segment": segments[0].id, "priority": None},
            "feature_state_value": "control",
            "multivariate_feature_state_values": [
                {"multivariate_feature_option": first.id, "percentage_allocation": 60},
                {"multivariate_feature_option": second.id, "percentage_allocation": 40},
            ],
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    shares = {
        item["multivariate_feature_option"]: item["percentage_allocation"]
        for item in response.json()["multivariate_feature_state_values"]
    }
    assert shares == {first.id: 60, second.id: 40}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"enabled": True}, "feature_segment"),
        ({"feature_segment": {"segment": 999999}}, "feature_segment"),
        ({"segment_id": 999999}, "segment_id"),
        ({"feature_segment": {"segment": "BETA"}}, "segment"),
        ({"feature_segment": {"segment": "EU"}, "enabled": "maybe"}, "enabled"),
        ({"feature_segment": {"segment": "EU"}, "feature_state_value": 2**31}, "feature_state_value"),
        ({"feature_segment": {"segment": "EU"}, "feature_state_value": "x" * 20_001}, "feature_state_value"),
        ({"feature_segment": {"segment": "EU"}, "feature_state_value": [1]}, "feature_state_value"),
        (
            {"feature_segment": {"segment": "EU"}, "feature_state_value": {"type": "float", "string_value": "1"}},
            "feature_state_value",
        ),
        (
            {"feature_segment": {"segment": "EU"}, "feature_state_value": {"type": "int", "integer_value": "7"}},
            "feature_state_value",
        ),
        (
            {"feature_segment": {"segment": "EU"}, "feature_state_value": {"type": "bool", "boolean_value": 1}},
            "feature_state_value",
        ),
        (
            {
                "feature_segment": {"segment": "EU"},
                "multivariate_feature_state_values": [{"multivariate_feature_option": 999999}],
            },
            "multivariate_feature_state_values",
        ),
    ],
)
def test_create_segment_override__bad_input__400_names_field_nothing_written(
    admin_client, feature, environment, segments, overrides, payload, field
):
    ids = {"BETA": segments[0].id, "EU": segments[3].id}
    if "feature_segment" in payload:
        segment = payload["feature_segment"]["segment"]
        payload["feature_segment"]["segment"] = ids.get(segment, segment)
    before = counts()

    response = admin_client.post(create_override_url(environment, feature), payload, format="json")

    assert response.status_code == 400, response.json()
    assert field in response.json()
    assert counts() == before


def test_create_segment_override__mv_over_100__400(admin_client, mv_feature, environment, segments):
    first, second = mv_feature.multivariate_options.all()
    before = counts()

    response = admin_client.post(
        create_override_url(environment, mv_feature),
        {
            "feature_segment": {"segment": segments[0].id},
            "multivariate_feature_state_values": [
                {"multivariate_feature_option": first.id, "percentage_allocation": 60},
                {"multivariate_feature_option": second.id, "percentage_allocation": 41},
            ],
        },
        format="json",
    )

    assert response.status_code == 400
    assert "multivariate_feature_state_values" in response.json()
    assert counts() == before


def test_create_segment_override__feature_of_other_project__404(admin_client, environment, organisation, segments):
    foreign = FeatureFactory(project=ProjectFactory(organisation=organisation))

    response = admin_client.post(
        create_override_url(environment, foreign), {"feature_segment": {"segment": segments[0].id}}, format="json"
    )

    assert response.status_code == 404


def test_create_segment_override__member__403_outsider__404(
    member_client, outsider_client, feature, environment, segments
):
    body = {"feature_segment": {"segment": segments[0].id}}

    assert member_client.post(create_override_url(environment, feature), body, format="json").status_code == 403
    assert outsider_client.post(create_override_url(environment, feature), body, format="json").status_code == 404
    assert FeatureSegment.objects.count() == 0


# --- override states through environments/{key}/featurestates/ ------------------------------------


def test_list_feature_states__defaults_only_unless_feature_segment_given(admin_client, feature, environment, overrides):
    defaults = admin_client.get(states_url(environment)).json()
    override = admin_client.get(f"{states_url(environment)}?feature_segment={overrides[1].id}").json()

    assert [item["feature_segment"] for item in defaults["results"]] == [None]
    assert [(item["id"], item["feature_segment"]) for item in override["results"]] == [
        (overrides[1].feature_state.id, overrides[1].id)
    ]


def test_update_override_state__value_and_shares__200_and_environment_marked(
    admin_client, mv_feature, environment, segments, admin_user
):
    state = services.create_segment_override(
        feature=mv_feature, segment=segments[0], environment=environment, user=admin_user
    )
    first, _second = mv_feature.multivariate_options.all()
    before = Environment.objects.get(pk=environment.pk).updated_at

    response = admin_client.patch(
        states_url(environment, state),
        {
            "enabled": True,
            "feature_state_value": 12,
            "multivariate_feature_state_values": [
                {"multivariate_feature_option": first.id, "percentage_allocation": 90}
            ],
        },
        format="json",
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["enabled"], body["feature_state_value"], body["feature_segment"]) == (
        True,
        12,
        state.feature_segment_id,
    )
    assert [item["percentage_allocation"] for item in body["multivariate_feature_state_values"]] == [90]
    assert admin_client.get(states_url(environment, state)).json()["feature_state_value"] == 12
    assert Environment.objects.get(pk=environment.pk).updated_at > before
    default = FeatureState.objects.get(feature=mv_feature, environment=environment, feature_segment__isnull=True)
    assert default.feature_state_value.value == "control"


def test_update_override_state__shares_over_100__400_unchanged(
    admin_client, mv_feature, environment, segments, admin_user
):
    state = services.create_segment_override(
        feature=mv_feature, segment=segments[0], environment=environment, user=admin_user
    )
    first, second = mv_feature.multivariate_options.all()

    response = admin_client.patch(
        states_url(environment, state),
        {
            "multivariate_feature_state_values": [
                {"multivariate_feature_option": first.id, "percentage_allocation": 70},
                {"multivariate_feature_option": second.id, "percentage_allocation": 31},
            ]
        },
        format="json",
    )

    assert response.status_code == 400
    assert "multivariate_feature_state_values" in response.json()
    assert sorted(state.multivariate_feature_state_values.values_list("percentage_allocation", flat=True)) == [20, 30]


# --- services --------------------------------------------------------------------------------


def test_reorder_segment_overrides__priorities_stay_dense_after_every_write(
    feature, environment, segments, overrides, admin_user
):
    services.delete_segment_override(overrides[1], admin_user)
    services.create_segment_override(
        feature=feature, segment=segments[3], environment=environment, priority=0, user=admin_user
    )
    services.move_segment_override(FeatureSegment.objects.get(pk=overrides[0].pk), 5, admin_user)

    assert [priority for _, priority in group(feature, environment)] == [0, 1, 2]
    assert [segment for segment, _ in group(feature, environment)] == [segments[3].id, segments[2].id, segments[0].id]
