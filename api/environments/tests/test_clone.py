"""Cloning an environment: same flags and segment overrides under a new client key."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from environments import services
from environments.models import Environment, EnvironmentAPIKey
from environments.services import clone_environment, create_server_key
from features import services as feature_services
from features.models import (
    FeatureSegment,
    FeatureState,
    FeatureStateValue,
    MultivariateFeatureOption,
    MultivariateFeatureStateValue,
)
from identities.models import Identity
from segments.tests.factories import SegmentFactory

pytestmark = pytest.mark.django_db


def clone_url(environment):
    return f"/api/v1/environments/{environment.api_key}/clone/"


@pytest.fixture
def populated(project, environment, admin_user):
    """An environment with settings, typed defaults, variant shares, segment overrides,
    an identity override and a server key.
    """
    Environment.objects.filter(pk=environment.pk).update(
        description="Live",
        allow_client_traits=False,
        hide_sensitive_data=True,
        hide_disabled_flags=True,
        use_identity_composite_key_for_hashing=False,
        use_identity_overrides_in_local_eval=False,
        use_mv_v2_evaluation=False,
        minimum_change_request_approvals=2,
        banner_text="Careful: production",
        banner_colour="#ff0000",
    )
    environment.refresh_from_db()
    number = feature_services.create_feature(project, {"name": "limit", "initial_value": "42"}, admin_user)
    switch = feature_services.create_feature(project, {"name": "switch", "default_enabled": True}, admin_user)
    banner = feature_services.create_feature(
        project,
        {
            "name": "banner",
            "initial_value": "control",
            "multivariate_options": [
                {"type": "unicode", "string_value": "a", "default_percentage_allocation": 30},
                {"type": "unicode", "string_value": "b", "default_percentage_allocation": 20},
            ],
        },
        admin_user,
    )
    banner_default = FeatureState.objects.get(feature=banner, environment=environment, feature_segment=None)
    MultivariateFeatureStateValue.objects.filter(feature_state=banner_default).update(percentage_allocation=45)

    beta, staff = SegmentFactory(project=project), SegmentFactory(project=project)
    for priority, (feature, segment, enabled, value) in enumerate(
        [(number, beta, True, 7), (number, staff, False, "seven"), (banner, beta, True, True)]
    ):
        feature_segment = FeatureSegment.objects.create(
            feature=feature, segment=segment, environment=environment, priority=priority
        )
        state = FeatureState.objects.create(
            feature=feature, environment=environment, feature_segment=feature_segment, enabled=enabled
        )
        FeatureStateValue.objects.create(feature_state=state, **feature_services.json_typed_value(value))
        if feature == banner:
            option = MultivariateFeatureOption.objects.filter(feature=banner).first()
            MultivariateFeatureStateValue.objects.create(
                feature_state=state, multivariate_feature_option=option, percentage_allocation=80
            )

    identity = Identity.objects.create(environment=environment, identifier="alice")
    override = FeatureState.objects.create(feature=switch, environment=environment, identity=identity, enabled=False)
    FeatureStateValue.objects.create(feature_state=override, **feature_services.json_typed_value("mine"))
    create_server_key(environment=environment, name="backend")
    return environment


def served(environment):
    """What an environment serves, without its own ids: defaults and overrides by feature and segment."""
    states = (
        FeatureState.objects.filter(environment=environment, identity=None)
        .select_related("feature_state_value", "feature_segment")
        .prefetch_related("multivariate_feature_state_values")
    )
    return sorted(
        (
            state.feature_id,
            # -1 for environment defaults, so the rows sort.
            state.feature_segment.segment_id if state.feature_segment else -1,
            state.feature_segment.priority if state.feature_segment else -1,
            state.enabled,
            state.feature_state_value.type,
            state.feature_state_value.value,
            sorted(
                (share.multivariate_feature_option_id, share.percentage_allocation)
                for share in state.multivariate_feature_state_values.all()
            ),
        )
        for state in states
    )


def row_counts():
    return (
        Environment.objects.count(),
        FeatureSegment.objects.count(),
        FeatureState.objects.count(),
        FeatureStateValue.objects.count(),
        MultivariateFeatureStateValue.objects.count(),
        Identity.objects.count(),
        EnvironmentAPIKey.objects.count(),
    )


def test_clone__admin__201_with_new_key_and_same_settings(admin_client, populated):
    response = admin_client.post(clone_url(populated), {"name": "Staging"})

    assert response.status_code == 201, response.json()
    body = response.json()
    clone = Environment.objects.get(pk=body["id"])
    assert body["name"] == clone.name == "Staging"
    assert body["api_key"] == clone.api_key != populated.api_key
    assert clone.uuid != populated.uuid
    assert clone.project_id == populated.project_id
    for field in services.CLONED_ENVIRONMENT_FIELDS:
        assert getattr(clone, field) == getattr(populated, field), field
    assert body["banner_text"] == "Careful: production"


def test_clone__serves_the_same_defaults_values_shares_and_override_priorities(admin_client, populated):
    response = admin_client.post(clone_url(populated), {"name": "Staging"})

    clone = Environment.objects.get(pk=response.json()["id"])
    assert served(clone) == served(populated)
    assert len(served(clone)) == 6  # three defaults, three segment overrides
    assert list(FeatureSegment.objects.filter(environment=clone).values_list("priority", flat=True)) == [0, 1, 2]


def test_clone__source_is_left_alone(admin_client, populated):
    before = served(populated)

    admin_client.post(clone_url(populated), {"name": "Staging"})

    assert served(populated) == before
    assert FeatureSegment.objects.filter(environment=populated).count() == 3


def test_clone__identities_their_overrides_and_server_keys__not_copied(admin_client, populated):
    response = admin_client.post(clone_url(populated), {"name": "Staging"})

    clone = Environment.objects.get(pk=response.json()["id"])
    assert not Identity.objects.filter(environment=clone).exists()
    assert not FeatureState.objects.filter(environment=clone, identity__isnull=False).exists()
    assert not EnvironmentAPIKey.objects.filter(environment=clone).exists()


def test_clone__empty_environment__201_with_nothing_to_copy(admin_client, environment):
    response = admin_client.post(clone_url(environment), {"name": "Empty copy"})

    assert response.status_code == 201
    assert not FeatureState.objects.filter(environment_id=response.json()["id"]).exists()


def test_clone__then_new_feature__reaches_the_clone_too(admin_client, populated, admin_user):
    response = admin_client.post(clone_url(populated), {"name": "Staging"})

    feature = feature_services.create_feature(populated.project, {"name": "later"}, admin_user)

    assert FeatureState.objects.filter(feature=feature, environment_id=response.json()["id"]).exists()


@pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": "   "}, {"name": None}, {"name": "x" * 2001}, ["x"]])
def test_clone__bad_name__400_naming_it_and_nothing_written(admin_client, populated, body):
    before = row_counts()

    response = admin_client.post(clone_url(populated), body, format="json")

    assert response.status_code == 400
    assert response.json()
    assert row_counts() == before


def test_clone__member__403_and_nothing_written(member_client, populated):
    before = row_counts()

    response = member_client.post(clone_url(populated), {"name": "Mine"})

    assert response.status_code == 403
    assert row_counts() == before


def test_clone__outsider__404_and_nothing_written(outsider_client, populated):
    before = row_counts()

    response = outsider_client.post(clone_url(populated), {"name": "Stolen"})

    assert response.status_code == 404
    assert row_counts() == before


def test_clone__anonymous__401(anon_client, populated):
    response = anon_client.post(clone_url(populated), {"name": "Stolen"})

    assert response.status_code == 401


def test_clone_environment__failure_mid_way__writes_nothing(populated, monkeypatch):
    before = row_counts()

    def fail(*args, **kwargs):
        raise RuntimeError("database went away")

    # The last copy step: the environment, overrides, states and values are written by then.
    monkeypatch.setattr(MultivariateFeatureStateValue.objects, "bulk_create", fail)

    with pytest.raises(RuntimeError):
        clone_environment(populated, "Staging")

    assert row_counts() == before


def test_clone_environment__query_count_does_not_grow_with_features(populated, admin_user):
    def queries_to_clone():
        with CaptureQueriesContext(connection) as captured:
            clone_environment(populated, "Staging")
        return len(captured.captured_queries)

    few = queries_to_clone()
    for number in range(5):
        feature = feature_services.create_feature(
            populated.project,
            {"name": f"more_{number}", "multivariate_options": [{"type": "unicode", "string_value": "v"}]},
            admin_user,
        )
        feature_segment = FeatureSegment.objects.create(
            feature=feature, segment=SegmentFactory(project=populated.project), environment=populated
        )
        FeatureState.objects.create(feature=feature, environment=populated, feature_segment=feature_segment)

    assert queries_to_clone() == few


def test_clone_fields__every_environment_field_is_cloned_or_deliberately_not():
    fields = {field.name for field in Environment._meta.concrete_fields}

    assert fields == set(services.CLONED_ENVIRONMENT_FIELDS) | set(services.NOT_CLONED_ENVIRONMENT_FIELDS)
