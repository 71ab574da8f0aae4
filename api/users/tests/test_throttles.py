"""Throttles count by the real client address, in a cache every process shares when configured.

Finding (issue 17): 30 ``reset_password`` POSTs with a different ``X-Forwarded-For``
each were never throttled, because DRF trusted the header (``NUM_PROXIES`` unset).
"""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.core.cache import caches
from django.core.cache.backends.memcached import PyMemcacheCache
from rest_framework.test import APIClient

from app.settings.common import _cache
from core.throttling import ScopedRateThrottle

pytestmark = pytest.mark.django_db

RESET_URL = "/api/v1/auth/users/reset_password/"
MEMCACHED = "django.core.cache.backends.memcached.PyMemcacheCache"


def _reset(client: APIClient, forwarded_for: str | None = None) -> int:
    extra = {"HTTP_X_FORWARDED_FOR": forwarded_for} if forwarded_for else {}
    return client.post(RESET_URL, {"email": "nobody@example.com"}, format="json", **extra).status_code


def test_reset_password__new_forwarded_for_each_time_without_proxy__throttled(monkeypatch, anon_client):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "password_reset", "5/min")

    statuses = [_reset(anon_client, f"203.0.113.{n}") for n in range(30)]

    assert statuses.count(204) == 5
    assert statuses.count(429) == 25


def test_reset_password__behind_one_proxy__counted_per_address_the_proxy_saw(settings, monkeypatch, anon_client):
    settings.NUM_PROXIES = 1
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "password_reset", "2/min")

    # The client may prepend anything; the proxy appends the address it saw, which is what counts.
    spoofed = [_reset(anon_client, f"198.51.100.{n}, 203.0.113.7") for n in range(3)]
    other_client = _reset(anon_client, "203.0.113.8")

    assert spoofed == [204, 204, 429]
    assert other_client == 204


def test_login_failure__forwarded_for_without_proxy__axes_records_remote_addr(anon_client, alice):
    anon_client.post(
        "/api/v1/auth/login/",
        {"email": "alice@example.com", "password": "wrong-password-1"},
        format="json",
        HTTP_X_FORWARDED_FOR="203.0.113.9",
    )

    assert AccessAttempt.objects.get().ip_address == "127.0.0.1"


def test_login_failure__behind_one_proxy__axes_records_forwarded_address(settings, anon_client, alice):
    settings.NUM_PROXIES = 1
    anon_client.post(
        "/api/v1/auth/login/",
        {"email": "alice@example.com", "password": "wrong-password-1"},
        format="json",
        HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.9",
    )

    assert AccessAttempt.objects.get().ip_address == "203.0.113.9"


def test_throttle_counts__shared_backend__another_process_sees_them(
    settings, monkeypatch, anon_client, memcached_location
):
    settings.CACHES = {**settings.CACHES, "throttles": _cache(MEMCACHED, memcached_location, None)}
    caches["throttles"].clear()
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "password_reset", "2/min")

    statuses = [_reset(anon_client) for _ in range(3)]

    # A second client of the same memcached, as another process would have, reads the count.
    config = _cache(MEMCACHED, memcached_location, None)
    other_process = PyMemcacheCache(config["LOCATION"], config)
    history = other_process.get("throttle_password_reset_127.0.0.1")
    other_process.close()
    assert statuses == [204, 204, 429]
    assert history is not None and len(history) == 2
