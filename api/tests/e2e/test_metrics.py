"""Prometheus ``/metrics`` scraped from a real gunicorn with several workers on PostgreSQL.

Counts must be the sum over every worker (prometheus_client's multiprocess mode set up
by ``app/gunicorn.conf.py``): with two workers and 20 SDK requests, each scrape,
whichever worker answers it, reports all 20.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.server import RunningServer, fresh_postgres_database, gunicorn, manage, subprocess_env
from tests.sdk_compat.configuration import AdminClient

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

EMAIL = "metrics@example.com"
PASSWORD = "metrics-password-1234"
TOKEN = "scrape-token-0123456789"


@dataclass
class Deployment:
    server: RunningServer
    client_key: str


@pytest.fixture(scope="module")
def deployment(tmp_path_factory) -> Iterator[Deployment]:
    with fresh_postgres_database("banderole_metrics") as url:
        settings = {
            "DJANGO_SETTINGS_MODULE": "app.settings.production",
            "DJANGO_SECRET_KEY": "metrics-secret-key-long-enough-for-production-settings-0123",
            "DATABASE_URL": url,
        }
        env = subprocess_env(**settings)
        manage("migrate", "--noinput", env=env)
        manage(
            "createsuperuser",
            "--noinput",
            env={**env, "DJANGO_SUPERUSER_EMAIL": EMAIL, "DJANGO_SUPERUSER_PASSWORD": PASSWORD},
        )
        logs = tmp_path_factory.mktemp("metrics")
        with gunicorn(
            Path(logs / "server.log"),
            ready_path="/health/liveness/",
            **settings,
            GUNICORN_WORKERS="2",
            GUNICORN_THREADS="1",
            PROMETHEUS_ENABLED="true",
            PROMETHEUS_AUTH_TOKEN=TOKEN,
        ) as server:
            admin = AdminClient(server.url)
            admin.login(EMAIL, PASSWORD)
            organisation = admin.call("POST", "organisations/", {"name": "Metrics"}, 201)
            project = admin.call("POST", "projects/", {"name": "Metrics", "organisation": organisation["id"]}, 201)
            environment = admin.call("POST", "environments/", {"name": "Live", "project": project["id"]}, 201)
            admin.call("POST", f"projects/{project['id']}/features/", {"name": "banner", "default_enabled": True}, 201)
            yield Deployment(server, environment["api_key"])


def scrape(server: RunningServer, **headers: str) -> requests.Response:
    # A fresh connection each time, so successive scrapes may reach different workers.
    return requests.get(f"{server.url}/metrics", headers=headers, timeout=10)


def sample(text: str, name: str, **labels: str) -> float:
    """The sum of ``name``'s samples whose labels include ``labels`` (0 if none)."""
    total = 0.0
    for family in text_string_to_metric_families(text):
        for found in family.samples:
            if found.name == name and all(found.labels.get(k) == v for k, v in labels.items()):
                total += found.value
    return total


def test_metrics__sdk_requests_on_two_workers__every_scrape_counts_all_of_them(deployment: Deployment) -> None:
    server, key = deployment.server, deployment.client_key
    before = scrape(server).text  # from 127.0.0.1: allowed by the default PROMETHEUS_ALLOWED_IPS
    for _ in range(20):
        response = requests.get(f"{server.url}/api/v1/flags/", headers={"X-Environment-Key": key}, timeout=10)
        assert response.status_code == 200
    for index in range(5):
        requests.post(
            f"{server.url}/api/v1/identities/",
            json={"identifier": f"user-{index}", "traits": []},
            headers={"X-Environment-Key": key},
            timeout=10,
        ).raise_for_status()
    requests.post(
        f"{server.url}/api/v1/analytics/flags/", json={"banner": 7}, headers={"X-Environment-Key": key}, timeout=10
    ).raise_for_status()

    def moved(text: str, name: str, **labels: str) -> float:
        return sample(text, name, **labels) - sample(before, name, **labels)

    for _ in range(4):
        after = scrape(server)
        assert after.status_code == 200
        assert after.headers["Content-Type"].startswith("text/plain")
        text = after.text
        assert moved(text, "banderole_http_requests_total", route="sdk-flags", method="GET", status="200") == 20
        assert moved(text, "banderole_http_request_duration_seconds_count", route="sdk-flags", method="GET") == 20
        assert moved(text, "banderole_flag_evaluations_total", kind="environment") == 20
        assert moved(text, "banderole_flag_evaluations_total", kind="identity") == 5
        assert moved(text, "banderole_sdk_reported_evaluations_total") == 7
        # Each worker compiles the document once at most; every other /flags/ is a hit.
        lookups = "banderole_sdk_cache_requests_total"
        hits = moved(text, lookups, endpoint="sdk-flags", cache="compiled_document", result="hit")
        misses = moved(text, lookups, endpoint="sdk-flags", cache="compiled_document", result="miss")
        assert hits + misses == 20
        assert 1 <= misses <= 2


def test_metrics__client_outside_allowed_ips__403(deployment: Deployment) -> None:
    # Through a proxy (X-Forwarded-For, NUM_PROXIES=0) the loopback address proves nothing.
    response = scrape(deployment.server, **{"X-Forwarded-For": "203.0.113.9"})
    assert response.status_code == 403
    assert response.json() == {"detail": "You do not have permission to read metrics."}
    assert "banderole_" not in response.text


def test_metrics__bearer_token__allowed_from_anywhere(deployment: Deployment) -> None:
    response = scrape(deployment.server, **{"X-Forwarded-For": "203.0.113.9", "Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert "banderole_http_requests_total" in response.text
    wrong = scrape(deployment.server, **{"X-Forwarded-For": "203.0.113.9", "Authorization": "Bearer nope"})
    assert wrong.status_code == 403
