"""Throttles that count in one place for every process, keyed by the real client address.

DRF's throttles count in Django's ``default`` cache, which is per process here, and
identify a client by ``X-Forwarded-For`` unless ``NUM_PROXIES`` is set: a client could
then pick a new identity per request. These count in the ``throttles`` cache (shared
when a shared backend is configured, see ``THROTTLE_CACHE_BACKEND``) and take the
client's address from ``core.middleware.client_ip``, which trusts ``X-Forwarded-For``
only for the ``NUM_PROXIES`` proxies the deployer declared.
"""

from __future__ import annotations

from django.core.cache import BaseCache, caches
from rest_framework import throttling
from rest_framework.request import Request

from core.middleware import client_ip

THROTTLE_CACHE_ALIAS = "throttles"


class SharedCountMixin:
    """Count in the ``throttles`` cache; identify anonymous callers by ``client_ip``."""

    @property
    def cache(self) -> BaseCache:  # DRF reads ``self.cache`` for every count
        return caches[THROTTLE_CACHE_ALIAS]

    def get_ident(self, request: Request) -> str:
        return client_ip(request)  # type: ignore[arg-type]  # a DRF Request proxies META


class ScopedRateThrottle(SharedCountMixin, throttling.ScopedRateThrottle):
    pass


class UserRateThrottle(SharedCountMixin, throttling.UserRateThrottle):
    pass


class SimpleRateThrottle(SharedCountMixin, throttling.SimpleRateThrottle):
    pass
