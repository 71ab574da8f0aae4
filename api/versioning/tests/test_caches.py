"""A scheduled change goes live on every SDK path at its instant, in both cache modes, with nothing written.

The version check of a process that holds a version knows when a scheduled version
goes live (``_KnownVersion.valid_until``): it reads again then, and the compiler
serves the due version. The per-process mode is run with a 60 s version check, so
only the schedule can make the change visible; the shared mode with every response
cache on (flags, identities, the documents in PERSISTENT mode).
"""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from documents import caching
from environments.models import Environment
from environments.services import create_server_key
from features import services as feature_services
from features.models import Feature, FeatureState
from projects.models import Project
from users.models import User
from versioning import services
from versioning.models import EnvironmentFeatureVersion

pytestmark = pytest.mark.django_db

PYMEMCACHE = "django.core.cache.backends.memcached.PyMemcacheCache"
REDIS = "django.core.cache.backends.redis.RedisCache"


def _cache(backend: str, location: str, prefix: str, timeout: int | None = 300) -> dict:
    options = {"connect_timeout": 0.2, "timeout": 0.2} if backend == PYMEMCACHE else {}
    return {"BACKEND": backend, "LOCATION": location, "KEY_PREFIX": prefix, "TIMEOUT": timeout, "OPTIONS": options}


@pytest.fixture(params=["per-process", "memcached", "redis"])
def cache_mode(request, settings) -> str:
    settings.ENVIRONMENT_VERSION_CHECK_SECONDS = 60  # a change may only become visible through the schedule
    if request.param == "per-process":
        return request.param
    backend, location = (
        (PYMEMCACHE, request.getfixturevalue("memcached_location"))
        if request.param == "memcached"
        else (REDIS, request.getfixturevalue("redis_location"))
    )
    prefix = f"v{uuid.uuid4().hex[:12]}"
    settings.CACHES = {
        **settings.CACHES,
        caching.ENVIRONMENT_OBJECTS: _cache(backend, location, prefix),
        caching.GET_IDENTITIES_ENDPOINT: _cache(backend, location, prefix),
        caching.GET_FLAGS_ENDPOINT: _cache(backend, location, prefix),
        caching.ENVIRONMENT_DOCUMENTS: _cache(backend, location, prefix, timeout=None),
    }
    settings.GET_IDENTITIES_ENDPOINT_CACHE_SECONDS = 300
    settings.GET_FLAGS_ENDPOINT_CACHE_SECONDS = 300
    settings.CACHE_ENVIRONMENT_DOCUMENT_ENABLED = True
    settings.CACHE_ENVIRONMENT_DOCUMENT_MODE = "PERSISTENT"
    return request.param


def _served(environment: Environment, server_key: str) -> dict[str, object]:
    """What each SDK path serves of ``checkout``."""
    client = APIClient()
    flags = client.get("/api/v1/flags/", HTTP_X_ENVIRONMENT_KEY=environment.api_key).json()
    identity = client.get(
        "/api/v1/identities/", {"identifier": "ann"}, HTTP_X_ENVIRONMENT_KEY=environment.api_key
    ).json()
    document = client.get("/api/v1/environment-document/", HTTP_X_ENVIRONMENT_KEY=server_key).json()
    unleash = client.get("/api/client/features", HTTP_AUTHORIZATION=server_key).json()
    ofrep = client.post(
        "/ofrep/v1/evaluate/flags/checkout",
        {"context": {"targetingKey": "ann"}},
        format="json",
        HTTP_X_API_KEY=server_key,
    ).json()

    def value(items: list[dict]) -> object:
        return next(item["feature_state_value"] for item in items if item["feature"]["name"] == "checkout")

    return {
        "flags": value(flags),
        "identities": value(identity["flags"]),
        "document": value(document["feature_states"]),
        "unleash": next(item["enabled"] for item in unleash["features"] if item["name"] == "checkout"),
        "ofrep": ofrep.get("value", ofrep.get("reason")),
    }


def test_scheduled_change__every_sdk_path_serves_it_at_live_from(
    cache_mode: str, project: Project, environment: Environment, admin_user: User
):
    feature: Feature = feature_services.create_feature(
        project, {"name": "checkout", "initial_value": "now", "default_enabled": True}, admin_user
    )
    key = create_server_key(environment=environment, name="local").plain_key
    environment = services.enable_v2_versioning(environment, admin_user)
    states = services.base_states(environment, feature)
    states[0].value, states[0].enabled = "later", False
    version = services.create_version(environment, feature, admin_user, states=states)
    live_from = timezone.now() + timedelta(seconds=1.5)
    services.publish(version, admin_user, live_from)
    before = {"flags": "now", "identities": "now", "document": "now", "unleash": True, "ofrep": "now"}
    assert _served(environment, key) == before
    assert _served(environment, key) == before  # from the caches now

    time.sleep(max(0.0, (live_from - timezone.now()).total_seconds()) + 0.02)
    seen_at = timezone.now()
    after = {"flags": "later", "identities": "later", "document": "later", "unleash": False, "ofrep": "DISABLED"}
    assert _served(environment, key) == after
    assert (seen_at - live_from).total_seconds() < 1.0
    # Nothing was written: the scheduler has not run.
    assert EnvironmentFeatureVersion.objects.get(pk=version.pk).applied_at is None
    row = FeatureState.objects.get(environment=environment, feature=feature, feature_segment=None, identity=None)
    assert row.feature_state_value.value == "now"

    # The scheduler applies it; SDKs keep serving the same.
    assert services.apply_due() == 1
    assert _served(environment, key) == after
