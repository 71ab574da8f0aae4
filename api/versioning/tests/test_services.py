"""Versions as the services write them: one transaction each, concurrent publishes in a queue."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import close_old_connections, connection, transaction
from rest_framework.test import APIClient

from environments.models import Environment
from features import services as feature_services
from features.models import Feature, FeatureState
from projects.models import Project
from users.models import User
from versioning import services
from versioning.models import EnvironmentFeatureVersion


@pytest.fixture
def feature(project: Project, environment: Environment, admin_user: User) -> Feature:
    return feature_services.create_feature(
        project, {"name": "checkout", "initial_value": "blue", "default_enabled": True}, admin_user
    )


@pytest.fixture
def versioned(environment: Environment, feature: Feature, admin_user: User) -> Environment:
    return services.enable_v2_versioning(environment, admin_user)


def _draft(environment: Environment, feature: Feature, user: User, value: str) -> EnvironmentFeatureVersion:
    states = services.base_states(environment, feature)
    states[0].value = value
    return services.create_version(environment, feature, user, states=states)


def _served(environment: Environment) -> str:
    response = APIClient().get("/api/v1/flags/", HTTP_X_ENVIRONMENT_KEY=environment.api_key)
    return next(item["feature_state_value"] for item in response.json() if item["feature"]["name"] == "checkout")


@pytest.mark.django_db
def test_publish__failing_half_way__leaves_the_previous_version_live(
    versioned: Environment, feature: Feature, admin_user: User, monkeypatch
):
    draft = _draft(versioned, feature, admin_user, "red")
    real_apply = services._apply

    def apply_then_fail(version, now):
        real_apply(version, now)  # the live rows are written...
        raise RuntimeError("the database went away")  # ...and then the transaction fails

    monkeypatch.setattr(services, "_apply", apply_then_fail)
    with pytest.raises(RuntimeError):
        services.publish(draft, admin_user)

    draft.refresh_from_db()
    assert draft.published_at is None and draft.applied_at is None
    row = FeatureState.objects.get(environment=versioned, feature=feature, feature_segment=None, identity=None)
    assert row.feature_state_value.value == "blue"
    assert _served(versioned) == "blue"


@pytest.mark.django_db
def test_apply_due__nothing_due__one_query(versioned: Environment, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert services.apply_due() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_publishes__the_second_waits_for_the_first_lock(
    versioned: Environment, feature: Feature, admin_user: User
):
    """A publish holds the feature's row lock until it commits: another publish of the feature queues."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises every write transaction anyway")
    first, second = _draft(versioned, feature, admin_user, "first"), _draft(versioned, feature, admin_user, "second")
    locked, release, finished = threading.Event(), threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def hold_the_first_publish() -> None:
        try:
            with transaction.atomic():
                services.publish(first, admin_user)
                locked.set()
                release.wait(5)
        except BaseException as error:
            errors.append(error)
        finally:
            close_old_connections()
            connection.close()

    def second_publish() -> None:
        try:
            locked.wait(5)
            services.publish(second, admin_user)
            finished.set()
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=hold_the_first_publish), threading.Thread(target=second_publish)]
    for thread in threads:
        thread.start()
    assert locked.wait(5)
    time.sleep(0.5)
    assert not finished.is_set(), "the second publish did not wait for the first one's lock"
    release.set()
    for thread in threads:
        thread.join(10)
    assert not errors, errors
    assert finished.is_set()
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.live_from < second.live_from
    row = FeatureState.objects.get(environment=versioned, feature=feature, feature_segment=None, identity=None)
    assert row.feature_state_value.value == "second"
    assert services.live_version(versioned.pk, feature.pk).pk == second.pk
