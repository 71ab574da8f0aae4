"""What a public client key can send is bounded: analytics counts, traits, new identities."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import UTC, datetime

import pytest

from analytics import services as analytics_services
from analytics.models import FeatureEvaluationBucket
from environments.models import Environment
from environments.tests.factories import EnvironmentFactory
from identities.models import Identity, Trait
from sdk.tests.conftest import sdk_client

pytestmark = pytest.mark.django_db

HUGE = 10**30


def traits(count: int, prefix: str = "t") -> list[dict]:
    return [{"trait_key": f"{prefix}{index}", "trait_value": index} for index in range(count)]


# --- Analytics ----------------------------------------------------------------------------------


def test_analytics_v1__count_beyond_64_bits__200_stored_capped(client_key_client, flags_environment) -> None:
    for _ in range(2):
        response = client_key_client.post("/api/v1/analytics/flags/", {"checkout": HUGE}, format="json")
        assert response.status_code == 200
    (bucket,) = FeatureEvaluationBucket.objects.filter(environment=flags_environment)
    assert bucket.count == 2 * analytics_services.MAX_COUNT


def test_analytics_v2__count_beyond_64_bits__400_nothing_stored(client_key_client) -> None:
    body = {"evaluations": [{"feature_name": "checkout", "count": HUGE}]}
    assert client_key_client.post("/api/v2/analytics/flags/", body, format="json").status_code == 400
    assert not FeatureEvaluationBucket.objects.exists()


def test_analytics_v2__too_many_items__400(client_key_client) -> None:
    body = {"evaluations": [{"feature_name": "checkout", "count": 1}] * 10_001}
    response = client_key_client.post("/api/v2/analytics/flags/", body, format="json")
    assert response.status_code == 400
    assert not FeatureEvaluationBucket.objects.exists()


def test_unleash_metrics__count_beyond_32_bits__400_nothing_stored(flags_environment, server_key) -> None:
    client = sdk_client(None)
    client.credentials(HTTP_AUTHORIZATION=server_key.plain_key)
    body = {"appName": "app", "bucket": {"toggles": {"checkout": {"yes": HUGE, "no": 0}}}}
    assert client.post("/api/client/metrics", body, format="json").status_code == 400
    assert not FeatureEvaluationBucket.objects.exists()


@pytest.fixture
def buffered(settings):
    settings.FEATURE_EVALUATION_CACHE_SECONDS = 3600  # no flusher thread fires during the test
    analytics_services.flush()
    yield
    analytics_services._buffer.clear()


def test_buffer__huge_reports__summed_within_flush_bound_and_stored(buffered, environment, monkeypatch) -> None:
    now = datetime.now(tz=UTC)
    for _ in range(5):
        analytics_services.record_evaluations(environment.id, [analytics_services.EvaluationCount("f", HUGE)], now)
    (count,) = analytics_services._buffer.values()
    assert count == 5 * analytics_services.MAX_COUNT <= analytics_services.MAX_FLUSH_COUNT
    monkeypatch.setattr(analytics_services, "MAX_FLUSH_COUNT", 7)
    analytics_services.record_evaluations(environment.id, [analytics_services.EvaluationCount("f", 3)], now)
    assert list(analytics_services._buffer.values()) == [7]
    assert analytics_services.flush() == 1
    assert FeatureEvaluationBucket.objects.get().count == 7


def test_write_buckets__stored_count_at_its_bound__stays_there(environment) -> None:
    now = datetime.now(tz=UTC).replace(minute=0, second=0, microsecond=0)
    key = (environment.id, "f", "", None, now)
    FeatureEvaluationBucket.objects.create(
        environment_id=environment.id, feature_name="f", bucket_start=now, count=analytics_services.MAX_STORED_COUNT - 1
    )
    analytics_services.write_buckets(Counter({key: analytics_services.MAX_FLUSH_COUNT}))
    assert FeatureEvaluationBucket.objects.get().count == analytics_services.MAX_STORED_COUNT


@pytest.mark.django_db(transaction=True)
def test_flush__bucket_that_cannot_be_stored__dropped_with_warning_rest_stored(buffered, caplog) -> None:
    # Given counts buffered for an environment that is deleted before the flush
    kept = EnvironmentFactory()
    gone = EnvironmentFactory()
    now = datetime.now(tz=UTC)
    analytics_services.record_evaluations(kept.id, [analytics_services.EvaluationCount("f", 2)], now)
    analytics_services.record_evaluations(gone.id, [analytics_services.EvaluationCount("f", 3)], now)
    Environment.objects.filter(pk=gone.pk).delete()  # the buffer still names it
    # When the buffer is flushed
    with caplog.at_level(logging.WARNING, logger="banderole.analytics"):
        analytics_services.flush()
    # Then what can be stored is, the rest is dropped with a warning, and the buffer is clear
    assert list(FeatureEvaluationBucket.objects.values_list("environment_id", "count")) == [(kept.id, 2)]
    assert "could not be stored" in caplog.text
    assert not analytics_services._buffer
    analytics_services.record_evaluations(kept.id, [analytics_services.EvaluationCount("f", 1)], now)
    assert analytics_services.flush() == 1
    assert FeatureEvaluationBucket.objects.get().count == 3


# --- Traits ---------------------------------------------------------------------------------------


def test_identify__more_traits_than_request_limit__400_nothing_stored(client_key_client, settings) -> None:
    settings.MAX_TRAITS_PER_REQUEST = 50
    response = client_key_client.post(
        "/api/v1/identities/", {"identifier": "many", "traits": traits(51)}, format="json"
    )
    assert response.status_code == 400
    assert "at most 50 traits" in response.json()["traits"][0]
    assert not Identity.objects.filter(identifier="many").exists()
    response = client_key_client.post(
        "/api/v1/identities/", {"identifier": "many", "traits": traits(50)}, format="json"
    )
    assert response.status_code == 200


def test_identify__default_limit__ten_thousand_traits_refused(client_key_client) -> None:
    response = client_key_client.post(
        "/api/v1/identities/", {"identifier": "flood", "traits": traits(10_000)}, format="json"
    )
    assert response.status_code == 400
    assert not Trait.objects.exists()


def test_identify__identity_past_its_trait_limit__400_nothing_written(client_key_client, settings) -> None:
    settings.MAX_TRAITS_PER_IDENTITY = 3
    assert (
        client_key_client.post(
            "/api/v1/identities/", {"identifier": "u", "traits": traits(2)}, format="json"
        ).status_code
        == 200
    )
    # Two more new keys: four in all
    response = client_key_client.post(
        "/api/v1/identities/", {"identifier": "u", "traits": traits(2, prefix="new")}, format="json"
    )
    assert response.status_code == 400
    assert "at most 3 traits" in response.json()["traits"][0]
    assert sorted(Trait.objects.values_list("trait_key", flat=True)) == ["t0", "t1"]
    # Changing, deleting and replacing within the limit still works
    body = {"identifier": "u", "traits": [{"trait_key": "t0", "trait_value": None}, *traits(2, prefix="new")]}
    assert client_key_client.post("/api/v1/identities/", body, format="json").status_code == 200
    assert Trait.objects.count() == 3


def test_traits__single_trait_past_identity_limit__400(client_key_client, settings) -> None:
    settings.MAX_TRAITS_PER_IDENTITY = 1
    body = {"identity": {"identifier": "v"}, "trait_key": "a", "trait_value": 1}
    assert client_key_client.post("/api/v1/traits/", body, format="json").status_code == 200
    body["trait_key"] = "b"
    assert client_key_client.post("/api/v1/traits/", body, format="json").status_code == 400
    assert list(Trait.objects.values_list("trait_key", flat=True)) == ["a"]


def test_traits_bulk__more_than_request_limit__400_nothing_stored(client_key_client, settings) -> None:
    settings.MAX_TRAITS_PER_REQUEST = 5
    body = [{"identity": {"identifier": f"i{n}"}, "trait_key": "k", "trait_value": n} for n in range(6)]
    response = client_key_client.put("/api/v1/traits/bulk/", body, format="json")
    assert response.status_code == 400
    assert "at most 5 traits" in response.json()["detail"]
    assert not Identity.objects.exists()


# --- New identities ---------------------------------------------------------------------------------


def test_identity_creation__throttle_off_by_default__many_created(client_key_client, settings) -> None:
    assert settings.SDK_IDENTITY_CREATE_THROTTLE_RATE is None
    for index in range(20):
        assert client_key_client.get(f"/api/v1/identities/?identifier=u{index}").status_code == 200
    assert Identity.objects.count() == 20


def test_identity_creation__throttled_key__429_existing_still_served_other_key_not_counted(
    client_key_client, server_key_client, settings
) -> None:
    settings.SDK_IDENTITY_CREATE_THROTTLE_RATE = "3/min"
    for index in range(3):
        assert (
            client_key_client.post("/api/v1/identities/", {"identifier": f"u{index}"}, format="json").status_code == 200
        )
    response = client_key_client.post("/api/v1/identities/", {"identifier": "u3"}, format="json")
    assert response.status_code == 429
    assert "new identities" in response.json()["detail"]
    assert client_key_client.get("/api/v1/identities/?identifier=u3").status_code == 429
    assert client_key_client.get("/api/v1/identities/?identifier=u0").status_code == 200  # not new
    assert (
        client_key_client.post(
            "/api/v1/identities/", {"identifier": "u9", "transient": True}, format="json"
        ).status_code
        == 200
    )
    assert server_key_client.get("/api/v1/identities/?identifier=u3").status_code == 200  # another key
    assert Identity.objects.count() == 4
