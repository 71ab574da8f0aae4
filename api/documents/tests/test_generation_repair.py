"""A memcached outage loses no invalidation: unconfirmed bumps are repaired once it answers.

pymemcache 4's ``HashClient`` answers ``False`` to ``incr`` while it waits to retry a
server that failed, without asking it. The bump must count as failed, and be made
again (by this process, in the background) as soon as memcached answers.
"""

from __future__ import annotations

import os
import time
import uuid

import pytest
from django.core.cache import caches
from pymemcache.client.base import Client as MemcacheClient

from app.settings.common import _cache
from documents import caching
from environments.tests.factories import EnvironmentFactory
from tests.cache_servers import MemcachedServer

PYMEMCACHE = "django.core.cache.backends.memcached.PyMemcacheCache"


@pytest.fixture
def memcached_caches(settings, own_memcached: MemcachedServer) -> str:
    prefix = f"repair{uuid.uuid4().hex[:8]}"
    # pymemcache's own failure handling, not the process-wide circuit: its retry window
    # is what answered False.
    config = {**_cache(PYMEMCACHE, own_memcached.location, 300, {"timeout": 0.2, "connect_timeout": 0.2})}
    config["BACKEND"] = PYMEMCACHE
    config["KEY_PREFIX"] = prefix
    settings.CACHES = {
        **settings.CACHES,
        caching.ENVIRONMENT_OBJECTS: config,
        caching.GET_IDENTITIES_ENDPOINT: config,
    }
    settings.GET_IDENTITIES_ENDPOINT_CACHE_SECONDS = 300
    caching.forget_everything_in_process()
    yield prefix
    caching.forget_everything_in_process()


def _raw(server: MemcachedServer, prefix: str, key: str):
    client = MemcacheClient(("127.0.0.1", server.port), timeout=1)
    try:
        return client.get(f"{prefix}:1:{key}")
    finally:
        client.close()


def _trip_this_threads_client(server: MemcachedServer, alias: str) -> None:
    """One call times out against a frozen memcached: this thread's client starts its retry window."""
    server.freeze()
    try:
        assert caching.cache_call(alias, "get", "anything", default="failed") == "failed"
    finally:
        server.thaw()
    # The server answers again; this thread's client does not know it yet.
    assert caches[alias].incr("anything-else") is False


def _wait_for(condition, seconds: float) -> float:
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > seconds:
            pytest.fail(f"not within {seconds} s")
        time.sleep(0.02)
    return time.monotonic() - started


@pytest.mark.django_db
def test_environment_bump__client_in_retry_window__repaired_once_memcached_answers(
    memcached_caches: str, own_memcached: MemcachedServer, caplog
) -> None:
    environment = EnvironmentFactory()
    key = f"env-gen:{environment.pk}"
    assert caching.current_version(environment.pk) is not None
    before = _raw(own_memcached, memcached_caches, key)
    assert isinstance(before, bytes)

    _trip_this_threads_client(own_memcached, caching.ENVIRONMENT_OBJECTS)
    caching.environments_changed([environment.pk])

    assert "did not confirm the bump" in caplog.text
    # The background repair makes the bump with a client of its own, within a round or two.
    delay = _wait_for(lambda: _raw(own_memcached, memcached_caches, key) != before, 1.0)
    assert delay < 1.0
    assert int(_raw(own_memcached, memcached_caches, key)) == int(before) + 1
    assert caching.pending_repairs() == {}


@pytest.mark.django_db
def test_identity_bump__client_in_retry_window__repaired_once_memcached_answers(
    memcached_caches: str, own_memcached: MemcachedServer
) -> None:
    environment = EnvironmentFactory()
    before = caching.identity_generation(environment.pk, "ann")
    key = caching._identity_generation_key(environment.pk, "ann")

    _trip_this_threads_client(own_memcached, caching.GET_IDENTITIES_ENDPOINT)
    caching.identities_changed(environment.pk, ["ann"])

    _wait_for(lambda: _raw(own_memcached, memcached_caches, key) not in (None, str(before).encode()), 1.0)
    assert caching.pending_repairs() == {}


@pytest.mark.django_db
def test_bump__memcached_still_frozen__kept_until_it_answers(
    memcached_caches: str, own_memcached: MemcachedServer
) -> None:
    environment = EnvironmentFactory()
    key = f"env-gen:{environment.pk}"
    caching.current_version(environment.pk)
    before = _raw(own_memcached, memcached_caches, key)

    own_memcached.freeze()
    try:
        caching.environments_changed([environment.pk])
        time.sleep(0.6)  # repair rounds time out against the frozen server
        assert caching.pending_repairs() == {(caching.ENVIRONMENT_OBJECTS, key): 1}
    finally:
        own_memcached.thaw()

    _wait_for(lambda: not caching.pending_repairs(), 2.0)
    # The timed-out incr may have been applied when memcached woke up, and the repair
    # made it again: more than one bump is harmless, none would not be.
    assert int(_raw(own_memcached, memcached_caches, key)) > int(before)


@pytest.mark.django_db
def test_bump__memcached_restarted__a_new_counter_no_reader_has_seen(
    memcached_caches: str, own_memcached: MemcachedServer
) -> None:
    environment = EnvironmentFactory()
    key = f"env-gen:{environment.pk}"
    caching.current_version(environment.pk)
    before = int(_raw(own_memcached, memcached_caches, key))

    own_memcached.restart()
    caching.environments_changed([environment.pk])  # the old connection is gone: an error, then a repair

    _wait_for(lambda: _raw(own_memcached, memcached_caches, key) is not None, 1.0)
    assert int(_raw(own_memcached, memcached_caches, key)) != before


@pytest.mark.django_db
def test_generation_unreadable__version_read_from_the_database(
    memcached_caches: str, own_memcached: MemcachedServer
) -> None:
    environment = EnvironmentFactory()
    old = caching.current_version(environment.pk)
    type(environment).objects.filter(pk=environment.pk).update(updated_at=old.replace(year=old.year + 1))

    own_memcached.freeze()
    try:
        assert caching.current_version(environment.pk) == old.replace(year=old.year + 1)
    finally:
        own_memcached.thaw()


@pytest.mark.django_db
def test_fork__child_starts_without_the_parents_repairs(memcached_caches: str, own_memcached: MemcachedServer) -> None:
    """gunicorn forks workers from a preloaded arbiter: a child must not inherit a held lock or a repair."""
    own_memcached.freeze()
    try:
        caching.environments_changed([EnvironmentFactory().pk])
        assert caching.pending_repairs()
        pid = os.fork()
        if pid == 0:  # the child: exit at once with what it found
            os._exit(0 if caching.pending_repairs() == {} and caching._pending_lock.acquire(timeout=1) else 1)
        _, status = os.waitpid(pid, 0)
    finally:
        own_memcached.thaw()

    assert os.waitstatus_to_exitcode(status) == 0
