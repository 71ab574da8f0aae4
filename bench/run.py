"""The SDK benchmark of issue 4: Banderole in production settings under wrk, compared with its targets.

Starts memcached and a fresh PostgreSQL database, builds the standard data set with
``manage.py create_benchmark_data``, serves it with gunicorn (production settings,
2 workers, every cache documented in docs/configuration.md pointed at that memcached),
then drives each case with wrk from a separate process, at each concurrency, and
prints requests/s, p50, p99, errors and the ratio to the liveness ceiling measured in
the same run. The run is appended to bench/results.md. Everything it started is
stopped, and the database dropped, at the end, on failure and on Ctrl-C.

Usage (from the repository root): ``make bench`` or
``.venv/bin/python bench/run.py --duration 20 --connections 16,64 --threads 2``.
See bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
API_DIR = ROOT / "api"
BENCH_DIR = ROOT / "bench"
LUA_DIR = BENCH_DIR / "lua"
DOCS = ROOT / "docs" / "configuration.md"
# The venv whose gunicorn the Procfile and image use; run.py itself may run under any Python.
VENV_BIN = ROOT / ".venv" / "bin"
COMPOSE_FILE = Path(__file__).resolve().parent.parent / "docker-compose.yml"
SECRET_KEY = "benchmark-only-secret-key-" + "x" * 40

# The peer to beat (issue 4): the real Flagsmith API on this data set and machine.
FLAGSMITH_RPS = {"flags": 160, "identities_get": 50, "identities_post": 50, "document": 40}


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    path: str
    script: str
    key: str | None  # "client", "server" or None
    ceiling_ratio: float | None  # target share of the liveness ceiling
    p99_ms_at_16: float | None
    key_header: str = "X-Environment-Key"
    extra_headers: tuple[tuple[str, str], ...] = ()

    def headers(self, key: str | None) -> dict[str, str]:
        return {**({self.key_header: key} if key else {}), **dict(self.extra_headers)}


CASES = (
    Case("liveness", "GET", "/health/liveness/", "get.lua", None, None, None),
    Case("flags", "GET", "/api/v1/flags/", "get.lua", "client", 0.80, 25),
    Case("document", "GET", "/api/v1/environment-document/", "get.lua", "server", 0.60, 25),
    Case("identities_get", "GET", "/api/v1/identities/", "identities_get.lua", "client", 0.50, 25),
    # The same flags through Unleash's client API (no target: issue 8 asks for the figure).
    Case(
        "unleash_features",
        "GET",
        "/api/client/features",
        "get.lua",
        "server",
        None,
        None,
        key_header="Authorization",
        extra_headers=(("Unleash-Client-Spec", "5.0.0"),),
    ),
    # The write path last: the database work it leaves behind (dead rows, dirty pages)
    # would slow whichever case came next; settle_database() clears it before the next round.
    Case("identities_post", "POST", "/api/v1/identities/", "identities_post.lua", "client", 0.30, 50),
)
CASES_BY_NAME = {case.name: case for case in CASES}


@dataclass
class Result:
    case: Case
    connections: int
    raw: dict
    ceiling: float | None = None
    failures: list[str] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return self.raw["requests"] / (self.raw["duration_us"] / 1e6)

    @property
    def p50_ms(self) -> float:
        return self.raw["latency_p50_us"] / 1000

    @property
    def p99_ms(self) -> float:
        return self.raw["latency_p99_us"] / 1000

    @property
    def errors(self) -> int:
        return sum(self.raw[name] for name in self.raw if name.startswith("errors_"))

    @property
    def ratio(self) -> float | None:
        return self.rps / self.ceiling if self.ceiling else None

    def judge(self) -> None:
        """Record which of the issue's targets this measurement misses."""
        case = self.case
        if self.errors:
            self.failures.append(f"{self.errors} errors")
        if case.ceiling_ratio is not None and (self.ratio is None or self.ratio < case.ceiling_ratio):
            self.failures.append(f"ratio < {case.ceiling_ratio:.0%}")
        if case.name in FLAGSMITH_RPS and self.rps < 10 * FLAGSMITH_RPS[case.name]:
            self.failures.append(f"< 10x Flagsmith ({10 * FLAGSMITH_RPS[case.name]}/s)")
        if case.p99_ms_at_16 is not None and self.connections == 16 and self.p99_ms >= case.p99_ms_at_16:
            self.failures.append(f"p99 >= {case.p99_ms_at_16:g} ms")

    @property
    def verdict(self) -> str:
        return "PASS" if not self.failures else "FAIL: " + "; ".join(self.failures)


