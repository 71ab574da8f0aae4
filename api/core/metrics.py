"""Prometheus metrics: what is counted, the middleware that times requests, and ``/metrics``.

Off unless ``PROMETHEUS_ENABLED`` (Flagsmith's variable); then ``/metrics`` answers
only clients in ``PROMETHEUS_ALLOWED_IPS`` (loopback by default) or presenting
``Authorization: Bearer <PROMETHEUS_AUTH_TOKEN>``, and 403 to anyone else.

With several gunicorn workers, each is its own process with its own counters.
``app/gunicorn.conf.py`` therefore puts prometheus_client in multiprocess mode
(``PROMETHEUS_MULTIPROC_DIR``, a fresh directory per start): every worker writes
its values to files there, and a scrape, answered by whichever worker, adds them
all up. Without that variable (``runserver``, another WSGI server) a scrape sees
the answering process only.

The SDK counters are incremented on label children bound here once, so a count
costs one uncontended lock (about half a microsecond), and only at view level,
never inside the caches' own code.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, multiprocess
from prometheus_client.exposition import choose_encoder

from core.exceptions import json_not_found
from core.middleware import client_ip

HTTP_REQUESTS = Counter(
    "banderole_http_requests_total",
    "HTTP requests answered, by URL pattern name, method and status code.",
    ["route", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "banderole_http_request_duration_seconds",
    "Time from the request reaching Django to the response leaving it, by URL pattern name and method.",
    ["route", "method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
SDK_CACHE = Counter(
    "banderole_sdk_cache_requests_total",
    "SDK GET requests answered from a cache (hit) or not (miss). cache=compiled_document: this "
    "process's compiled environment document (no DRF, no database); identities_response: the "
    "GET /identities/ response cache, counted when enabled; flags_response: the GET /flags/ "
    "response cache, asked when this process has not compiled the current document.",
    ["endpoint", "cache", "result"],
)
FLAG_EVALUATIONS = Counter(
    "banderole_flag_evaluations_total",
    "Flag sets evaluated by the server for an SDK (remote evaluation): kind=environment (/flags/) "
    "or identity (/identities/). Responses replayed from a response cache are not evaluations.",
    ["kind"],
)
SDK_REPORTED_EVALUATIONS = Counter(
    "banderole_sdk_reported_evaluations_total",
    "Flag evaluations that SDKs reported through /analytics/flags/ (the sum of the counts).",
)

ENVIRONMENT_EVALUATION = FLAG_EVALUATIONS.labels("environment")
IDENTITY_EVALUATION = FLAG_EVALUATIONS.labels("identity")
FLAGS_RESPONSE_CACHE_HIT = SDK_CACHE.labels("sdk-flags", "flags_response", "hit")
FLAGS_RESPONSE_CACHE_MISS = SDK_CACHE.labels("sdk-flags", "flags_response", "miss")
_cache_counts: dict[tuple[str, str, bool], Callable[[], None]] = {}


def count_cache(endpoint: str, cache: str, hit: bool) -> None:
    """One SDK GET that the fast path answered from ``cache`` (hit) or handed on (miss)."""
    increment = _cache_counts.get((endpoint, cache, hit))
    if increment is None:
        increment = SDK_CACHE.labels(endpoint, cache, "hit" if hit else "miss").inc
        _cache_counts[(endpoint, cache, hit)] = increment
    increment()


class PrometheusMiddleware:
    """Counts and times every request; first in MIDDLEWARE, so it sees what the others answer."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - started
        match = getattr(request, "resolver_match", None)
        # Pattern names, not paths: one series per endpoint, whatever keys or ids are in the URL.
        route = (match.view_name or match.route) if match is not None else "unmatched"
        method = request.method if request.method in _METHODS else "other"
        HTTP_REQUESTS.labels(route, method, str(response.status_code)).inc()
        HTTP_LATENCY.labels(route, method).observe(elapsed)
        return response


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _client_allowed(request: HttpRequest) -> bool:
    token = settings.PROMETHEUS_AUTH_TOKEN
    if token:
        scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(presented.strip().encode(), token.encode()):
            return True
    # A proxy in front of the server makes every client look local; unless NUM_PROXIES
    # says how to read X-Forwarded-For, a forwarded request is not allowed by address.
    if settings.NUM_PROXIES == 0 and ("HTTP_X_FORWARDED_FOR" in request.META or "HTTP_FORWARDED" in request.META):
        return False
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in settings.PROMETHEUS_ALLOWED_NETWORKS)


def _registry() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    """``GET /metrics``: 404 unless enabled, 403 for a client neither allowed by address nor by token."""
    if not settings.PROMETHEUS_ENABLED:
        return json_not_found(request)
    if not _client_allowed(request):
        return JsonResponse({"detail": "You do not have permission to read metrics."}, status=403)
    # The text format scrapers have always read, or OpenMetrics when the Accept header asks.
    encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
    return HttpResponse(encoder(_registry()), content_type=content_type)
