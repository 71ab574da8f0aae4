"""Flag analytics: the buffer keeps the SDK path free of queries, the admin API reads days,
and flushes are written to InfluxDB 2's write API (a stand-in on 127.0.0.1)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from analytics import services
from analytics.models import FeatureEvaluationBucket
from analytics.services import EvaluationCount, record_evaluations
from features.services import create_feature
from tests.receivers import HTTPReceiver, Reply

pytestmark = pytest.mark.django_db


@pytest.fixture
def buffered(settings):
    settings.FEATURE_EVALUATION_CACHE_SECONDS = 3600  # the flusher thread never fires during a test
    services.flush()
    yield
    services._buffer.clear()


def test_record_evaluations__buffered__no_query_on_the_sdk_path(buffered, environment, django_assert_num_queries):
    now = datetime.now(tz=UTC)
    with django_assert_num_queries(0):
        record_evaluations(environment.id, [EvaluationCount("checkout", 3), EvaluationCount("banner", 1)], now)
        record_evaluations(environment.id, [EvaluationCount("checkout", 2)], now)
    assert not FeatureEvaluationBucket.objects.exists()


def test_flush__summed_per_feature_and_hour__one_row_each(buffered, environment):
    now = datetime.now(tz=UTC)
    record_evaluations(environment.id, [EvaluationCount("checkout", 3), EvaluationCount("banner", 1)], now)
    record_evaluations(environment.id, [EvaluationCount("checkout", 2)], now)
    record_evaluations(environment.id, [EvaluationCount("checkout", 7)], now - timedelta(days=1))

    assert services.flush() == 3
    rows = {(row.feature_name, row.bucket_start.date()): row.count for row in FeatureEvaluationBucket.objects.all()}
    assert rows == {
        ("checkout", now.date()): 5,
        ("banner", now.date()): 1,
        ("checkout", (now - timedelta(days=1)).date()): 7,
    }
    assert services.flush() == 0


def test_flush__added_to_existing_bucket(buffered, environment):
    now = datetime.now(tz=UTC)
    record_evaluations(environment.id, [EvaluationCount("checkout", 3)], now)
    services.flush()
    record_evaluations(environment.id, [EvaluationCount("checkout", 4)], now)
    services.flush()
    assert FeatureEvaluationBucket.objects.get().count == 7


def test_sdk_endpoint__buffered__counts_readable_after_flush(buffered, environment, admin_client, admin_user, project):
    from environments.tests.factories import EnvironmentFactory  # noqa: F401 (keeps factories registered)

    feature = create_feature(project, {"name": "checkout"}, admin_user)
    sdk = admin_client.__class__()
    response = sdk.post(
        "/api/v1/analytics/flags/", {"checkout": 4}, format="json", HTTP_X_ENVIRONMENT_KEY=environment.api_key
    )
    assert response.status_code == 200
    assert not FeatureEvaluationBucket.objects.exists()

    services.flush()

    response = admin_client.get(
        f"/api/v1/projects/{project.id}/features/{feature.id}/evaluation-data/?environment_id={environment.id}&period=7"
    )
    assert response.status_code == 200
    days = response.json()
    assert len(days) == 7
    assert days[-1] == {"day": datetime.now(tz=UTC).date().isoformat(), "count": 4}
    assert all(day["count"] == 0 for day in days[:-1])


def test_evaluation_data__per_day_and_environment(admin_client, admin_user, project, environment):
    from environments.tests.factories import EnvironmentFactory

    feature = create_feature(project, {"name": "checkout"}, admin_user)
    staging = EnvironmentFactory(project=project, name="Staging")
    today = datetime.now(tz=UTC).replace(hour=10)
    record_evaluations(environment.id, [EvaluationCount("checkout", 5)], today)
    record_evaluations(environment.id, [EvaluationCount("checkout", 1)], today.replace(hour=11))
    record_evaluations(environment.id, [EvaluationCount("checkout", 2, "user-1", True)], today - timedelta(days=2))
    record_evaluations(staging.id, [EvaluationCount("checkout", 100)], today)

    response = admin_client.get(
        f"/api/v1/projects/{project.id}/features/{feature.id}/evaluation-data/?environment_id={environment.id}&period=3"
    )

    assert response.status_code == 200
    assert [day["count"] for day in response.json()] == [2, 0, 6]


def test_evaluation_data__bad_query__400_naming_field(admin_client, admin_user, project):
    feature = create_feature(project, {"name": "checkout"}, admin_user)
    url = f"/api/v1/projects/{project.id}/features/{feature.id}/evaluation-data/"
    assert "environment_id" in admin_client.get(url).json()
    response = admin_client.get(f"{url}?environment_id=1&period=9999")
    assert response.status_code == 400
    assert "period" in response.json()


def test_evaluation_data__outsider__404_other_project_environment__404(
    outsider_client, admin_client, admin_user, project, environment, other_environment, anon_client
):
    feature = create_feature(project, {"name": "checkout"}, admin_user)
    url = f"/api/v1/projects/{project.id}/features/{feature.id}/evaluation-data/"
    assert outsider_client.get(f"{url}?environment_id={environment.id}").status_code == 404
    assert admin_client.get(f"{url}?environment_id={other_environment.id}").status_code == 404
    assert anon_client.get(f"{url}?environment_id={environment.id}").status_code == 401


def test_influxdb__configured__flush_written_with_token_org_bucket(buffered, settings, environment):
    with HTTPReceiver(default=Reply(204)) as influx:
        settings.INFLUXDB_ENABLED = True
        settings.INFLUXDB_URL = influx.url
        settings.INFLUXDB_TOKEN = "influx-token"
        settings.INFLUXDB_ORG = "acme"
        settings.INFLUXDB_BUCKET = "flags"
        hour = datetime(2026, 1, 2, 3, tzinfo=UTC)
        record_evaluations(environment.id, [EvaluationCount("check out", 2, "u1", True)], hour)
        record_evaluations(environment.id, [EvaluationCount("check out", 3)], hour)
        services.flush()

    (request,) = influx.requests
    url = urlsplit(request.path)
    assert url.path == "/api/v2/write"
    assert parse_qs(url.query) == {"org": ["acme"], "bucket": ["flags"], "precision": ["s"]}
    assert request.headers["authorization"] == "Token influx-token"
    assert request.body.decode() == (
        f"feature_evaluation,environment_id={environment.id},feature_id=check\\ out request_count=5i "
        f"{int(hour.timestamp())}"
    )
    assert FeatureEvaluationBucket.objects.count() == 2  # the database keeps its own copy


def test_influxdb__down__counts_still_stored(settings, environment):
    with HTTPReceiver() as gone:
        url = gone.url
    settings.INFLUXDB_ENABLED = True
    settings.INFLUXDB_URL = url
    settings.INFLUXDB_TOKEN = settings.INFLUXDB_ORG = "x"
    record_evaluations(environment.id, [EvaluationCount("checkout", 1)], datetime.now(tz=UTC))
    assert FeatureEvaluationBucket.objects.get().count == 1


def test_influx_lines__escapes_tag_values() -> None:
    key = (1, "a,b=c d", "", None, datetime(2026, 1, 1, tzinfo=UTC))
    assert services.influx_lines(Counter({key: 1})).startswith(
        "feature_evaluation,environment_id=1,feature_id=a\\,b\\=c\\ d "
    )