def log(message: str) -> None:
    print(f"[bench] {message}", flush=True)


class BenchError(Exception):
    """A step failed; the message says which and why."""


# --- tools ------------------------------------------------------------------------------


def ensure_tools() -> None:
    """wrk and memcached, installed with apt-get when missing (as root, or with passwordless sudo)."""
    missing = [tool for tool in ("wrk", "memcached") if _which(tool) is None]
    if not missing:
        return
    if shutil.which("apt-get") is None:
        raise BenchError(f"{' and '.join(missing)} not installed and no apt-get here: install them and run again.")
    prefix: list[str] = []
    if os.geteuid() != 0:
        if shutil.which("sudo") is None or subprocess.run(["sudo", "-n", "true"], capture_output=True).returncode:
            raise BenchError(
                f"{' and '.join(missing)} not installed and not root (nor passwordless sudo): "
                f"run `sudo apt-get install -y {' '.join(missing)}` and run again."
            )
        prefix = ["sudo", "-n"]
    log(f"installing {' '.join(missing)} with apt-get")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = [*prefix, "apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing]
    if subprocess.run(install, env=env).returncode != 0:
        # A fresh container often has no package lists yet.
        subprocess.run([*prefix, "apt-get", "update", "-qq"], env=env, check=False)
        if subprocess.run(install, env=env).returncode != 0:
            raise BenchError(f"apt-get could not install {' '.join(missing)}: install them and run again.")
    still = [tool for tool in missing if _which(tool) is None]
    if still:
        raise BenchError(f"{' and '.join(still)} still not found after apt-get install.")


def _which(tool: str) -> str | None:
    # memcached lives in /usr/bin on Debian, but some distributions put it in sbin.
    return shutil.which(tool) or shutil.which(tool, path="/usr/sbin:/usr/local/sbin:/sbin")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"{what} exited with {process.returncode} while starting")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.1)
    raise BenchError(f"{what} did not listen on port {port} within {timeout:g} s")


@contextlib.contextmanager
def running(command: list[str], what: str, log_path: Path, **kwargs) -> Iterator[subprocess.Popen]:
    """A child process in its own session (so a terminal Ctrl-C reaches only us), stopped on exit."""
    with log_path.open("w") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, start_new_session=True, **kwargs)
    try:
        yield process
    finally:
        _shutting_down()
        if process.poll() is None:
            log(f"stopping {what} (pid {process.pid})")
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


# --- configuration ----------------------------------------------------------------------


def documented_cache_variables() -> list[str]:
    """Every variable named in the Caches section of docs/configuration.md, in order."""
    text = DOCS.read_text()
    match = re.search(r"^## Caches\b(.*?)(?=^## |\Z)", text, flags=re.MULTILINE | re.DOTALL)
    if match is None:
        raise BenchError(f"no '## Caches' section in {DOCS}")
    names: list[str] = []
    for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", match.group(1)):
        if name not in names:
            names.append(name)
    return names


def cache_settings(memcached_location: str) -> dict[str, str]:
    """docker-compose.yml's cache variables (what a self-hoster runs), at the benchmark's memcached."""
    import yaml

    documented = set(documented_cache_variables())
    compose = yaml.safe_load(COMPOSE_FILE.read_text())
    environment = compose["services"]["banderole"]["environment"]
    settings = {
        name: str(value).replace("memcached:11211", memcached_location)
        for name, value in environment.items()
        if name in documented
    }
    if not settings:
        raise BenchError(f"no cache variables in {COMPOSE_FILE}")
    return settings


# Anything that would choose a database, a gunicorn setting or a cache: the shell that
# runs the benchmark must not change what it measures (only --env does).
STRIPPED_PREFIXES = (
    "DATABASE_URL",
    "DJANGO_DB_",
    "REPLICA_DATABASE_URL",
    "SQLITE_PATH",
    "GUNICORN_",
    "ACCESS_LOG_",
    "STATSD_",
)
STRIPPED_NAMES = {"DJANGO_SETTINGS_MODULE", "DJANGO_SECRET_KEY", "DJANGO_SECRET_KEY_FILE", "LOG_LEVEL", "PORT"}


