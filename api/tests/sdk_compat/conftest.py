"""A real Banderole server on a fresh PostgreSQL database, configured through its admin API.

The session starts gunicorn (production settings, two workers) on a database of
its own, created from the server the test run's ``DATABASE_URL`` points at and
dropped at the end, so it never touches pytest-django's test database. The
configuration is then built with the admin HTTP API only, as a dashboard user
would (``configuration.py``).
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from flagsmith import Flagsmith

from tests.e2e.server import RunningServer, fresh_postgres_database, gunicorn, manage, subprocess_env
from tests.sdk_compat.configuration import AdminClient, Configuration, build_configuration

IN_CI = os.environ.get("CI", "").lower() == "true"
SUPERUSER_EMAIL = "sdk-compat@example.com"
SUPERUSER_PASSWORD = "sdk-compat-password-1234"


@pytest.fixture(scope="session")
def server_database_url() -> Iterator[str]:
    """A new, empty PostgreSQL database for the server, dropped after the session."""
    with fresh_postgres_database("banderole_sdk") as url:
        yield url


@pytest.fixture(scope="session")
def server(server_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """gunicorn with production settings and two workers on the fresh database, migrated first."""
    settings = {
        "DJANGO_SETTINGS_MODULE": "app.settings.production",
        "DJANGO_SECRET_KEY": "sdk-compat-secret-key-long-enough-for-production-settings-0123456789",
        "DATABASE_URL": server_database_url,
    }
    env = subprocess_env(**settings)
    manage("migrate", "--noinput", env=env)
    manage(
        "createsuperuser",
        "--noinput",
        env={**env, "DJANGO_SUPERUSER_EMAIL": SUPERUSER_EMAIL, "DJANGO_SUPERUSER_PASSWORD": SUPERUSER_PASSWORD},
    )
    log_path = tmp_path_factory.mktemp("sdk_compat") / "gunicorn.log"
    # Evaluation counts are buffered per process; a 1 s flush lets the metrics tests see them soon.
    with gunicorn(
        log_path, ready_path="/health/liveness/", GUNICORN_WORKERS="2", FEATURE_EVALUATION_CACHE_SECONDS="1", **settings
    ) as running:
        yield running


@pytest.fixture(scope="session")
def configuration(server: RunningServer) -> Configuration:
    """The organisation, project, environment, features, segments and overrides every SDK test reads."""
    return build_configuration(server.url, SUPERUSER_EMAIL, SUPERUSER_PASSWORD)


@pytest.fixture(scope="session")
def admin_session(server: RunningServer) -> Iterator[requests.Session]:
    """A logged-in dashboard user's session on the admin API (the superuser)."""
    admin = AdminClient(server.url)
    admin.login(SUPERUSER_EMAIL, SUPERUSER_PASSWORD)
    yield admin.session
    admin.session.close()


@pytest.fixture(scope="session")
def api_url(server: RunningServer) -> str:
    return f"{server.url}/api/v1/"


def _node_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed: the flagsmith-nodejs suite needs Node 20 and npm"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def node_project() -> Path:
    """tests/sdk_compat/node with its pinned dependencies installed (``npm ci``, skipped when current)."""
    node, npm = _node_tool("node"), _node_tool("npm")
    project = Path(__file__).resolve().parent / "node"
    lock = project / "package-lock.json"
    # npm writes node_modules/.package-lock.json on every install: newer than the lock means current.
    installed = project / "node_modules" / ".package-lock.json"
    if not installed.exists() or installed.stat().st_mtime < lock.stat().st_mtime:
        result = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"], cwd=project, capture_output=True, text=True, timeout=300
        )
        if result.returncode != 0:
            pytest.fail(f"npm ci failed:\n{result.stdout}{result.stderr}")
    version = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
    if int(version.lstrip("v").split(".")[0]) < 20:
        message = f"flagsmith-nodejs 8 needs Node 20 or later; found {version}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return project


@pytest.fixture(scope="session")
def remote_client(configuration: Configuration) -> Iterator[Flagsmith]:
    """The official Python SDK evaluating remotely: every call is a request to the server."""
    client = Flagsmith(environment_key=configuration.server_key, api_url=configuration.api_url, enable_analytics=False)
    yield client
    client.session.close()


@pytest.fixture(scope="session")
def local_client(configuration: Configuration) -> Iterator[Flagsmith]:
    """The official Python SDK evaluating locally: it fetches the environment document once."""
    client = Flagsmith(
        environment_key=configuration.server_key,
        api_url=configuration.api_url,
        enable_local_evaluation=True,
        enable_analytics=False,
        # Longer than the session: the document is fetched once, at start.
        environment_refresh_interval_seconds=3600,
    )
    assert client._evaluation_context is not None, "the local client could not read the environment document"
    yield client
    client.environment_data_polling_manager_thread.stop()
    client.session.close()


CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's Chromium, which playwright-core drives (browser downloads do not work everywhere)."""
    if not Path(CHROMIUM).exists():
        message = f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def test_site(node_project: Path) -> Iterator[str]:
    """tests/sdk_compat/node served on 127.0.0.1: the browser tests' pages and the SDKs' own builds.

    Its own port, so every call from its pages to the Banderole server is cross-origin, as
    from a customer's site.
    """
    handler = functools.partial(_QuietHandler, directory=str(node_project))
    site = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=site.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{site.server_address[1]}"
    site.shutdown()
    site.server_close()
