"""One circuit per memcached server per process: a freeze costs one socket timeout, not one per cache.

Against a real memcached that the test freezes (SIGSTOP) and thaws.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator

import pytest
from django.core.cache import caches

from app.settings.common import _cache
from core import memcached
from documents import caching
from documents.tests.test_generation_repair import _raw
from environments.tests.factories import EnvironmentFactory
from tests.cache_servers import MemcachedServer

TIMEOUT = 0.3
ALIASES = (
    caching.ENVIRONMENT_OBJECTS,
    caching.ENVIRONMENT_DOCUMENTS,
    caching.GET_FLAGS_ENDPOINT,
    caching.GET_IDENTITIES_ENDPOINT,
)


@pytest.fixture
def four_caches(settings, own_memcached: MemcachedServer) -> Iterator[str]:
    """The four memcached-backed caches of docker-compose's cache mode, as the settings build them."""
    prefix = f"circuit{uuid.uuid4().hex[:8]}"
    config = _cache(
        "django.core.cache.backends.memcached.PyMemcacheCache",
        own_memcached.location,
        300,
        {"timeout": TIMEOUT, "connect_timeout": TIMEOUT},
    )
    settings.CACHES = {**settings.CACHES, **{alias: {**config, "KEY_PREFIX": prefix} for alias in ALIASES}}
    settings.GET_IDENTITIES_ENDPOINT_CACHE_SECONDS = 300
    memcached.reset_circuits()
    caching.forget_everything_in_process()
    yield prefix
    memcached.reset_circuits()
    caching.forget_everything_in_process()


def _get_from_each_cache() -> float:
    started = time.monotonic()
    for alias in ALIASES:
        assert caching.cache_call(alias, "get", "some-key", default="failed") == "failed"
    return time.monotonic() - started


def _wait_until_closed(seconds: float) -> float:
    started = time.monotonic()
    while memcached.open_circuits():
        if time.monotonic() - started > seconds:
            pytest.fail(f"circuit still open after {seconds} s")
        time.sleep(0.01)
    return time.monotonic() - started


def test_settings__memcached_backend_is_the_circuit_one(four_caches: str) -> None:
    assert isinstance(caches[caching.ENVIRONMENT_OBJECTS], memcached.PyMemcacheCache)
    assert isinstance(caches[caching.ENVIRONMENT_OBJECTS]._cache, memcached.CircuitHashClient)
    assert caching.is_shared(caching.ENVIRONMENT_OBJECTS)


def test_freeze__four_caches_pay_one_timeout(four_caches: str, own_memcached: MemcachedServer) -> None:
    for alias in ALIASES:
        caches[alias].set("warm", 1)  # every client connected before the freeze
    own_memcached.freeze()
    try:
        seconds = _get_from_each_cache()
        assert memcached.open_circuits() == [own_memcached.location]
        again = _get_from_each_cache()
    finally:
        own_memcached.thaw()

    assert TIMEOUT * 0.9 <= seconds < TIMEOUT * 2.5  # one timeout, not four (4 x 0.3 s)
    assert again < TIMEOUT / 2  # skipped without a socket call (a loaded machine is slow, not 0.3 s slow)


def test_freeze__other_threads_skip_the_server_too(four_caches: str, own_memcached: MemcachedServer) -> None:
    own_memcached.freeze()
    try:
        _get_from_each_cache()
        durations: list[float] = []
        threads = [threading.Thread(target=lambda: durations.append(_get_from_each_cache())) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        own_memcached.thaw()

    assert len(durations) == 4 and max(durations) < TIMEOUT / 2


def test_thaw__circuit_closes_within_a_probe_and_calls_reach_memcached(
    four_caches: str, own_memcached: MemcachedServer
) -> None:
    own_memcached.freeze()
    try:
        _get_from_each_cache()
        time.sleep(1.0)  # probes keep failing while it is frozen
        assert memcached.open_circuits() == [own_memcached.location]
    finally:
        own_memcached.thaw()

    closed_after = _wait_until_closed(1.0)
    assert closed_after < memcached.PROBE_EVERY_SECONDS + TIMEOUT + 0.2
    caches[caching.ENVIRONMENT_OBJECTS].set("after", "thaw")
    assert caches[caching.ENVIRONMENT_OBJECTS].get("after") == "thaw"


def test_stopped_server__refused_connection_opens_the_circuit_and_a_restart_closes_it(
    four_caches: str, own_memcached: MemcachedServer
) -> None:
    own_memcached.stop()
    seconds = _get_from_each_cache()
    assert memcached.open_circuits() == [own_memcached.location]
    assert seconds < TIMEOUT / 2  # refused at once

    own_memcached.start_again()
    _wait_until_closed(1.0)
    assert caching.cache_call(caching.ENVIRONMENT_OBJECTS, "add", "back", 1) is True


@pytest.mark.django_db
def test_bump_skipped_by_the_circuit__repaired_once_memcached_answers(
    four_caches: str, own_memcached: MemcachedServer
) -> None:
    environment = EnvironmentFactory()
    caching.current_version(environment.pk)
    key = f"env-gen:{environment.pk}"
    before = int(_raw(own_memcached, four_caches, key))
    own_memcached.freeze()
    try:
        _get_from_each_cache()  # opens the circuit
        started = time.monotonic()
        caching.environments_changed([environment.pk])
        assert time.monotonic() - started < TIMEOUT / 2  # the write does not wait for memcached either
        assert caching.pending_repairs()
    finally:
        own_memcached.thaw()
    deadline = time.monotonic() + 1.5
    while caching.pending_repairs() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not caching.pending_repairs()
    assert int(_raw(own_memcached, four_caches, key)) == before + 1
