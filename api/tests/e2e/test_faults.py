"""Faults under load: two gunicorn servers, a real memcached of the test's own, PostgreSQL.

Each test injects one fault while an SDK reader and a writer keep going, and holds the
bound docs/operations.md#faults states:

- a memcached freeze (SIGSTOP/SIGCONT) or restart loses no invalidation: every read
  that starts 1 s after memcached answers again is current;
- during a freeze a request pays about one socket timeout, not one per cache.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from tests.cache_servers import MemcachedServer, own_memcached
from tests.e2e.server import RunningServer, fresh_postgres_database, gunicorn, manage, subprocess_env
from tests.sdk_compat.configuration import AdminClient

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

EMAIL = "faults@example.com"
PASSWORD = "faults-password-1234"
PYMEMCACHE = "django.core.cache.backends.memcached.PyMemcacheCache"
SOCKET_TIMEOUT = 0.5  # CACHE_SOCKET_TIMEOUT_SECONDS, the default
# From memcached answering again to every read being current.
CURRENT_AFTER = 1.0


@pytest.fixture(scope="module")
def memcached() -> Iterator[MemcachedServer]:
    yield from own_memcached()


@pytest.fixture(scope="module")
def database_env() -> Iterator[dict[str, str]]:
    with fresh_postgres_database("banderole_faults") as url:
        settings = {
            "DJANGO_SETTINGS_MODULE": "app.settings.production",
            "DJANGO_SECRET_KEY": "faults-secret-key-long-enough-for-production-settings-0123456789",
            "DATABASE_URL": url,
        }
        env = subprocess_env(**settings)
        manage("migrate", "--noinput", env=env)
        manage(
            "createsuperuser",
            "--noinput",
            env={**env, "DJANGO_SUPERUSER_EMAIL": EMAIL, "DJANGO_SUPERUSER_PASSWORD": PASSWORD},
        )
        yield settings


@dataclass
class Servers:
    writer: RunningServer
    reader: RunningServer


@pytest.fixture(scope="module")
def servers(database_env, memcached: MemcachedServer, tmp_path_factory) -> Iterator[Servers]:
    """docker-compose's cache mode: every memcached-backed cache on, on one memcached."""
    location = memcached.location
    cache_settings = {
        "ENVIRONMENT_CACHE_BACKEND": PYMEMCACHE,
        "ENVIRONMENT_CACHE_LOCATION": location,
        "GET_IDENTITIES_ENDPOINT_CACHE_SECONDS": "60",
        "GET_IDENTITIES_ENDPOINT_CACHE_BACKEND": PYMEMCACHE,
        "GET_IDENTITIES_ENDPOINT_CACHE_LOCATION": location,
        "GET_FLAGS_ENDPOINT_CACHE_SECONDS": "60",
        "GET_FLAGS_ENDPOINT_CACHE_BACKEND": PYMEMCACHE,
        "GET_FLAGS_ENDPOINT_CACHE_LOCATION": location,
        "CACHE_ENVIRONMENT_DOCUMENT_MODE": "PERSISTENT",
        "CACHE_ENVIRONMENT_DOCUMENT_BACKEND": PYMEMCACHE,
        "CACHE_ENVIRONMENT_DOCUMENT_LOCATION": location,
        # Only the shared cache may tell the reader about a change.
        "ENVIRONMENT_VERSION_CHECK_SECONDS": "3600",
    }
    logs = tmp_path_factory.mktemp("faults")
    common = {**database_env, **cache_settings, "GUNICORN_WORKERS": "1"}
    with (
        gunicorn(Path(logs / "writer.log"), ready_path="/health/liveness/", **common) as writer,
        gunicorn(Path(logs / "reader.log"), ready_path="/health/liveness/", **common) as reader,
    ):
        yield Servers(writer, reader)


@dataclass
class Setup:
    admin: AdminClient
    client_key: str
    kill_switch_state: int


