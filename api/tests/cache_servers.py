"""Real cache servers for tests: a private memcached per test session, and the machine's Redis.

Missing servers skip their tests with the reason, except under ``CI=true``,
where ``.ci/run`` installs memcached and Redis runs, so a skip would hide a gap.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

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


def _memcached_pid(host: str, port: int) -> int | None:
    """The pid that memcached's ``stats`` reports for the server answering on the port."""
    try:
        with socket.create_connection((host, port), timeout=2) as connection:
            connection.sendall(b"stats\r\n")
            received = b""
            while not received.endswith(b"END\r\n"):
                chunk = connection.recv(65536)
                if not chunk:
                    break
                received += chunk
    except OSError:
        return None
    for line in received.decode(errors="replace").splitlines():
        if line.startswith("STAT pid "):
            return int(line.split()[2])
    return None


def _memcached_binary() -> str:
    binary = shutil.which("memcached") or ("/usr/bin/memcached" if os.path.exists("/usr/bin/memcached") else None)
    if binary is None:
        unavailable("memcached is not installed (apt-get install -y memcached; make test installs it when it can)")
    return binary


class MemcachedServer:
    """A memcached of the test's own on a fixed port: frozen, thawed, killed, restarted at will."""

    def __init__(self, port: int | None = None) -> None:
        self.binary = _memcached_binary()
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None

    @property
    def location(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start on the port; a new free port if another server took it (and so answers on it)."""
        for _ in range(5):
            if self._start_on_port():
                return
            self.port = free_port()
        unavailable(f"memcached did not start (exit code {self.process.poll() if self.process else None})")

    def _start_on_port(self) -> bool:
        command = [self.binary, "-l", "127.0.0.1", "-p", str(self.port), "-U", "0", "-m", "64"]
        if os.geteuid() == 0:
            command += ["-u", "nobody"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not _answers("127.0.0.1", self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        # Something answers: ours, unless another server took the port first (tests running
        # side by side pick free ports too); memcached's own stats say whose it is.
        if _memcached_pid("127.0.0.1", self.port) == self.process.pid:
            return True
        self.process.kill()
        self.process.wait(timeout=10)
        return False

    def freeze(self) -> None:
        """SIGSTOP: connections are still accepted by the kernel, nothing is answered."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)
        self._wait_for_threads(stopped=True)

    def thaw(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)
        self._wait_for_threads(stopped=False)

    def _wait_for_threads(self, stopped: bool) -> None:
        """A signal reaches a thread running on another core a moment later: wait for every thread."""
        assert self.process is not None
        tasks = Path(f"/proc/{self.process.pid}/task")
        deadline = time.monotonic() + 2
        while tasks.exists() and time.monotonic() < deadline:
            states = []
            for stat in tasks.glob("*/stat"):
                with contextlib.suppress(OSError):
                    # "pid (comm) S ...": the state follows the command's closing parenthesis.
                    states.append(stat.read_text().rsplit(")", 1)[1].split()[0])
            if states and all((state in "Tt") is stopped for state in states):
                return
            time.sleep(0.005)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGCONT)  # a stopped process would not act on SIGTERM
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def start_again(self) -> None:
        """After ``stop``: start on the same port, which clients are configured with."""
        for _ in range(3):
            if self._start_on_port():
                return
            time.sleep(0.2)
        raise RuntimeError(f"memcached could not start again on port {self.port}")

    def restart(self) -> None:
        """Stop and start again on the same port: every entry is gone."""
        self.stop()
        self.start_again()


def run_memcached() -> Iterator[str]:
    """Start memcached on a free port for the session; yields ``host:port``."""
    server = MemcachedServer()
    server.start()
    try:
        yield server.location
    finally:
        server.stop()


def own_memcached() -> Iterator[MemcachedServer]:
    """A memcached for one test (or module) that it may freeze and restart."""
    server = MemcachedServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def redis_url() -> str:
    host_port = REDIS_URL.split("//", 1)[1].split("/", 1)[0]
    host, _, port = host_port.partition(":")
    if not _answers(host, int(port or 6379)):
        unavailable(f"Redis is not answering at {host_port} (set TEST_REDIS_URL)")
    return REDIS_URL
