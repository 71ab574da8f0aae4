"""A real Banderole server process for end-to-end tests: gunicorn with the shipped config.

Used by the deploy tests (SQLite, one worker) and the SDK compatibility suites
(PostgreSQL, several workers). The subprocess gets the test run's environment
minus anything that would choose a database or a gunicorn setting, plus what
the caller passes, so the shell running the tests cannot change the outcome.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

API_DIR = Path(__file__).resolve().parents[2]
GUNICORN_CONF = API_DIR / "app" / "gunicorn.conf.py"
# The venv running the tests is the one whose gunicorn the Procfile and image use.
VENV_BIN = Path(sys.executable).parent

# Everything gunicorn.conf.py reads.
GUNICORN_VARIABLES = (
    "PORT",
    "GUNICORN_WORKERS",
    "GUNICORN_THREADS",
    "GUNICORN_TIMEOUT",
    "GUNICORN_KEEP_ALIVE",
    "GUNICORN_CONTROL_SOCKET",
    "ACCESS_LOG_LOCATION",
    "ACCESS_LOG_FORMAT",
    "STATSD_HOST",
    "STATSD_PORT",
    "STATSD_PREFIX",
    "LOG_LEVEL",
    "PROMETHEUS_ENABLED",
    "PROMETHEUS_MULTIPROC_DIR",
    "GUNICORN_PRELOAD_APP",
    "BANDEROLE_THREADS_AFTER_FORK",
)
# Database selection: a subprocess uses only the database its caller names.
DATABASE_VARIABLE_PREFIXES = ("DATABASE_URL", "DJANGO_DB_", "REPLICA_DATABASE_URL", "SQLITE_PATH")


def subprocess_env(**overrides: str) -> dict[str, str]:
    """The test's environment minus anything that would pick a database or gunicorn setting."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in GUNICORN_VARIABLES and not name.startswith(DATABASE_VARIABLE_PREFIXES)
    }
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env.update(overrides)
    return env


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class RunningServer:
    port: int
    env: dict[str, str]
    log_path: Path
    pid: int | None = None  # gunicorn's master (the arbiter), for signals

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def _wait_until_up(process: subprocess.Popen, server: RunningServer, ready_path: str | None, timeout: float) -> None:
    """Until the port accepts connections and, if given, ``ready_path`` answers 200."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            pytest.fail(f"the server exited with {process.returncode}:\n{server.log()}")
        try:
            if ready_path is None:
                with socket.create_connection(("127.0.0.1", server.port), timeout=1):
                    return
            else:
                with urllib.request.urlopen(server.url + ready_path, timeout=2) as response:
                    if response.status == 200:
                        return
        except (OSError, urllib.error.URLError):
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"the server was not up within {timeout:g} s:\n{server.log()}")
        time.sleep(0.2)


@contextlib.contextmanager
def gunicorn(
    log_path: Path,
    *,
    ready_path: str | None = None,
    timeout: float = 60,
    port: int | None = None,
    **env_overrides: str,
) -> Iterator[RunningServer]:
    """gunicorn from this venv with the shipped config and production settings, on 127.0.0.1.

    ``env_overrides`` must name the database (``DATABASE_URL``, or ``SQLITE_PATH`` with
    ``ALLOW_SQLITE_IN_PRODUCTION``). ``--bind`` on the command line overrides the config's
    0.0.0.0 so the server stays local; PORT still names the port, as it would for the
    healthcheck inside the image. One worker unless ``GUNICORN_WORKERS`` says otherwise.
    """
    port = port or free_port()
    defaults = {
        "DJANGO_SETTINGS_MODULE": "app.settings.production",
        "DJANGO_SECRET_KEY": "e2e-test-secret-key-long-enough-for-production-settings",
        "GUNICORN_WORKERS": "1",
    }
    env = subprocess_env(**{**defaults, **env_overrides, "PORT": str(port)})
    command = [str(VENV_BIN / "gunicorn"), "-c", str(GUNICORN_CONF), "--bind", f"127.0.0.1:{port}"]
    with log_path.open("w") as output:
        process = subprocess.Popen(
            [*command, "app.wsgi:application"], cwd=API_DIR, env=env, stdout=output, stderr=subprocess.STDOUT
        )
        server = RunningServer(port=port, env=env, log_path=log_path, pid=process.pid)
        try:
            _wait_until_up(process, server, ready_path, timeout)
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)


@contextlib.contextmanager
def stream_process(
    log_path: Path, *, env: dict[str, str], port: int | None = None, timeout: float = 60
) -> Iterator[RunningServer]:
    """``manage.py runrealtime`` (the realtime stream process) on 127.0.0.1, ready once it listens for changes.

    ``env`` is a server's (``RunningServer.env``): the same database and settings.
    """
    port = port or free_port()
    env = {**env, "REALTIME_PORT": str(port)}
    server = RunningServer(port=port, env=env, log_path=log_path)
    command = [str(VENV_BIN / "python"), "manage.py", "runrealtime", "--host", "127.0.0.1"]
    with log_path.open("w") as output:
        process = subprocess.Popen(command, cwd=API_DIR, env=env, stdout=output, stderr=subprocess.STDOUT)
        try:
            _wait_until_up(process, server, "/health/readiness/", timeout)
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)


def manage(*args: str, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """``manage.py <args>`` from this venv under ``env``; fails the test with its output on error."""
    result = subprocess.run(
        [str(VENV_BIN / "python"), "manage.py", *args],
        cwd=API_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        pytest.fail(f"manage.py {' '.join(args)} exited with {result.returncode}:\n{result.stdout}{result.stderr}")
    return result


def _with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def _maintenance_connection(url: str) -> Any:
    """A connection that may create databases: the run's own database, else ``postgres``."""
    import psycopg

    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError:
        return psycopg.connect(_with_database(url, "postgres"), autocommit=True, connect_timeout=5)


@contextlib.contextmanager
def fresh_postgres_database(prefix: str) -> Iterator[str]:
    """A new, empty database on the server the run's ``DATABASE_URL`` names; dropped afterwards.

    The server gets its own database, never pytest-django's test database.
    """
    from psycopg import sql

    run_url = os.environ.get("DATABASE_URL", "")
    if not run_url.startswith(("postgres://", "postgresql://")):
        pytest.skip("needs DATABASE_URL pointing at a PostgreSQL server")
    name = f"{prefix}_{os.getpid()}"
    with _maintenance_connection(run_url) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield _with_database(run_url, name)
    finally:
        with _maintenance_connection(run_url) as connection:
            # WITH (FORCE): a connection the stopped server left behind must not keep it alive.
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