@pytest.fixture(scope="module")
def setup(servers: Servers) -> Setup:
    admin = AdminClient(servers.writer.url)
    admin.login(EMAIL, PASSWORD)
    organisation = admin.call("POST", "organisations/", {"name": "Faults"}, 201)
    project = admin.call("POST", "projects/", {"name": "Faults", "organisation": organisation["id"]}, 201)
    environment = admin.call("POST", "environments/", {"name": "Live", "project": project["id"]}, 201)
    key = environment["api_key"]
    kill_switch = admin.call("POST", f"projects/{project['id']}/features/", {"name": "kill_switch"}, 201)
    banner = admin.call(
        "POST", f"projects/{project['id']}/features/", {"name": "banner", "initial_value": "plain"}, 201
    )
    rules = [{"type": "ALL", "conditions": [{"operator": "EQUAL", "property": "plan", "value": "pro"}]}]
    segment = admin.call("POST", f"projects/{project['id']}/segments/", {"name": "pro", "rules": rules}, 201)
    admin.call(
        "POST",
        f"environments/{key}/features/{banner['id']}/create-segment-override/",
        {"feature_segment": {"segment": segment["id"]}, "enabled": True, "feature_state_value": "pro banner"},
        201,
    )
    states = admin.call("GET", f"environments/{key}/featurestates/?feature={kill_switch['id']}")
    states = states["results"] if isinstance(states, dict) else states
    state = next(item for item in states if item["feature"] == kill_switch["id"])
    setup = Setup(admin, key, state["id"])
    write_state(servers, setup, State(kill_switch=False, plan="free"))
    return setup


@dataclass(frozen=True)
class State:
    kill_switch: bool
    plan: str

    @property
    def banner(self) -> str:
        return "pro banner" if self.plan == "pro" else "plain"


def write_state(servers: Servers, setup: Setup, state: State) -> None:
    """The flag through the admin API, the trait through the SDK API, both on the writer."""
    setup.admin.call(
        "PATCH",
        f"environments/{setup.client_key}/featurestates/{setup.kill_switch_state}/",
        {"enabled": state.kill_switch},
    )
    response = requests.post(
        f"{servers.writer.url}/api/v1/identities/",
        json={"identifier": "ida", "traits": [{"trait_key": "plan", "trait_value": state.plan}]},
        headers={"X-Environment-Key": setup.client_key},
        timeout=30,
    )
    response.raise_for_status()


@dataclass
class Read:
    started: float
    seconds: float
    state: State | None  # None: the request failed


@dataclass
class Reader:
    """A thread reading one identity's flags from the reader server, as fast as it answers."""

    url: str
    key: str
    reads: list[Read] = field(default_factory=list)
    paused: threading.Event = field(default_factory=threading.Event)
    stopped: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        session = requests.Session()
        session.headers["X-Environment-Key"] = self.key
        while not self.stopped.is_set():
            if self.paused.is_set():
                time.sleep(0.01)
                continue
            started = time.monotonic()
            try:
                response = session.get(f"{self.url}/api/v1/identities/?identifier=ida", timeout=30)
                response.raise_for_status()
                flags = {flag["feature"]["name"]: flag for flag in response.json()["flags"]}
                state = State(
                    flags["kill_switch"]["enabled"],
                    "pro" if flags["banner"]["feature_state_value"] == "pro banner" else "free",
                )
            except (requests.RequestException, KeyError, ValueError):
                state = None
            self.reads.append(Read(started, time.monotonic() - started, state))
            time.sleep(0.01)

    def __enter__(self) -> Reader:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopped.set()
        self.thread.join(timeout=60)

    def since(self, moment: float) -> list[Read]:
        return [read for read in list(self.reads) if read.started >= moment]


def _stale(reads: list[Read], expected: State) -> list[Read]:
    return [read for read in reads if read.state != expected]


@dataclass
class Writer:
    """A thread flipping the flag and the trait on the writer server until told to stop."""

    servers: Servers
    setup: Setup
    flip: int = 0
    last: State | None = None
    last_acknowledged_at: float = 0.0
    stopped: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stopped.is_set():
            self.flip += 1
            state = State(kill_switch=self.flip % 2 == 0, plan="pro" if self.flip % 3 == 0 else "free")
            write_state(self.servers, self.setup, state)
            self.last, self.last_acknowledged_at = state, time.monotonic()
            time.sleep(0.05)

    def __enter__(self) -> Writer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopped.set()
        self.thread.join(timeout=60)


