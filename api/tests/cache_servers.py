"""Real cache servers for tests: a private memcached per test session, and the machine's Redis.

Missing servers skip their tests with the reason, except under ``CI=true``,
where ``.ci/run`` installs memcached and Redis runs, so a skip would hide a gap.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: .ci/run must provide it)")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def run_memcached() -> Iterator[str]:
    """Start memcached on a free port for the session; yields ``host:port``."""
    binary = shutil.which("memcached") or ("/usr/bin/memcached" if os.path.exists("/usr/bin/memcached") else None)
    if binary is None:
        unavailable("memcached is not installed (apt-get install -y memcached; make test installs it when it can)")
    port = free_port()
    command = [binary, "-l", "127.0.0.1", "-p", str(port), "-U", "0", "-m", "64"]
    if os.geteuid() == 0:
        command += ["-u", "nobody"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not _answers("127.0.0.1", port):
            if process.poll() is not None or time.monotonic() > deadline:
                unavailable(f"memcached did not start (exit code {process.poll()})")
            time.sleep(0.05)
        yield f"127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def redis_url() -> str:
    host_port = REDIS_URL.split("//", 1)[1].split("/", 1)[0]
    host, _, port = host_port.partition(":")
    if not _answers(host, int(port or 6379)):
        unavailable(f"Redis is not answering at {host_port} (set TEST_REDIS_URL)")
    return REDIS_URL
