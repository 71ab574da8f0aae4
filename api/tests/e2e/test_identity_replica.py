"""SDK identity reads on a real streaming hot standby, with read-your-writes across processes.

A PostgreSQL primary and its hot standby of the test's own (tests.pg_standby), two
gunicorn servers with the standby as their read replica and a shared memcached. The
standby's replay is paused to make it lag on purpose: what a read returns then shows
which database served it.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import requests

from tests.cache_servers import MemcachedServer, own_memcached
from tests.e2e.server import RunningServer, gunicorn, manage, subprocess_env
from tests.pg_standby import StreamingPair, streaming_pair
from tests.sdk_compat.configuration import AdminClient

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

EMAIL = "replica@example.com"
PASSWORD = "replica-password-1234"
DATABASE = "banderole_replica"
READ_YOUR_WRITES_SECONDS = 3.0


@pytest.fixture(scope="module")
def pair() -> Iterator[StreamingPair]:
    with streaming_pair() as running:
        with psycopg.connect(running.primary_url, autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {DATABASE}")
        yield running


@pytest.fixture(scope="module")
def memcached() -> Iterator[MemcachedServer]:
    yield from own_memcached()


@dataclass
class Servers:
    a: RunningServer
    b: RunningServer
    key: str


@pytest.fixture(scope="module")
def servers(pair: StreamingPair, memcached: MemcachedServer, tmp_path_factory) -> Iterator[Servers]:
    settings = {
        "DJANGO_SETTINGS_MODULE": "app.settings.production",
        "DJANGO_SECRET_KEY": "replica-secret-key-long-enough-for-production-settings-0123456789",
        "DATABASE_URL": pair.url(pair.primary_port, DATABASE),
    }
    env = subprocess_env(**settings)
    manage("migrate", "--noinput", env=env)
    manage(
        "createsuperuser",
        "--noinput",
        env={**env, "DJANGO_SUPERUSER_EMAIL": EMAIL, "DJANGO_SUPERUSER_PASSWORD": PASSWORD},
    )
    common = {
        **settings,
        "REPLICA_DATABASE_URLS": pair.url(pair.standby_port, DATABASE),
        "REPLICA_READ_YOUR_WRITES_SECONDS": str(READ_YOUR_WRITES_SECONDS),
        "ENVIRONMENT_CACHE_BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache",
        "ENVIRONMENT_CACHE_LOCATION": memcached.location,
        "GUNICORN_WORKERS": "2",
    }
    logs = tmp_path_factory.mktemp("replica")
    with (
        gunicorn(Path(logs / "a.log"), ready_path="/health/liveness/", **common) as a,
        gunicorn(Path(logs / "b.log"), ready_path="/health/liveness/", **common) as b,
    ):
        admin = AdminClient(a.url)
        admin.login(EMAIL, PASSWORD)
        organisation = admin.call("POST", "organisations/", {"name": "Replica"}, 201)
        project = admin.call("POST", "projects/", {"name": "Replica", "organisation": organisation["id"]}, 201)
        environment = admin.call("POST", "environments/", {"name": "Live", "project": project["id"]}, 201)
        yield Servers(a, b, environment["api_key"])


def _post_plan(server: RunningServer, key: str, identifier: str, plan: str) -> None:
    response = requests.post(
        f"{server.url}/api/v1/identities/",
        json={"identifier": identifier, "traits": [{"trait_key": "plan", "trait_value": plan}]},
        headers={"X-Environment-Key": key},
        timeout=10,
    )
    response.raise_for_status()


def _plan(server: RunningServer, key: str, identifier: str) -> tuple[str | None, float]:
    started = time.monotonic()
    response = requests.get(
        f"{server.url}/api/v1/identities/?identifier={identifier}", headers={"X-Environment-Key": key}, timeout=10
    )
    seconds = time.monotonic() - started
    response.raise_for_status()
    traits = {trait["trait_key"]: trait["trait_value"] for trait in response.json()["traits"]}
    return traits.get("plan"), seconds


def _set_plan_on_primary_behind_the_api(pair: StreamingPair, identifier: str, plan: str) -> None:
    """A change no Banderole process knows of: only replication can bring it to the standby."""
    with psycopg.connect(pair.url(pair.primary_port, DATABASE), autocommit=True) as connection:
        updated = connection.execute(
            "UPDATE identities_trait SET string_value = %s WHERE trait_key = 'plan' AND identity_id = "
            "(SELECT id FROM identities_identity WHERE identifier = %s)",
            [plan, identifier],
        ).rowcount
    assert updated == 1


def test_identity_not_written_lately__served_by_the_standby(servers: Servers, pair: StreamingPair) -> None:
    _post_plan(servers.a, servers.key, "carol", "free")
    # The shared marker outlives the window by a second (memcached expires in whole seconds).
    time.sleep(READ_YOUR_WRITES_SECONDS + 2.0)
    pair.wait_caught_up()
    pair.pause_replay()
    try:
        _set_plan_on_primary_behind_the_api(pair, "carol", "pro")
        lagging = [_plan(server, servers.key, "carol")[0] for server in (servers.a, servers.b) for _ in range(5)]
    finally:
        pair.resume_replay()
    pair.wait_caught_up()
    caught_up = [_plan(server, servers.key, "carol")[0] for server in (servers.a, servers.b)]

    assert lagging == ["free"] * 10  # the standby answered, as it was when replay paused
    assert caught_up == ["pro", "pro"]


def test_client_that_just_wrote__reads_its_write_from_any_process(servers: Servers, pair: StreamingPair) -> None:
    _post_plan(servers.a, servers.key, "ann", "free")
    # The shared marker outlives the window by a second (memcached expires in whole seconds).
    time.sleep(READ_YOUR_WRITES_SECONDS + 2.0)
    pair.wait_caught_up()
    pair.pause_replay()  # from now on the standby lags by everything written
    reads: list[tuple[str | None, float]] = []
    try:
        _post_plan(servers.a, servers.key, "ann", "pro")
        written = time.monotonic()
        while time.monotonic() - written < READ_YOUR_WRITES_SECONDS - 0.2:  # the whole window
            reads.append(_plan(servers.a, servers.key, "ann"))
            reads.append(_plan(servers.b, servers.key, "ann"))
    finally:
        pair.resume_replay()
    stale = [plan for plan, _ in reads if plan != "pro"]
    print(
        f"\nread-your-writes with the standby paused: {len(reads)} reads through both servers, "
        f"{len(stale)} stale, median {statistics.median(s for _, s in reads) * 1000:.1f} ms"
    )
    assert len(reads) >= 10
    assert not stale


def test_standby_stopped__skipped_and_the_primary_answers(servers: Servers, pair: StreamingPair) -> None:
    _post_plan(servers.a, servers.key, "dave", "free")
    # The shared marker outlives the window by a second (memcached expires in whole seconds).
    time.sleep(READ_YOUR_WRITES_SECONDS + 2.0)
    pair.stop_standby()
    reads = [_plan(server, servers.key, "dave") for server in (servers.a, servers.b) for _ in range(10)]

    assert [plan for plan, _ in reads] == ["free"] * 20
    assert max(seconds for _, seconds in reads) < 2.5  # REPLICA_CONNECT_TIMEOUT is 2 s; refused is at once
