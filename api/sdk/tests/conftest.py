"""An environment with every kind of flag an SDK can meet, built through the services."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from documents.store import clear_compiled_environments
from environments.models import Environment, EnvironmentAPIKey
from features import services as feature_services
from features.models import Feature, FeatureSegment, FeatureState, FeatureStateValue, FeatureValueType
from identities.models import Identity
from projects.models import Project
from segments import services as segment_services
from segments.models import Segment
from users.models import User


@pytest.fixture(autouse=True)
def _fresh_compiled_environments():
    clear_compiled_environments()
    yield
    clear_compiled_environments()


@pytest.fixture
def sdk_project(project: Project) -> Project:
    # New projects apply flag defaults (Flagsmith's default), so initial values are served.
    assert project.prevent_flag_defaults is False
    return project


@pytest.fixture
def checkout(sdk_project: Project, environment: Environment, admin_user: User) -> Feature:
    return feature_services.create_feature(
        sdk_project, {"name": "checkout", "initial_value": "blue", "default_enabled": True}, admin_user
    )


@pytest.fixture
def banner(sdk_project: Project, environment: Environment, admin_user: User) -> Feature:
    return feature_services.create_feature(
        sdk_project,
        {
            "name": "banner",
            "initial_value": "control",
            "default_enabled": True,
            "multivariate_options": [
                {"type": "unicode", "string_value": "a", "default_percentage_allocation": 30, "key": "variant_a"},
                {"type": "unicode", "string_value": "b", "default_percentage_allocation": 20},
            ],
        },
        admin_user,
    )


@pytest.fixture
def secret_feature(sdk_project: Project, environment: Environment, admin_user: User) -> Feature:
    return feature_services.create_feature(
        sdk_project, {"name": "secret", "default_enabled": True, "is_server_key_only": True}, admin_user
    )


@pytest.fixture
def disabled_feature(sdk_project: Project, environment: Environment, admin_user: User) -> Feature:
    return feature_services.create_feature(sdk_project, {"name": "dormant", "initial_value": "7"}, admin_user)


@pytest.fixture
def pro_segment(sdk_project: Project, admin_user: User) -> Segment:
    rules = [
        {
            "type": "ALL",
            "rules": [{"type": "ANY", "conditions": [{"operator": "EQUAL", "property": "plan", "value": "pro"}]}],
        }
    ]
    return segment_services.create_segment(sdk_project, {"name": "pro users", "rules": rules}, admin_user)


def add_override(
    feature: Feature,
    environment: Environment,
    *,
    segment: Segment | None = None,
    identity: Identity | None = None,
    enabled: bool = True,
    value: str = "override",
    priority: int = 0,
) -> FeatureState:
    """A segment or identity override written straight to the tables (the admin API has its own tests)."""
    feature_segment = (
        FeatureSegment.objects.create(feature=feature, segment=segment, environment=environment, priority=priority)
        if segment
        else None
    )
    state = FeatureState.objects.create(
        feature=feature, environment=environment, feature_segment=feature_segment, identity=identity, enabled=enabled
    )
    FeatureStateValue.objects.create(feature_state=state, type=FeatureValueType.STRING, string_value=value)
    Environment.objects.filter(pk=environment.pk).update(updated_at=state.updated_at)
    return state


@pytest.fixture
def flags_environment(environment, checkout, banner, secret_feature, disabled_feature, pro_segment) -> Environment:
    add_override(checkout, environment, segment=pro_segment, value="gold")
    environment.refresh_from_db()
    return environment


def sdk_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_X_ENVIRONMENT_KEY=key)
    return client


@pytest.fixture
def client_key_client(flags_environment: Environment) -> APIClient:
    return sdk_client(flags_environment.api_key)


@pytest.fixture
def server_key_client(flags_environment: Environment, server_key: EnvironmentAPIKey) -> APIClient:
    return sdk_client(server_key.plain_key)
