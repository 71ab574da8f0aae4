#!/usr/bin/env python3
"""The realtime stream benchmark: streams one stream process holds, and how fast a change reaches them.

    .venv/bin/python bench/realtime.py                      # 10,000 streams, 5 changes
    .venv/bin/python bench/realtime.py --streams 2000 --changes 3

Starts memcached, gunicorn (production settings, one worker) and ``manage.py
runrealtime`` on a fresh PostgreSQL database (``--postgres``, default
postgresql://postgres:password@127.0.0.1:5432), as docker-compose.yml configures them (the
environment cache in memcached), creates a project with realtime updates on
through the admin API, opens ``--streams`` streams of its environment from this
process (asyncio, raw sockets) and waits until every one has its first event. It
reports the stream process's memory before and after (RSS, per stream), then
toggles a flag ``--changes`` times through the admin API and measures, for every
stream, the delay from the admin API's response to the event's arrival. Prints the
figures; ``--results bench/realtime.md`` appends them there. The load generator
runs on the same machine: its CPU is taken from the server's.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import functools
import os
import platform
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import requests

try:
    import uvloop
except ImportError:  # Windows
    uvloop = None

REPO = Path(__file__).resolve().parents[1]
API = REPO / "api"
PYTHON = Path(sys.executable)
EMAIL, PASSWORD = "bench@example.com", "bench-password-1234"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"{url} did not answer within {timeout} s")
        time.sleep(0.3)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


@contextlib.contextmanager
def process(command: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    with log.open("w") as output:
        child = subprocess.Popen(command, cwd=API, env=env, stdout=output, stderr=subprocess.STDOUT)
        try:
            yield child
        finally:
            child.terminate()
            try:
                child.wait(15)
            except subprocess.TimeoutExpired:
                child.kill()


@contextlib.contextmanager
def database(server: str, name: str) -> Iterator[str]:
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{server}/{name}"
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Client:
    """One stream, read from a raw socket: the time each ``environment_updated`` event arrived."""

    def __init__(self) -> None:
        self.arrivals: list[float] = []
        self.ready = asyncio.Event()
        self.error: str | None = None

    async def run(self, host: str, port: int, path: str) -> None:
        try:
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: text/event-stream\r\n\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            if not head.startswith(b"HTTP/1.1 200"):
                self.error = head.split(b"\r\n", 1)[0].decode()
                self.ready.set()
                return
            while True:
                chunk = await reader.read(65536)
                if not chunk:
                    self.error = "closed"
                    self.ready.set()
                    return
                if b"environment_updated" in chunk:
                    self.arrivals.append(time.monotonic())
                    self.ready.set()
        except Exception as error:  # reported as a failed stream
            self.error = repr(error)
            self.ready.set()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def measure(
    args: argparse.Namespace,
    stream_port: int,
    stream_pid: int,
    admin: requests.Session,
    api: str,
    key: str,
    state_path: str,
) -> dict:
    loop = asyncio.get_running_loop()
    path = f"/sse/environments/{key}/stream"
    await asyncio.sleep(1)
    baseline = rss_kib(stream_pid)
    clients = [Client() for _ in range(args.streams)]
    tasks = []
    started = time.monotonic()
    for offset in range(0, args.streams, args.batch):
        batch = clients[offset : offset + args.batch]
        tasks.extend(asyncio.ensure_future(client.run("127.0.0.1", stream_port, path)) for client in batch)
        await asyncio.gather(*(client.ready.wait() for client in batch))
    opened_in = time.monotonic() - started
    failed = [client.error for client in clients if client.error]
    await asyncio.sleep(2)
    held = rss_kib(stream_pid)
    delays: list[float] = []
    rounds = []
    enabled = False
    for _ in range(args.changes):
        for client in clients:
            client.arrivals.clear()
        enabled = not enabled
        change = functools.partial(admin.patch, f"{api}{state_path}", json={"enabled": enabled}, timeout=30)
        response = await loop.run_in_executor(None, change)
        answered = time.monotonic()
        assert response.status_code == 200, response.text
        deadline = answered + 10
        while any(not client.arrivals for client in clients if not client.error) and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        this = [client.arrivals[0] - answered for client in clients if client.arrivals]
        rounds.append((len(this), percentile(this, 0.5), percentile(this, 0.99), max(this)))
        delays.extend(this)
        await asyncio.sleep(args.pause)
    alive = sum(1 for client in clients if not client.error)
    for task in tasks:
        task.cancel()
    return {
        "streams": args.streams,
        "failed": len(failed),
        "failures": sorted(set(failed))[:5],
        "alive_at_end": alive,
        "opened_in": opened_in,
        "rss_before_mib": baseline / 1024,
        "rss_held_mib": held / 1024,
        "per_stream_kib": (held - baseline) / max(1, args.streams - len(failed)),
        "delays": delays,
        "rounds": rounds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--streams", type=int, default=10_000)
    parser.add_argument("--changes", type=int, default=5)
    parser.add_argument("--batch", type=int, default=500, help="connections opened at a time")
    parser.add_argument("--pause", type=float, default=2.0, help="seconds between changes")
    parser.add_argument(
        "--postgres", default=os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres:password@127.0.0.1:5432")
    )
    parser.add_argument("--results", type=Path, help="append a section to this markdown file")
    args = parser.parse_args()
    memcached = shutil.which("memcached")
    if memcached is None:
        raise SystemExit("memcached is not installed (apt-get install -y memcached)")
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if hard < args.streams + 100:
        raise SystemExit(f"the open-files limit ({hard}) is below --streams; raise ulimit -Hn")
    load_before = os.getloadavg()
    logs = Path(tempfile.mkdtemp(prefix="banderole-realtime-bench-"))
    memcached_port, api_port = free_port(), free_port()
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(database(args.postgres, "banderole_bench_realtime"))
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DATABASE_URL", "DJANGO_", "REALTIME_", "ENVIRONMENT_CACHE", "GUNICORN_", "SQLITE"))
        }
        env.update(
            DJANGO_SETTINGS_MODULE="app.settings.production",
            DJANGO_SECRET_KEY="bench-realtime-secret-key-long-enough-for-production-settings",
            DATABASE_URL=url,
            ENVIRONMENT_CACHE_BACKEND="django.core.cache.backends.memcached.PyMemcacheCache",
            ENVIRONMENT_CACHE_LOCATION=f"127.0.0.1:{memcached_port}",
            GUNICORN_WORKERS="1",
            PORT=str(api_port),
            PATH=f"{PYTHON.parent}{os.pathsep}{os.environ.get('PATH', '')}",
        )
        stack.enter_context(
            process([memcached, "-l", "127.0.0.1", "-p", str(memcached_port), "-U", "0"], env, logs / "memcached.log")
        )
        subprocess.run([str(PYTHON), "manage.py", "migrate", "--noinput", "-v0"], cwd=API, env=env, check=True)
        subprocess.run(
            [str(PYTHON), "manage.py", "createsuperuser", "--noinput"],
            cwd=API,
            env={**env, "DJANGO_SUPERUSER_EMAIL": EMAIL, "DJANGO_SUPERUSER_PASSWORD": PASSWORD},
            check=True,
            capture_output=True,
        )
        gunicorn = [
            str(PYTHON.parent / "gunicorn"),
            "-c",
            "app/gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{api_port}",
            "app.wsgi:application",
        ]
        stack.enter_context(process(gunicorn, env, logs / "gunicorn.log"))
        stream_port = free_port()
        streams = stack.enter_context(
            process(
                [str(PYTHON), "manage.py", "runrealtime", "--host", "127.0.0.1", "--port", str(stream_port)],
                env,
                logs / "runrealtime.log",
            )
        )
        api = f"http://127.0.0.1:{api_port}/api/v1/"
        wait_for(f"http://127.0.0.1:{api_port}/health/liveness/")
        wait_for(f"http://127.0.0.1:{stream_port}/health/readiness/")
        admin = requests.Session()
        token = admin.post(f"{api}auth/login/", json={"email": EMAIL, "password": PASSWORD}, timeout=30).json()["key"]
        admin.headers["Authorization"] = f"Token {token}"
        organisation = admin.post(f"{api}organisations/", json={"name": "Bench"}, timeout=30).json()
        project = admin.post(
            f"{api}projects/",
            json={"name": "Realtime", "organisation": organisation["id"], "enable_realtime_updates": True},
            timeout=30,
        ).json()
        environment = admin.post(
            f"{api}environments/", json={"name": "Production", "project": project["id"]}, timeout=30
        ).json()
        feature = admin.post(f"{api}projects/{project['id']}/features/", json={"name": "bench_flag"}, timeout=30).json()
        states = admin.get(f"{api}environments/{environment['api_key']}/featurestates/", timeout=30).json()
        states = states["results"] if isinstance(states, dict) else states
        state = next(state for state in states if state["feature"] == feature["id"])
        state_path = f"environments/{environment['api_key']}/featurestates/{state['id']}/"
        runner = uvloop.run if uvloop is not None else asyncio.run
        figures = runner(measure(args, stream_port, streams.pid, admin, api, environment["api_key"], state_path))
    report(args, figures, load_before, os.getloadavg())


def report(args: argparse.Namespace, figures: dict, load_before: tuple, load_after: tuple) -> None:
    delays = figures["delays"]
    ms = [delay * 1000 for delay in delays]
    lines = [
        f"## {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC: {args.streams} streams, {args.changes} changes",
        "",
        f"- machine: {os.cpu_count()} CPUs, {platform.platform()}, Python {platform.python_version()}; "
        f"load average {load_before[0]:.1f} before, {load_after[0]:.1f} after"
        + (
            " (other work was running)"
            if max(load_before[0], load_after[0]) > os.cpu_count() / 2
            else " (a quiet machine)"
        ),
        f"- command: `.venv/bin/python bench/realtime.py --streams {args.streams} --changes {args.changes}`",
        "",
        "| figure | value |",
        "|---|---|",
        f"| streams opened (first event received) | {args.streams - figures['failed']} of {args.streams} in {figures['opened_in']:.1f} s |",
        f"| streams still open at the end | {figures['alive_at_end']} |",
        f"| stream process RSS | {figures['rss_before_mib']:.0f} MiB idle, {figures['rss_held_mib']:.0f} MiB holding them |",
        f"| memory per stream | {figures['per_stream_kib']:.1f} KiB |",
        f"| events received | {len(delays)} of {(args.streams - figures['failed']) * args.changes} |",
        f"| delay, admin API response → event (p50 / p99 / max) | {statistics.median(ms):.0f} / {percentile(ms, 0.99):.0f} / {max(ms):.0f} ms |",
        "",
        "Per change (events, p50, p99, max in ms): "
        + "; ".join(
            f"{count}, {p50 * 1000:.0f}, {p99 * 1000:.0f}, {top * 1000:.0f}"
            for count, p50, p99, top in figures["rounds"]
        ),
    ]
    if figures["failures"]:
        lines.append(f"\nFailures (first kinds): {figures['failures']}")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.results:
        with args.results.open("a") as output:
            output.write("\n" + text)


if __name__ == "__main__":
    main()
