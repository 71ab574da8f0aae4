"""The memcached hasher: no hashing for one server, pymemcache's choice for several."""

from __future__ import annotations

import pytest
from django.core.cache.backends.memcached import PyMemcacheCache
from pymemcache.client.rendezvous import RendezvousHash

from app.settings.common import _cache
from core.memcached import SingleServerRendezvousHash


def _refuse_to_hash(text: str, seed: int) -> int:
    raise AssertionError("hashed with one server to choose from")


def test_one_server__chosen_without_hashing() -> None:
    hasher = SingleServerRendezvousHash(nodes=["127.0.0.1:11211"], hash_function=_refuse_to_hash)

    assert hasher.get_node("env-gen:1") == "127.0.0.1:11211"


def test_several_servers__same_choice_as_pymemcache() -> None:
    nodes = ["10.0.0.1:11211", "10.0.0.2:11211", "10.0.0.3:11211"]
    ours, theirs = SingleServerRendezvousHash(nodes=list(nodes)), RendezvousHash(nodes=list(nodes))

    assert [ours.get_node(f"key-{n}") for n in range(200)] == [theirs.get_node(f"key-{n}") for n in range(200)]


def test_no_server_left__none() -> None:
    assert SingleServerRendezvousHash().get_node("key") is None


def test_settings__memcached_caches_use_it_and_talk_to_a_real_server(memcached_location: str) -> None:
    config = _cache("django.core.cache.backends.memcached.PyMemcacheCache", memcached_location, 60)
    cache = PyMemcacheCache(config["LOCATION"], {**config, "KEY_PREFIX": "hasher-test"})

    cache.set("answer", 42)

    assert isinstance(cache._cache.hasher, SingleServerRendezvousHash)
    assert cache.get("answer") == 42
    cache.close()


@pytest.mark.parametrize(
    "backend", ["django.core.cache.backends.redis.RedisCache", "django.core.cache.backends.locmem.LocMemCache"]
)
def test_settings__other_backends__no_hasher(backend: str) -> None:
    assert "hasher" not in _cache(backend, "somewhere", 60)["OPTIONS"]
