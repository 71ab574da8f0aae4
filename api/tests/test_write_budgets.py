"""Write-path query budgets: one version bump per change, and no query per environment, feature or segment.

The exact budgets of the two writes that used to bump versions many times (a
feature-state PATCH, deleting a feature used in many environments), then every write
endpoint of the permission matrix run twice, on a small project and on one with more
environments, features and segments: the query count must not change.
"""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from environments.tests.factories import EnvironmentFactory
from features import services
from features.models import FeatureState
from segments.tests.factories import SegmentFactory
from tests import test_permission_matrix as matrix
from tests.test_permission_matrix import ROWS, _fill

pytestmark = pytest.mark.django_db

# The matrix's data: every object a write endpoint names.
victim = matrix.victim

VERSION_UPDATE = 'UPDATE "environments_environment" SET "updated_at"'


def _version_updates(context: CaptureQueriesContext) -> int:
    return sum(query["sql"].startswith(VERSION_UPDATE) for query in context.captured_queries)


def test_feature_state_patch__one_version_update_and_one_publish(
    admin_client, project, environment, admin_user, django_capture_on_commit_callbacks
):
    feature = services.create_feature(project, {"name": "checkout"}, admin_user)
    state = FeatureState.objects.get(feature=feature, environment=environment, identity=None)
    url = f"/api/v1/environments/{environment.api_key}/featurestates/{state.pk}/"

    with django_capture_on_commit_callbacks() as callbacks, CaptureQueriesContext(connection) as context:
        response = admin_client.patch(url, {"enabled": True, "feature_state_value": "blue"}, format="json")

    assert response.status_code == 200, response.content
    assert _version_updates(context) == 1
    assert len(callbacks) == 1


@pytest.mark.parametrize("environments", [3, 30])
def test_delete_feature__many_environments__one_version_update(
    project, admin_user, environments, django_capture_on_commit_callbacks
):
    for number in range(environments):
        EnvironmentFactory(project=project, name=f"stage {number}")
    feature = services.create_feature(project, {"name": "checkout"}, admin_user)

    with django_capture_on_commit_callbacks() as callbacks, CaptureQueriesContext(connection) as context:
        services.delete_feature(feature, admin_user)

    assert _version_updates(context) == 1
    assert len(callbacks) == 1
    # Deleting 3 or 30 environments' states costs the same queries (group owners: read for
    # the audit entry, their links deleted with the feature; its feature versions, none
    # here, looked for by the cascade).
    assert len(context.captured_queries) == 24


def _grow(project, admin_user, size: int) -> None:
    """More of everything an endpoint might loop over: environments, features (with states), segments."""
    for number in range(size):
        EnvironmentFactory(project=project, name=f"more {number}")
    for number in range(size):
        services.create_feature(project, {"name": f"more_{number}"}, admin_user)
        SegmentFactory(project=project, name=f"more {number}")


def _queries(client: APIClient, row, victim_ids) -> int:
    path, body = _fill(row.path, victim_ids), _fill(row.body, victim_ids)
    with transaction.atomic(), CaptureQueriesContext(connection) as context:
        response = getattr(client, row.method)(path, body, format="json")
        transaction.set_rollback(True)
    assert response.status_code < 400, (row.id, response.status_code, response.content[:300])
    return len(context.captured_queries)


WRITES = [row for row in ROWS if row.method != "get" and row.success < 400]


@pytest.mark.parametrize("row", WRITES, ids=[row.id for row in WRITES])
def test_write_endpoint__more_environments_features_segments__same_queries(row, victim, project, admin_user):
    client = APIClient()
    client.force_authenticate(admin_user)
    _queries(client, row, victim)  # warm per-process lookups
    small = _queries(client, row, victim)
    _grow(project, admin_user, 4)
    large = _queries(client, row, victim)
    assert large == small, f"{row.id}: {small} queries with a small project, {large} with a larger one"