def _fault_cycle(servers: Servers, setup: Setup, reader: Reader, fault, recover) -> dict[str, object]:
    """Warm the reader; inject the fault with the reader idle and the writer busy through it.

    The reader pauses during the fault, so its cache clients never see it fail: exactly
    the reader a lost bump leaves stale. It reads again as soon as memcached answers,
    while the writer keeps writing for 0.8 s with clients that may still be waiting out
    their retry window (or count the server dead); every read from 1 s after recovery
    must show the writer's last write.
    """
    time.sleep(0.5)  # the reader has read the state before the fault
    reader.paused.set()
    with Writer(servers, setup) as writer:
        fault()
        answered = recover()
        reader.paused.clear()
        time.sleep(0.8)
    assert writer.last is not None and writer.last_acknowledged_at - answered < CURRENT_AFTER
    time.sleep(CURRENT_AFTER + 2.0)
    checked = reader.since(answered + CURRENT_AFTER)
    assert len(checked) >= 20, f"only {len(checked)} reads to check"
    stale = _stale(checked, writer.last)
    # After the last write was acknowledged: how long until reads showed it (for the docs).
    behind = _stale(reader.since(writer.last_acknowledged_at), writer.last)
    lag = max((read.started + read.seconds for read in behind), default=writer.last_acknowledged_at)
    return {
        "writes": writer.flip,
        "reads checked": len(checked),
        "stale": len(stale),
        "last write acknowledged (s after answer)": round(writer.last_acknowledged_at - answered, 2),
        "current from (s after answer)": round(lag - answered, 2),
    }


def test_memcached_freeze_and_restart__every_read_current_one_second_after_it_answers(
    servers: Servers, setup: Setup, memcached: MemcachedServer
) -> None:
    def freeze() -> None:
        memcached.freeze()

    def thaw() -> float:
        time.sleep(3.0)  # the freeze of the report
        memcached.thaw()
        return time.monotonic()

    def kill() -> None:
        memcached.stop()

    def start_again() -> float:
        time.sleep(1.0)
        memcached.start_again()
        return time.monotonic()

    results = {}
    with Reader(servers.reader.url, setup.client_key) as reader:
        results["freeze 3 s"] = _fault_cycle(servers, setup, reader, freeze, thaw)
        results["restart"] = _fault_cycle(servers, setup, reader, kill, start_again)
        results["freeze 3 s, again"] = _fault_cycle(servers, setup, reader, freeze, thaw)
    print(f"\nmemcached faults: {results}")
    assert all(result["stale"] == 0 for result in results.values()), results


def test_memcached_freeze__a_request_pays_about_one_socket_timeout(
    servers: Servers, setup: Setup, memcached: MemcachedServer
) -> None:
    """Four SDK clients read through a 3 s freeze; the writer keeps writing through it."""
    readers = [Reader(servers.reader.url, setup.client_key) for _ in range(4)]
    for reader in readers:
        reader.__enter__()
    try:
        with Writer(servers, setup) as writer:
            time.sleep(1.0)
            memcached.freeze()
            frozen = time.monotonic()
            time.sleep(3.0)
            memcached.thaw()
            thawed = time.monotonic()
            time.sleep(0.5)
    finally:
        for reader in readers:
            reader.__exit__()
    # Every read that overlapped the freeze, including those in flight when it began.
    during = [
        read
        for reader in readers
        for read in reader.reads
        if read.started < thawed and read.started + read.seconds > frozen
    ]
    seconds = sorted(read.seconds for read in during)
    failed = [read for read in during if read.state is None]
    slow = [value for value in seconds if value >= SOCKET_TIMEOUT * 0.8]
    figures = {
        "reads during the freeze": len(during),
        "failed": len(failed),
        "median (s)": round(statistics.median(seconds), 3),
        "max (s)": round(seconds[-1], 3),
        f"paid a timeout (>= {SOCKET_TIMEOUT * 0.8:g} s)": len(slow),
        "writes": writer.flip,
    }
    print(f"\nrequests during a memcached freeze: {figures}")
    assert not failed
    assert len(during) >= 20, figures
    # About one timeout: the request that trips the circuit (and any in flight with it).
    assert seconds[-1] < SOCKET_TIMEOUT * 2, figures
    assert statistics.median(seconds) < 0.1, figures
