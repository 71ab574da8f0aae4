"""A graceful reload (SIGHUP to gunicorn's master) under steady SDK load fails no request.

Gunicorn with the shipped config and its defaults (3 workers, 2 threads), on
PostgreSQL; SDK clients (the official Python SDK, with its default retries) and plain
keep-alive clients without any retry read flags and identities through the reload.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from flagsmith import Flagsmith

from tests.e2e.server import RunningServer, fresh_postgres_database, gunicorn, manage, subprocess_env
from tests.sdk_compat.configuration import AdminClient

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

EMAIL = "reload@example.com"
PASSWORD = "reload-password-1234"
# The slowest request through the reload (a loaded 2-core machine).
SLOWEST = 3.0


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[RunningServer]:
    with fresh_postgres_database("banderole_reload") as url:
        settings = {
            "DJANGO_SETTINGS_MODULE": "app.settings.production",
            "DJANGO_SECRET_KEY": "reload-secret-key-long-enough-for-production-settings-0123456789",
            "DATABASE_URL": url,
        }
        env = subprocess_env(**settings)
        manage("migrate", "--noinput", env=env)
        manage(
            "createsuperuser",
            "--noinput",
            env={**env, "DJANGO_SUPERUSER_EMAIL": EMAIL, "DJANGO_SUPERUSER_PASSWORD": PASSWORD},
        )
        logs = tmp_path_factory.mktemp("reload")
        overrides = {name: os.environ[name] for name in ("GUNICORN_PRELOAD_APP",) if name in os.environ}
        with gunicorn(
            Path(logs / "server.log"), ready_path="/health/liveness/", **settings, GUNICORN_WORKERS="3", **overrides
        ) as running:
            yield running


@pytest.fixture(scope="module")
def client_key(server: RunningServer) -> str:
    admin = AdminClient(server.url)
    admin.login(EMAIL, PASSWORD)
    organisation = admin.call("POST", "organisations/", {"name": "Reload"}, 201)
    project = admin.call("POST", "projects/", {"name": "Reload", "organisation": organisation["id"]}, 201)
    environment = admin.call("POST", "environments/", {"name": "Live", "project": project["id"]}, 201)
    admin.call("POST", f"projects/{project['id']}/features/", {"name": "checkout", "default_enabled": True}, 201)
    return environment["api_key"]


@dataclass
class Load:
    """Threads reading flags in a loop; each failure is kept with its time and error."""

    calls: int = 0
    failures: list[tuple[float, str]] = field(default_factory=list)
    slowest: float = 0.0
    stopped: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, started: float, error: Exception | None) -> None:
        with self.lock:
            self.calls += 1
            self.slowest = max(self.slowest, time.monotonic() - started)
            if error is not None:
                self.failures.append((started, repr(error)[:300]))


def _sdk_client(server: RunningServer, key: str, load: Load, number: int) -> None:
    flagsmith = Flagsmith(environment_key=key, api_url=f"{server.url}/api/v1/")
    while not load.stopped.is_set():
        started = time.monotonic()
        try:
            assert flagsmith.get_environment_flags().is_feature_enabled("checkout")
            identity = flagsmith.get_identity_flags(f"user-{number}", traits={"plan": "pro"})
            assert identity.is_feature_enabled("checkout")
            load.record(started, None)
        except Exception as error:
            load.record(started, error)


def _plain_client(server: RunningServer, key: str, load: Load, number: int) -> None:
    """Keep-alive connections and no retries at all: what a reload must not break either."""
    session = requests.Session()
    session.headers["X-Environment-Key"] = key
    while not load.stopped.is_set():
        started = time.monotonic()
        try:
            response = session.get(f"{server.url}/api/v1/identities/?identifier=plain-{number}", timeout=10)
            response.raise_for_status()
            load.record(started, None)
        except Exception as error:
            load.record(started, error)


def _booted_workers(server: RunningServer) -> int:
    return server.log().count("Booting worker with pid")


def test_sighup__zero_failed_requests(server: RunningServer, client_key: str) -> None:
    sdk, plain = Load(), Load()
    threads = [threading.Thread(target=_sdk_client, args=(server, client_key, sdk, n)) for n in range(3)]
    threads += [threading.Thread(target=_plain_client, args=(server, client_key, plain, n)) for n in range(3)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(3.0)
        booted = _booted_workers(server)
        before = (sdk.calls, plain.calls)
        assert server.pid is not None
        os.kill(server.pid, signal.SIGHUP)
        reloaded = time.monotonic()
        deadline = reloaded + 30
        while _booted_workers(server) < booted + 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(5.0)
    finally:
        sdk.stopped.set()
        plain.stopped.set()
        for thread in threads:
            thread.join(timeout=60)

    figures = {
        "SDK calls": sdk.calls,
        "SDK failures": len(sdk.failures),
        "SDK slowest (s)": round(sdk.slowest, 3),
        "plain calls": plain.calls,
        "plain failures": len(plain.failures),
        "plain slowest (s)": round(plain.slowest, 3),
    }
    print(f"\nSIGHUP under load: {figures}")
    assert _booted_workers(server) >= booted + 3, "the reload did not start new workers"
    assert sdk.calls > before[0] and plain.calls > before[1]
    assert not sdk.failures, (figures, sdk.failures[:5])
    assert not plain.failures, (figures, plain.failures[:5])
    # No stall either: new workers answer at once (without preload: 2-10 s).
    assert max(sdk.slowest, plain.slowest) < SLOWEST, figures