def server_environment(
    database_url: str, port: int, caches: dict[str, str], args: argparse.Namespace
) -> dict[str, str]:
    stripped = STRIPPED_NAMES | set(documented_cache_variables()) | set(caches)
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(STRIPPED_PREFIXES) and name not in stripped
    }
    env.update(
        {
            "PATH": f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
            "DJANGO_SETTINGS_MODULE": "app.settings.production",
            "DJANGO_SECRET_KEY": SECRET_KEY,
            "DATABASE_URL": database_url,
            "PORT": str(port),
            "GUNICORN_WORKERS": str(args.workers),
        }
    )
    if args.gunicorn_threads is not None:
        env["GUNICORN_THREADS"] = str(args.gunicorn_threads)
    env.update(caches)
    for assignment in args.env:
        name, _, value = assignment.partition("=")
        env[name] = value
    return env


def settings_summary(env: dict[str, str], caches: dict[str, str], args: argparse.Namespace) -> dict[str, str]:
    """What the server ran with, for the results file (never the secret key)."""
    shown = {"DJANGO_SETTINGS_MODULE", "GUNICORN_WORKERS", "GUNICORN_THREADS", *caches}
    shown |= {assignment.partition("=")[0] for assignment in args.env}
    summary = {name: env[name] for name in sorted(shown) if name in env}
    summary.setdefault("GUNICORN_THREADS", "2 (default)")
    summary["DATABASE_URL"] = re.sub(r"//[^@/]*@", "//…@", env["DATABASE_URL"])
    return summary


# --- database ---------------------------------------------------------------------------


def _psql(admin_url: str, sql: str) -> str:
    """One statement on the server's maintenance database, through the venv's psycopg (autocommit)."""
    code = (
        "import sys, psycopg\n"
        "with psycopg.connect(sys.argv[1], autocommit=True, connect_timeout=5) as c:\n"
        "    r = c.execute(sys.argv[2])\n"
        "    print(r.fetchone()[0] if r.description else '')\n"
    )
    result = subprocess.run(
        [str(VENV_BIN / "python"), "-c", code, admin_url, sql], capture_output=True, text=True, timeout=60
    )
    if result.returncode != 0:
        raise BenchError(f"PostgreSQL at {admin_url}: {sql!r} failed:\n{result.stderr.strip()}")
    return result.stdout.strip()


