"""``/metrics`` access rules and the SDK counters, in-process.

The multi-worker sums are checked against a real gunicorn in ``tests/e2e/test_metrics.py``.
"""

from __future__ import annotations

import ipaddress
import subprocess
import sys

import pytest
from django.test import Client, override_settings
from prometheus_client import REGISTRY

from core.tests.test_settings import API_DIR, clean_env  # noqa: F401 (fixture)
from environments.models import Environment

LOOPBACK = [ipaddress.ip_network("127.0.0.1/32"), ipaddress.ip_network("::1/128")]
ENABLED = {"PROMETHEUS_ENABLED": True, "PROMETHEUS_ALLOWED_NETWORKS": LOOPBACK, "PROMETHEUS_AUTH_TOKEN": None}


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_metrics__prometheus_disabled__404(db) -> None:
    response = Client().get("/metrics")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


@override_settings(**ENABLED)
@pytest.mark.parametrize("path", ["/metrics", "/metrics/"])
def test_metrics__loopback_client__prometheus_text(db, path: str) -> None:
    response = Client(REMOTE_ADDR="127.0.0.1").get(path)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    assert b"banderole_flag_evaluations_total" in response.content


@override_settings(**ENABLED)
def test_metrics__ipv6_loopback__allowed(db) -> None:
    assert Client(REMOTE_ADDR="::1").get("/metrics").status_code == 200


@override_settings(**ENABLED)
def test_metrics__other_address__403_without_metrics(db) -> None:
    response = Client(REMOTE_ADDR="198.51.100.7").get("/metrics")

    assert response.status_code == 403
    assert response.json() == {"detail": "You do not have permission to read metrics."}


@override_settings(**ENABLED)
def test_metrics__forwarded_through_local_proxy_without_num_proxies__403(db) -> None:
    response = Client(REMOTE_ADDR="127.0.0.1").get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.5")

    assert response.status_code == 403


@override_settings(**{**ENABLED, "NUM_PROXIES": 1, "PROMETHEUS_ALLOWED_NETWORKS": [ipaddress.ip_network("10.0.0.0/8")]})
def test_metrics__num_proxies__client_address_from_forwarded_for(db) -> None:
    allowed = Client(REMOTE_ADDR="127.0.0.1").get("/metrics", HTTP_X_FORWARDED_FOR="10.1.2.3")
    refused = Client(REMOTE_ADDR="127.0.0.1").get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.5")

    assert (allowed.status_code, refused.status_code) == (200, 403)


@override_settings(**{**ENABLED, "PROMETHEUS_ALLOWED_NETWORKS": [], "PROMETHEUS_AUTH_TOKEN": "s3cret-token"})
@pytest.mark.parametrize(
    ("authorization", "expected"),
    [
        ("Bearer s3cret-token", 200),
        ("bearer s3cret-token", 200),
        ("Bearer wrong", 403),
        ("Token s3cret-token", 403),
        ("", 403),
    ],
)
def test_metrics__bearer_token__only_the_right_one(db, authorization: str, expected: int) -> None:
    response = Client(REMOTE_ADDR="127.0.0.1").get("/metrics", HTTP_AUTHORIZATION=authorization)

    assert response.status_code == expected


@override_settings(**ENABLED)
def test_metrics__post__405(db) -> None:
    assert Client(REMOTE_ADDR="127.0.0.1").post("/metrics").status_code == 405


def test_metrics__sdk_flags_requests__evaluations_and_cache_counts_move(environment: Environment) -> None:
    client = Client(HTTP_X_ENVIRONMENT_KEY=environment.api_key)
    evaluations = value("banderole_flag_evaluations_total", kind="environment")
    labels = {"endpoint": "sdk-flags", "cache": "compiled_document"}
    hits = value("banderole_sdk_cache_requests_total", **labels, result="hit")
    misses = value("banderole_sdk_cache_requests_total", **labels, result="miss")

    for _ in range(3):
        assert client.get("/api/v1/flags/").status_code == 200

    assert value("banderole_flag_evaluations_total", kind="environment") - evaluations == 3
    # The first request compiles the document; the next two are answered from it.
    assert value("banderole_sdk_cache_requests_total", **labels, result="miss") - misses == 1
    assert value("banderole_sdk_cache_requests_total", **labels, result="hit") - hits == 2


def test_metrics__sdk_identity_and_analytics__counted(environment: Environment) -> None:
    client = Client(HTTP_X_ENVIRONMENT_KEY=environment.api_key)
    identities = value("banderole_flag_evaluations_total", kind="identity")
    reported = value("banderole_sdk_reported_evaluations_total")

    client.post("/api/v1/identities/", {"identifier": "ida"}, content_type="application/json")
    client.get("/api/v1/identities/", {"identifier": "ida"})

    assert value("banderole_flag_evaluations_total", kind="identity") - identities == 2
    assert value("banderole_sdk_reported_evaluations_total") == reported  # nothing reported yet


def test_metrics__bad_key__not_counted_as_a_cache_lookup(db) -> None:
    labels = {"endpoint": "sdk-flags", "cache": "compiled_document"}
    before = value("banderole_sdk_cache_requests_total", **labels, result="miss")

    assert Client(HTTP_X_ENVIRONMENT_KEY="nope").get("/api/v1/flags/").status_code == 403
    assert value("banderole_sdk_cache_requests_total", **labels, result="miss") == before


def test_settings__malformed_prometheus_allowed_ips__start_up_refused(clean_env: dict[str, str]) -> None:  # noqa: F811
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=API_DIR,
        env={**clean_env, "DJANGO_SETTINGS_MODULE": "app.settings.local", "PROMETHEUS_ALLOWED_IPS": "10.0.0.0/8,nope"},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert "PROMETHEUS_ALLOWED_IPS='10.0.0.0/8,nope' is invalid" in result.stderr
