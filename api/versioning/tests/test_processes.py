"""A scheduled change goes live on two API processes, the realtime stream and the official Python SDK.

Two gunicorn processes (production settings, the per-process cache default with its
1 s version check) and a stream process share one PostgreSQL database. A version is
scheduled 3 s ahead through the first; nobody calls anything at its instant. Each
API process serves it within a second of ``live_from``, the stream sends an event
once some process's scheduler has applied it, and the Python SDK in local-evaluation
mode, polling the environment document every second, sees it too.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from flagsmith import Flagsmith

from realtime.tests.conftest import EventReader
from tests.e2e.server import fresh_postgres_database, gunicorn, manage, stream_process, subprocess_env
from tests.sdk_compat.configuration import AdminClient

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

EMAIL, PASSWORD = "versions@example.com", "versions-password-1234"


def _value(url: str, key: str) -> object:
    response = requests.get(f"{url}/api/v1/flags/", headers={"X-Environment-Key": key}, timeout=5)
    response.raise_for_status()
    return next(item["feature_state_value"] for item in response.json() if item["feature"]["name"] == "checkout")


def _cache_settings(request: pytest.FixtureRequest, mode: str) -> dict[str, str]:
    if mode == "per-process":
        return {}
    location = request.getfixturevalue("memcached_location")
    backend = "django.core.cache.backends.memcached.PyMemcacheCache"
    return {
        "ENVIRONMENT_CACHE_BACKEND": backend,
        "ENVIRONMENT_CACHE_LOCATION": location,
        "GET_IDENTITIES_ENDPOINT_CACHE_SECONDS": "60",
        "GET_IDENTITIES_ENDPOINT_CACHE_BACKEND": backend,
        "GET_IDENTITIES_ENDPOINT_CACHE_LOCATION": location,
        "CACHE_ENVIRONMENT_DOCUMENT_MODE": "PERSISTENT",
        "CACHE_ENVIRONMENT_DOCUMENT_BACKEND": backend,
        "CACHE_ENVIRONMENT_DOCUMENT_LOCATION": location,
        "CACHE_KEY_PREFIX": f"versions{time.time_ns()}",
        # Only the shared cache (and the schedule) may tell a process of a change.
        "ENVIRONMENT_VERSION_CHECK_SECONDS": "3600",
    }


@pytest.mark.parametrize("mode", ["per-process", "shared memcached"])
def test_scheduled_change__two_processes_the_stream_and_the_python_sdk_see_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], request: pytest.FixtureRequest, mode: str
) -> None:
    caches = _cache_settings(request, mode)
    with fresh_postgres_database("banderole_versions") as url:
        env = subprocess_env(
            DJANGO_SETTINGS_MODULE="app.settings.production",
            DJANGO_SECRET_KEY="e2e-test-secret-key-long-enough-for-production-settings",
            DATABASE_URL=url,
            **caches,
        )
        manage("migrate", "--noinput", env=env)
        manage(
            "createsuperuser",
            "--noinput",
            env={**env, "DJANGO_SUPERUSER_EMAIL": EMAIL, "DJANGO_SUPERUSER_PASSWORD": PASSWORD},
        )
        with (
            gunicorn(tmp_path / "one.log", ready_path="/health/liveness/", DATABASE_URL=url, **caches) as one,
            gunicorn(tmp_path / "two.log", ready_path="/health/liveness/", DATABASE_URL=url, **caches) as two,
            stream_process(tmp_path / "streams.log", env=one.env) as streams,
        ):
            admin = AdminClient(one.url)
            admin.login(EMAIL, PASSWORD)
            organisation = admin.call("POST", "organisations/", {"name": "Versions"}, 201)
            project = admin.call(
                "POST",
                "projects/",
                {"name": "Web", "organisation": organisation["id"], "enable_realtime_updates": True},
                201,
            )
            environment = admin.call("POST", "environments/", {"name": "Production", "project": project["id"]}, 201)
            key = environment["api_key"]
            server_key = admin.call("POST", f"environments/{key}/api-keys/", {"name": "local"}, 201)["key"]
            feature = admin.call(
                "POST",
                f"projects/{project['id']}/features/",
                {"name": "checkout", "initial_value": "now", "default_enabled": True},
                201,
            )
            admin.call("POST", f"environments/{key}/enable-v2-versioning/", None, 202)
            versions = f"environments/{environment['id']}/features/{feature['id']}/versions/"
            draft = admin.call("POST", versions, {"feature_states_to_update": [{"feature_state_value": "later"}]}, 201)

            sdk = Flagsmith(
                environment_key=server_key,
                api_url=f"{one.url}/api/v1/",
                enable_local_evaluation=True,
                environment_refresh_interval_seconds=1,
                enable_analytics=False,
            )
            reader = EventReader(f"{streams.url}/sse/environments/{key}/stream")
            before_event = reader.event()["data"]["updated_at"]
            try:
                assert _value(one.url, key) == _value(two.url, key) == "now"
                assert sdk.get_environment_flags().get_feature_value("checkout") == "now"

                live_from = datetime.now(UTC) + timedelta(seconds=3)
                admin.call("POST", f"{versions}{draft['uuid']}/publish/", {"live_from": live_from.isoformat()})
                reader.event()  # the scheduling itself is a new version of the environment
                assert _value(one.url, key) == _value(two.url, key) == "now"

                seen: dict[str, float] = {}
                deadline = time.monotonic() + 15
                while len(seen) < 3 and time.monotonic() < deadline:
                    for name, server in (("one", one), ("two", two)):
                        if name not in seen and _value(server.url, key) == "later":
                            seen[name] = (datetime.now(UTC) - live_from).total_seconds()
                    if "sdk" not in seen and sdk.get_environment_flags().get_feature_value("checkout") == "later":
                        seen["sdk"] = (datetime.now(UTC) - live_from).total_seconds()
                    time.sleep(0.01)
                event = reader.event()["data"]["updated_at"]
                seen["stream"] = (datetime.now(UTC) - live_from).total_seconds()
            finally:
                reader.close()
                sdk.environment_data_polling_manager_thread.stop()
                sdk.session.close()

    with capsys.disabled():
        print(f"\n[versions] {mode}: delay after live_from, seconds: {seen}")
    assert set(seen) == {"one", "two", "sdk", "stream"}, seen
    # Within a second on each process (not early); the SDK polls every second; the
    # stream waits for a scheduler round (1 s) and then the version check bound (1 s).
    assert 0 <= seen["one"] < 1.0 and 0 <= seen["two"] < 1.0, seen
    assert seen["sdk"] < 2.5, seen
    assert event > before_event and seen["stream"] < 4.0, seen
