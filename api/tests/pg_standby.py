"""A PostgreSQL primary and a streaming hot standby of the test's own, under a temporary directory.

Both are new clusters made with PostgreSQL's own tools (``initdb``, ``pg_basebackup -R``,
``pg_ctl``) on free ports, so the machine's shared cluster is never touched. Missing
binaries skip the test (fail under ``CI=true``).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg

from tests.cache_servers import free_port, unavailable

BIN_DIRS = [Path(f"/usr/lib/postgresql/{major}/bin") for major in (17, 16, 15)]


def _bin_dir() -> Path:
    for candidate in BIN_DIRS:
        if (candidate / "initdb").exists():
            return candidate
    found = shutil.which("initdb")
    if found is None:
        unavailable("PostgreSQL's initdb is not installed (/usr/lib/postgresql/<n>/bin)")
    return Path(found).parent


@dataclass
class StreamingPair:
    directory: Path
    primary_port: int
    standby_port: int
    pg_ctl: list[str]  # pg_ctl, run as the postgres user when needed

    def stop_standby(self) -> None:
        """The standby goes away (immediate shutdown): its connections drop, new ones are refused."""
        _run(self.pg_ctl, "-D", str(self.directory / "standby"), "-m", "immediate", "-w", "stop")

    def url(self, port: int, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{port}/{database}"

    @property
    def primary_url(self) -> str:
        return self.url(self.primary_port)

    @property
    def standby_url(self) -> str:
        return self.url(self.standby_port)

    def pause_replay(self) -> None:
        """The standby stops applying WAL: it lags until resumed."""
        with psycopg.connect(self.standby_url, autocommit=True) as connection:
            connection.execute("SELECT pg_wal_replay_pause()")

    def resume_replay(self) -> None:
        with psycopg.connect(self.standby_url, autocommit=True) as connection:
            connection.execute("SELECT pg_wal_replay_resume()")

    def wait_caught_up(self, timeout: float = 30) -> None:
        """Until the standby has replayed everything the primary has written so far."""
        with psycopg.connect(self.primary_url, autocommit=True) as primary:
            target = primary.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
        deadline = time.monotonic() + timeout
        with psycopg.connect(self.standby_url, autocommit=True) as standby:
            while True:
                row = standby.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [str(target)]).fetchone()
                if row and row[0]:
                    return
                if time.monotonic() > deadline:
                    raise TimeoutError("the standby did not catch up")
                time.sleep(0.05)


def _runner() -> tuple[list[str], int | None, int | None]:
    """PostgreSQL refuses to run as root: run its tools as the postgres user then."""
    if os.geteuid() != 0:
        return [], None, None
    try:
        user = pwd.getpwnam("postgres")
    except KeyError:
        unavailable("running as root without a postgres user to run PostgreSQL as")
    return ["runuser", "-u", "postgres", "--"], user.pw_uid, user.pw_gid


def _run(prefix: list[str], *command: str) -> None:
    result = subprocess.run([*prefix, *command], capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}{result.stderr}")


def _configure(data: Path, port: int, sockets: Path) -> None:
    with (data / "postgresql.auto.conf").open("a") as conf:
        conf.write(
            f"port = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{sockets}'\n"
            "wal_level = replica\nmax_wal_senders = 5\nhot_standby = on\n"
            # Test clusters: speed over durability.
            "fsync = off\nfull_page_writes = off\nshared_buffers = 32MB\nmax_connections = 60\n"
        )


@contextlib.contextmanager
def streaming_pair(ports: tuple[int, int] | None = None) -> Iterator[StreamingPair]:
    """A primary and its hot standby, streaming; both stopped and removed afterwards."""
    bin_dir = _bin_dir()
    prefix, uid, gid = _runner()
    directory = Path(tempfile.mkdtemp(prefix="banderole-standby-"))
    if uid is not None:
        os.chown(directory, uid, gid)
    primary, standby, sockets = directory / "primary", directory / "standby", directory / "sockets"
    sockets.mkdir()
    if uid is not None:
        os.chown(sockets, uid, gid)
    primary_port, standby_port = ports or (free_port(), free_port())
    started: list[Path] = []
    try:
        _run(prefix, str(bin_dir / "initdb"), "-D", str(primary), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        _configure(primary, primary_port, sockets)
        _run(prefix, str(bin_dir / "pg_ctl"), "-D", str(primary), "-l", str(directory / "primary.log"), "-w", "start")
        started.append(primary)
        _run(
            prefix,
            str(bin_dir / "pg_basebackup"),
            "-h", "127.0.0.1", "-p", str(primary_port), "-U", "postgres",
            "-D", str(standby), "-R", "-X", "stream",
        )  # fmt: skip
        with (standby / "postgresql.auto.conf").open("a") as conf:
            conf.write(f"port = {standby_port}\n")
        _run(prefix, str(bin_dir / "pg_ctl"), "-D", str(standby), "-l", str(directory / "standby.log"), "-w", "start")
        started.append(standby)
        pair = StreamingPair(directory, primary_port, standby_port, [*prefix, str(bin_dir / "pg_ctl")])
        with psycopg.connect(pair.standby_url, autocommit=True) as connection:
            assert connection.execute("SELECT pg_is_in_recovery()").fetchone()[0] is True
        yield pair
    finally:
        for data in reversed(started):
            with contextlib.suppress(Exception):
                _run(prefix, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(directory, ignore_errors=True)