@contextlib.contextmanager
def fresh_database(server_url: str, name: str) -> Iterator[str]:
    admin_url = f"{server_url}/postgres"
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise BenchError(f"--database {name!r}: use lower-case letters, digits and underscores")
    _psql(admin_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    _psql(admin_url, f"CREATE DATABASE {name}")
    log(f"created database {name}")
    try:
        yield f"{server_url}/{name}"
    finally:
        _shutting_down()
        log(f"dropping database {name}")
        try:
            _psql(admin_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        except BenchError as exc:
            log(f"could not drop {name}: {exc}")


def settle_database(database_url: str) -> None:
    """Planner statistics and no pending maintenance, so autovacuum does not kick in mid-case."""
    _psql(database_url, "VACUUM ANALYZE")
    with contextlib.suppress(BenchError):  # CHECKPOINT needs a superuser or pg_checkpoint
        _psql(database_url, "CHECKPOINT")


def manage(env: dict[str, str], *args: str, timeout: float = 900) -> str:
    result = subprocess.run(
        [str(VENV_BIN / "python"), "manage.py", *args],
        cwd=API_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise BenchError(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


# --- load -------------------------------------------------------------------------------


@dataclass
class Target:
    url: str
    client_key: str
    server_key: str
    identifier_format: str
    identity_count: int

    def key_for(self, case: Case) -> str | None:
        return {"client": self.client_key, "server": self.server_key}.get(case.key or "")


def check_case(target: Target, case: Case) -> None:
    """One request by hand before the load: a case that answers 4xx would measure the wrong thing."""
    headers = case.headers(target.key_for(case))
    identifier = target.identifier_format % 1
    if case.method == "POST":
        body = {"identifier": identifier, "traits": [{"trait_key": "plan", "trait_value": "pro"}]}
        response = requests.post(target.url + case.path, json=body, headers=headers, timeout=30)
    else:
        params = {"identifier": identifier} if case.name == "identities_get" else None
        response = requests.get(target.url + case.path, params=params, headers=headers, timeout=30)
    if response.status_code != 200:
        raise BenchError(f"{case.method} {case.path} answered {response.status_code}: {response.text[:500]}")


def run_wrk(target: Target, case: Case, connections: int, threads: int, duration: float) -> dict:
    command = [
        "wrk",
        f"--threads={min(threads, connections)}",
        f"--connections={connections}",
        f"--duration={max(1, round(duration))}s",
        "--timeout=10s",
        f"--script={case.script}",
    ]
    for name, value in case.headers(target.key_for(case)).items():
        command.append(f"--header={name}: {value}")
    command.append(target.url + case.path)
    if case.script.startswith("identities"):
        command += ["--", target.identifier_format, str(target.identity_count)]
    result = subprocess.run(command, cwd=LUA_DIR, capture_output=True, text=True, timeout=duration + 120)
    for line in result.stdout.splitlines():
        if line.startswith("WRK_JSON "):
            return json.loads(line.removeprefix("WRK_JSON "))
    raise BenchError(f"wrk printed no result for {case.name}:\n{result.stdout}{result.stderr}")


def memcached_stats(port: int) -> dict[str, int]:
    """Counters that show whether the server used the cache at all (the variables may be accepted but unused)."""
    wanted = ("cmd_get", "get_hits", "get_misses", "cmd_set", "curr_items")
    stats: dict[str, int] = {}
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=2) as connection:
        connection.sendall(b"stats\r\n")
        buffer = b""
        while not buffer.endswith(b"END\r\n"):
            chunk = connection.recv(65536)
            if not chunk:
                break
            buffer += chunk
        for line in buffer.decode(errors="replace").splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[0] == "STAT" and parts[1] in wanted and parts[2].isdigit():
                stats[parts[1]] = int(parts[2])
    return stats


def gunicorn_workers(master_pid: int) -> list[int]:
    workers = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            # The command name is in parentheses and may contain spaces; the ppid follows it.
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == master_pid:
                workers.append(int(stat.parent.name))
    return sorted(workers)


@contextlib.contextmanager
def profiling(args: argparse.Namespace, master_pid: int, label: str, duration: float) -> Iterator[Path | None]:
    """py-spy on one gunicorn worker for the length of a case, when --profile asked for it."""
    py_spy = shutil.which("py-spy") or shutil.which("py-spy", path=str(VENV_BIN))
    workers = gunicorn_workers(master_pid)
    if py_spy is None or not workers:
        log("py-spy not found (pip install py-spy): no profile" if py_spy is None else "no gunicorn worker found")
        yield None
        return
    output = BENCH_DIR / "profiles" / f"{label}.txt"
    output.parent.mkdir(exist_ok=True)
    command = [py_spy, "record", "--pid", str(workers[0]), "--duration", str(max(1, round(duration) - 1))]
    command += ["--rate", "200", "--format", "raw", "--nonblocking", "--output", str(output)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        yield output
    finally:
        try:
            out, _ = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            out, _ = process.communicate()
        if process.returncode != 0:
            log(f"py-spy failed ({process.returncode}): {out.strip()[-500:]}")


def profile_summary(path: Path, top: int = 10) -> str:
    """Where one worker's active threads were in a py-spy raw (collapsed) profile.

    Three views: the innermost frame (self time), the package of that frame, and
    Banderole's own functions inclusive of what they call.
    """
    own: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    ours: Counter[str] = Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        samples = int(count)
        total += samples
        frames = [_short_frame(frame) for frame in stack.split(";")]
        own[frames[-1]] += samples
        packages[_package(frames[-1])] += samples
        for frame in set(frames):
            if _is_ours(frame):
                ours[frame] += samples
    if not total:
        return "(no samples)"

    def share(counter: Counter[str]) -> list[str]:
        return [f"  {100 * n / total:5.1f}%  {name}" for name, n in counter.most_common(top)]

    return "\n".join(
        [
            f"{total} samples of active threads.",
            "Self time, top functions:",
            *share(own),
            "Self time by package:",
            *share(packages),
            "Banderole's own functions, inclusive:",
            *share(ours),
        ]
    )


def _short_frame(frame: str) -> str:
    """``func (package/file.py)``: no line numbers, paths relative to site-packages or api/."""
    frame = re.sub(r":\d+\)$", ")", frame)
    frame = re.sub(r"\(/[^)]*/site-packages/", "(", frame)
    frame = re.sub(r"\(/[^)]*/lib/python3\.\d+/", "(", frame)
    return frame.replace(f"({API_DIR}/", "(")


def _frame_path(frame: str) -> str:
    match = re.search(r"\(([^()]*)\)$", frame)
    return match.group(1) if match else ""


def _is_ours(frame: str) -> bool:
    top = _frame_path(frame).split("/", 1)[0]
    return bool(top) and "/" in _frame_path(frame) and (API_DIR / top).is_dir()


def _package(frame: str) -> str:
    path = _frame_path(frame)
    if _is_ours(frame):
        return "banderole (api/)"
    parts = path.split("/")
    if parts[0] == "django" and len(parts) > 2:
        return "/".join(parts[:2]) if parts[1] != "db" else "/".join(parts[:3])
    return parts[0] if len(parts) > 1 else f"stdlib {path}"


# --- report -----------------------------------------------------------------------------


def table(results: list[Result]) -> list[str]:
    rows = [
        "| case | connections | req/s | p50 ms | p99 ms | errors | ratio to liveness | target |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for result in results:
        ratio = f"{result.ratio:.0%}" if result.ratio is not None else "—"
        rows.append(
            f"| {result.case.method} {result.case.path} | {result.connections} | {result.rps:,.0f} | "
            f"{result.p50_ms:.1f} | {result.p99_ms:.1f} | {result.errors} | {ratio} | {result.verdict} |"
        )
    return rows


def targets_text() -> str:
    return (
        "Targets (issue 4): zero errors; /flags/ ≥ 80 % of the liveness ceiling at the same concurrency, "
        "/environment-document/ ≥ 60 %, GET /identities/ ≥ 50 %, POST /identities/ ≥ 30 %; "
        "at least 10x real Flagsmith (flags 1,600/s, identities GET and POST 500/s, document 400/s); "
        "p99 at 16 connections < 25 ms for the GETs, < 50 ms for the POST."
    )


def _command_output(command: list[str]) -> str:
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return (result.stdout or result.stderr).strip().splitlines()[0] if (result.stdout or result.stderr) else "unknown"


def machine_description(admin_url: str) -> dict[str, str]:
    cpu_model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    memory = "unknown"
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    try:
        postgres = _psql(admin_url, "SHOW server_version")
    except BenchError:
        postgres = "unknown"
    return {
        "CPUs (nproc)": str(os.cpu_count() if not shutil.which("nproc") else _command_output(["nproc"])),
        "CPU model": cpu_model,
        "memory": memory,
        "OS": f"{platform.system()} {platform.release()} ({_os_name()})",
        "Python (server)": _command_output([str(VENV_BIN / "python"), "--version"]),
        "PostgreSQL": postgres,
        "load average before the run (1/5/15 min)": LOAD_BEFORE,
        "memcached": _command_output([_which("memcached") or "memcached", "-V"]),
        "wrk": _command_output(["wrk", "-v"]).split(" Copyright")[0],
        "gunicorn": _command_output([str(VENV_BIN / "gunicorn"), "--version"]),
    }


def _load_average() -> str:
    with contextlib.suppress(OSError):
        return " / ".join(Path("/proc/loadavg").read_text().split()[:3])
    return "unknown"


# Read before anything starts: another busy process on the machine skews every figure.
LOAD_BEFORE = "unknown"


def _os_name() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip('"')
    return "unknown"


def git_description() -> str:
    commit = _command_output(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
    dirty = subprocess.run(
        ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no", "--", "api"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    return f"{commit} (with uncommitted changes in api/)" if dirty else commit


def append_results(
    path: Path,
    results: list[Result],
    machine: dict[str, str],
    settings: dict[str, str],
    args: argparse.Namespace,
    data_set: str,
    profile: str | None,
) -> None:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "",
        f"## {now} · commit {git_description()}",
        "",
        f"wrk: {args.duration:g} s per case, {args.threads} threads, connections {args.connections}; "
        f"data set: {data_set}.",
        "",
        *(f"- **{name}**: {value}" for name, value in machine.items()),
        "- **server settings**: " + ", ".join(f"`{name}={value}`" for name, value in settings.items()),
        "",
        *table(results),
        "",
        targets_text(),
        "",
    ]
    if profile:
        lines += [
            f"py-spy, one worker, during {args.profile} at the first concurrency:",
            "",
            "```",
            profile,
            "```",
            "",
        ]
    if not path.exists():
        path.write_text(
            "# Benchmark results\n\nAppended by `make bench` (bench/run.py), newest last; "
            "bench/README.md explains the columns.\n"
        )
    with path.open("a") as results_file:
        results_file.write("\n".join(lines))
    log(f"appended this run to {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


# --- main -------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=20, help="seconds of load per case (default 20)")
    parser.add_argument("--connections", default="16,64", help="comma-separated concurrencies (default 16,64)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--warmup", type=float, default=2, help="seconds of unrecorded load before each case")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--gunicorn-threads", type=int, help="GUNICORN_THREADS (default: the config's, 2)")
    parser.add_argument(
        "--cases", default=",".join(CASES_BY_NAME), help=f"comma-separated subset of {', '.join(CASES_BY_NAME)}"
    )
    parser.add_argument(
        "--postgres",
        default=os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres:password@127.0.0.1:5432"),
        help="PostgreSQL server URL without a database name (default: BENCH_POSTGRES_URL or local postgres user)",
    )
    parser.add_argument("--database", default="banderole_bench", help="database to drop, create and drop again")
    parser.add_argument(
        "--env", action="append", default=[], metavar="NAME=VALUE", help="extra server setting (repeatable)"
    )
    parser.add_argument("--identities", type=int, default=1000, help="identities in the data set (default 1000)")
    parser.add_argument("--results", type=Path, default=BENCH_DIR / "results.md", help="Markdown file to append to")
    parser.add_argument("--no-results", action="store_true", help="print the table but append nothing")
    parser.add_argument("--strict", action="store_true", help="exit with 3 when any target is missed")
    parser.add_argument(
        "--profile",
        nargs="?",
        const="identities_get",
        metavar="CASE",
        help="py-spy one worker during CASE (default identities_get) at the first concurrency",
    )
    args = parser.parse_args(argv)
    try:
        args.connection_list = [int(value) for value in args.connections.split(",") if value.strip()]
    except ValueError:
        parser.error(f"--connections {args.connections!r}: expected comma-separated integers")
    args.case_list = [name.strip() for name in args.cases.split(",") if name.strip()]
    unknown = [name for name in args.case_list if name not in CASES_BY_NAME]
    if unknown:
        parser.error(f"unknown case(s) {', '.join(unknown)}; known: {', '.join(CASES_BY_NAME)}")
    for assignment in args.env:
        if not re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", assignment):
            parser.error(f"--env {assignment!r}: expected NAME=VALUE")
    return args


def main(argv: list[str] | None = None) -> int:
    global LOAD_BEFORE
    args = parse_args(argv)
    LOAD_BEFORE = _load_average()
    if not (VENV_BIN / "gunicorn").exists():
        log(f"no gunicorn in {VENV_BIN}: run `make install` first")
        return 2
    # SIGTERM (a CI timeout, `kill`) unwinds like Ctrl-C, so the cleanup below still runs.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        ensure_tools()
        with tempfile.TemporaryDirectory(prefix="banderole-bench-") as scratch:
            return _run(args, Path(scratch))
    except BenchError as exc:
        log(f"FAILED: {exc}")
        return 1
    except KeyboardInterrupt:
        log("interrupted; everything started was stopped")
        return 130


def _shutting_down() -> None:
    """Once cleanup starts, a second Ctrl-C must not cut it short and leave processes behind."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _run(args: argparse.Namespace, scratch: Path) -> int:
    with contextlib.ExitStack() as stack:
        memcached_port = free_port()
        memcached = [_which("memcached") or "memcached", "-l", "127.0.0.1", "-p", str(memcached_port), "-U", "0"]
        memcached += ["-m", "256", "-c", "4096"]
        if os.geteuid() == 0:
            # memcached refuses to run as root without naming a user to drop to.
            memcached += ["-u", "memcache" if _user_exists("memcache") else "nobody"]
        process = stack.enter_context(running(memcached, "memcached", scratch / "memcached.log"))
        wait_for_port(memcached_port, process, "memcached")
        log(f"memcached on 127.0.0.1:{memcached_port}")

        database_url = stack.enter_context(fresh_database(args.postgres.rstrip("/"), args.database))
        port = free_port()
        caches = cache_settings(f"127.0.0.1:{memcached_port}")
        env = server_environment(database_url, port, caches, args)

        log("migrating")
        manage(env, "migrate", "--noinput")
        manage(env, "createcachetable")
        log("creating the data set")
        started = time.monotonic()
        output = manage(env, "create_benchmark_data", "--identities", str(args.identities))
        data = json.loads(output.strip().splitlines()[-1])
        settle_database(database_url)
        log(f"data set ready in {time.monotonic() - started:.0f} s: client key {data['client_key']}")

        gunicorn_log = scratch / "gunicorn.log"
        command = [str(VENV_BIN / "gunicorn"), "-c", str(API_DIR / "app" / "gunicorn.conf.py")]
        command += ["--bind", f"127.0.0.1:{port}", "app.wsgi:application"]
        server = stack.enter_context(running(command, "gunicorn", gunicorn_log, cwd=API_DIR, env=env))
        try:
            wait_for_port(port, server, "gunicorn", timeout=60)
            target = Target(
                url=f"http://127.0.0.1:{port}",
                client_key=data["client_key"],
                server_key=data["server_key"],
                identifier_format=data["identifier_format"],
                identity_count=data["identity_count"],
            )
            cases = [CASES_BY_NAME[name] for name in CASES_BY_NAME if name in args.case_list]
            for case in cases:
                check_case(target, case)
            log(f"gunicorn ({args.workers} workers) on {target.url}; every case answers 200")
            results, profile = _load(args, target, cases, server.pid, database_url)
        except BenchError:
            log("gunicorn log (last 40 lines):\n" + "\n".join(gunicorn_log.read_text().splitlines()[-40:]))
            raise
        if server.poll() is not None:
            raise BenchError(f"gunicorn exited ({server.returncode}) during the run")
        stats = memcached_stats(memcached_port)
        cache_use = ", ".join(f"{name} {value:,}" for name, value in stats.items()) or "no stats"
        if not stats.get("cmd_get"):
            cache_use += " (the server did not read the cache)"

        print()
        print("\n".join(table(results)))
        print()
        print(targets_text())
        print(f"memcached during the run: {cache_use}")
        if profile:
            print(f"\npy-spy, one worker, during {args.profile} at the first concurrency:\n" + profile)
        if not args.no_results:
            machine = machine_description(f"{args.postgres.rstrip('/')}/postgres")
            data_set = (
                f"50 features (5 multivariate), 20 segments, 20 segment overrides, "
                f"{data['identity_count']:,} identities x 5 traits"
            )
            machine["memcached during the run"] = cache_use
            append_results(args.results, results, machine, settings_summary(env, caches, args), args, data_set, profile)
        missed = any(result.failures for result in results)
        return 3 if missed and args.strict else 0


def _load(
    args: argparse.Namespace, target: Target, cases: list[Case], master_pid: int, database_url: str
) -> tuple[list[Result], str | None]:
    results: list[Result] = []
    profile: str | None = None
    for connections in args.connection_list:
        ceiling: float | None = None
        for case in cases:
            if args.warmup > 0:
                run_wrk(target, case, connections, args.threads, args.warmup)
            label = f"{case.name} at {connections} connections"
            log(f"{label}: {args.duration:g} s")
            profile_now = args.profile == case.name and connections == args.connection_list[0]
            with contextlib.ExitStack() as stack:
                profile_path = (
                    stack.enter_context(profiling(args, master_pid, f"{case.name}-c{connections}", args.duration))
                    if profile_now
                    else None
                )
                raw = run_wrk(target, case, connections, args.threads, args.duration)
            if profile_path is not None and profile_path.exists():
                profile = profile_summary(profile_path)
            if case.method != "GET":
                settle_database(database_url)
            result = Result(case, connections, raw)
            if case.name == "liveness":
                ceiling = result.rps
            result.ceiling = ceiling if case.name != "liveness" else None
            result.judge()
            results.append(result)
            log(
                f"  {result.rps:,.0f} req/s, p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms, {result.errors} errors"
            )
    return results, profile


def _user_exists(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


if __name__ == "__main__":
    sys.exit(main())
