from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from environments.tests.factories import EnvironmentFactory
from features import services
from features.models import FeatureState, FeatureValueType, MultivariateFeatureStateValue

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("raw", "expected_type", "expected_value"),
    [
        ("42", FeatureValueType.INTEGER, 42),
        ("-7", FeatureValueType.INTEGER, -7),
        ("2147483648", FeatureValueType.STRING, "2147483648"),
        ("true", FeatureValueType.BOOLEAN, True),
        ("False", FeatureValueType.BOOLEAN, False),
        ("4.2", FeatureValueType.STRING, "4.2"),
        ("blue", FeatureValueType.STRING, "blue"),
        (None, FeatureValueType.STRING, None),
    ],
)
def test_infer_typed_value__string__typed_as_flagsmith_does(raw, expected_type, expected_value):
    fields = services.infer_typed_value(raw)

    column = {"int": "integer_value", "bool": "boolean_value"}.get(expected_type, "string_value")
    assert fields["type"] == expected_type
    assert fields[column] == expected_value


def test_create_feature__environments_exist__one_state_each_with_initial_value(defaults_project, admin_user):
    environments = EnvironmentFactory.create_batch(2, project=defaults_project)

    feature = services.create_feature(
        defaults_project, {"name": "limit", "initial_value": "10", "default_enabled": True}, admin_user
    )

    states = FeatureState.objects.filter(feature=feature).select_related("feature_state_value")
    assert {state.environment_id for state in states} == {environment.id for environment in environments}
    for state in states:
        assert state.enabled is True
        assert state.feature_state_value.type == FeatureValueType.INTEGER
        assert state.feature_state_value.value == 10


def test_create_feature__prevent_flag_defaults__states_disabled_without_value(project, environment, admin_user):
    project.prevent_flag_defaults = True
    project.save(update_fields=["prevent_flag_defaults"])

    feature = services.create_feature(
        project, {"name": "limit", "initial_value": "10", "default_enabled": True}, admin_user
    )

    state = FeatureState.objects.get(feature=feature, environment=environment)
    assert state.enabled is False
    assert state.feature_state_value.value is None


def test_create_feature__variants__shares_from_default_allocations(mv_feature, environment):
    state = FeatureState.objects.get(feature=mv_feature, environment=environment)

    shares = sorted(state.multivariate_feature_state_values.values_list("percentage_allocation", flat=True))
    assert shares == [20, 30]
    assert mv_feature.type == "MULTIVARIATE"


def test_create_feature_states_for_environment__new_environment__gets_every_feature(mv_feature, feature):
    environment = EnvironmentFactory(project=mv_feature.project)

    services.create_feature_states_for_environment(environment)

    states = FeatureState.objects.filter(environment=environment)
    assert {state.feature_id for state in states} == {mv_feature.id, feature.id}
    assert states.get(feature=feature).feature_state_value.value == "blue"
    assert MultivariateFeatureStateValue.objects.filter(feature_state__environment=environment).count() == 2


def test_create_feature_states_for_environment__called_twice__no_duplicates(feature):
    environment = EnvironmentFactory(project=feature.project)

    services.create_feature_states_for_environment(environment)
    services.create_feature_states_for_environment(environment)

    assert FeatureState.objects.filter(environment=environment).count() == 1


def test_create_multivariate_option__over_100_percent__refused_nothing_written(mv_feature, admin_user):
    with pytest.raises(ValidationError):
        services.create_multivariate_option(
            mv_feature, {"type": "unicode", "string_value": "c", "default_percentage_allocation": 51}, admin_user
        )

    assert mv_feature.multivariate_options.count() == 2


def test_create_feature__project_at_limit__refused(defaults_project, admin_user):
    defaults_project.max_features_allowed = 1
    defaults_project.save()
    services.create_feature(defaults_project, {"name": "one"}, admin_user)

    with pytest.raises(ValidationError):
        services.create_feature(defaults_project, {"name": "two"}, admin_user)


def test_update_feature_state__any_change__bumps_environment_updated_at(feature, environment, admin_user):
    state = FeatureState.objects.get(feature=feature, environment=environment)
    environment.refresh_from_db()
    before = environment.updated_at

    services.update_feature_state(state, {"enabled": False}, admin_user)

    environment.refresh_from_db()
    assert environment.updated_at > before
