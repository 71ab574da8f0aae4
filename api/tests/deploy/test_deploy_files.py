"""The files a self-hoster deploys with: Dockerfile, compose files, Procfile, Elastic Beanstalk, gunicorn.

No Docker engine runs in the test environment, so the files are parsed and checked for the
mistakes that otherwise surface only on a deployer's machine; gunicorn and the entrypoint
are run for real from this checkout. None of these tests use the test database.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import runpy
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.server import GUNICORN_CONF, GUNICORN_VARIABLES, VENV_BIN, free_port, gunicorn, subprocess_env

API_DIR = Path(__file__).resolve().parents[2]
REPO_DIR = API_DIR.parent
ENTRYPOINT = REPO_DIR / "docker" / "entrypoint.sh"
HEALTHCHECK = REPO_DIR / "docker" / "healthcheck.py"
DOCKERFILE = REPO_DIR / "Dockerfile"
PROCFILE = REPO_DIR / "Procfile"
CONFIGURATION_DOCS = REPO_DIR / "docs" / "configuration.md"
EB_RELEASE_HOOKS = [
    REPO_DIR / ".platform" / "hooks" / "prebuild" / "01_drop_procfile_release.sh",
    REPO_DIR / ".platform" / "confighooks" / "prebuild" / "01_drop_procfile_release.sh",
]


def _load_yaml(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _environment_of(service: dict[str, Any]) -> dict[str, str]:
    """A compose service's environment, whichever of the two spellings it uses."""
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in environment)
    return {name: "" if value is None else str(value) for name, value in environment.items()}


def _dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for line in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        keyword, _, arguments = (pending + stripped).partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        pending = ""
    return instructions


@pytest.fixture
def gunicorn_config(monkeypatch: pytest.MonkeyPatch) -> Callable[..., dict[str, Any]]:
    """Execute gunicorn.conf.py as gunicorn does, under the given environment variables."""
    for name in GUNICORN_VARIABLES:
        # setenv first, so that what the config itself sets is undone after the test too.
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)

    def load(**env: str) -> dict[str, Any]:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return runpy.run_path(str(GUNICORN_CONF))

    return load


# --- docker-compose.yml and docker/db.yaml ---------------------------------------------


def test_docker_compose__parsed__runs_postgres_memcached_and_banderole() -> None:
    compose = _load_yaml(REPO_DIR / "docker-compose.yml")

    services = compose["services"]

    assert {"postgres", "memcached", "banderole"} <= set(services)
    assert services["banderole"]["build"] == "."
    assert services["banderole"]["command"] == "migrate-and-serve"
    assert "8000:8000" in services["banderole"]["ports"]
    assert services["banderole"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "memcached" in services["banderole"]["depends_on"]
    assert "healthcheck" in services["postgres"]
    assert "/health/readiness/" in services["banderole"]["healthcheck"]["test"]


def test_docker_compose__banderole_environment__names_a_database_and_a_usable_secret_key() -> None:
    compose = _load_yaml(REPO_DIR / "docker-compose.yml")
    postgres = _environment_of(compose["services"]["postgres"])

    environment = _environment_of(compose["services"]["banderole"])

    assert environment["DATABASE_URL"] == (
        f"postgresql://postgres:{postgres['POSTGRES_PASSWORD']}@postgres:5432/{postgres['POSTGRES_DB']}"
    )
    # Production settings refuse a key shorter than 32 characters: the placeholder must
    # start, or `docker compose up` would fail on first contact.
    assert len(environment["DJANGO_SECRET_KEY"]) >= 32
    assert environment["ACCESS_LOG_LOCATION"] == "-"


def test_docker_compose__every_environment_variable__is_documented() -> None:
    compose = _load_yaml(REPO_DIR / "docker-compose.yml")
    names = sorted(_environment_of(compose["services"]["banderole"]))
    if not CONFIGURATION_DOCS.exists():
        pytest.skip(f"{CONFIGURATION_DOCS.relative_to(REPO_DIR)} is not written yet")

    docs = CONFIGURATION_DOCS.read_text(encoding="utf-8")
    undocumented = [name for name in names if not re.search(rf"\b{re.escape(name)}\b", docs)]

    assert undocumented == []


def test_db_yaml__parsed__publishes_postgres_on_loopback_only() -> None:
    compose = _load_yaml(REPO_DIR / "docker" / "db.yaml")

    postgres = compose["services"]["postgres"]

    assert set(compose["services"]) == {"postgres"}
    assert postgres["ports"] == ["127.0.0.1:5432:5432"]
    environment = _environment_of(postgres)
    assert environment["POSTGRES_PASSWORD"] == "${POSTGRES_PASSWORD:-password}"
    assert environment["POSTGRES_DB"] == "banderole"


def test_bin_test__default_test_database_url__reaches_the_db_yaml_server() -> None:
    # Someone who follows the README (docker/db.yaml, then make test) gets the PostgreSQL stage:
    # the default URL carries db.yaml's user, default password and published port.
    default = re.search(r'TEST_DATABASE_URL:-([^}"]+)', (REPO_DIR / "bin" / "test").read_text()).group(1)
    compose = _load_yaml(REPO_DIR / "docker" / "db.yaml")
    password = re.fullmatch(
        r"\$\{POSTGRES_PASSWORD:-(.+)\}", _environment_of(compose["services"]["postgres"])["POSTGRES_PASSWORD"]
    )
    host_port = compose["services"]["postgres"]["ports"][0].rsplit(":", 1)[0]

    assert default == f"postgresql://postgres:{password.group(1)}@{host_port}/postgres"
    assert default in (REPO_DIR / "README.md").read_text()


# --- Procfile ----------------------------------------------------------------------------


def test_procfile__lines__release_migrates_web_takes_workers_from_the_config_and_realtime_streams() -> None:
    lines = PROCFILE.read_text(encoding="utf-8").splitlines()

    processes = dict(line.split(":", 1) for line in lines)

    # Elastic Beanstalk rejects a Procfile with any line outside this form.
    assert all(re.fullmatch(r"[A-Za-z0-9_-]+:\s*[^\s].*", line) for line in lines)
    assert set(processes) == {"release", "web", "realtime"}
    assert "manage.py migrate --noinput" in processes["release"]
    assert "manage.py createcachetable" in processes["release"]
    web = processes["web"].split()
    assert "-c" in web and web[web.index("-c") + 1] == "app/gunicorn.conf.py"
    # Flagsmith's Procfile passes -w twice, so the second silently wins.
    assert web.count("-w") + web.count("--workers") <= 1
    # manage.py defaults to the local settings; the stream process must run the production ones.
    assert "DJANGO_SETTINGS_MODULE:-app.settings.production" in processes["realtime"]
    assert "manage.py runrealtime" in processes["realtime"]


def test_eb_prebuild_hooks__staged_procfile__keep_only_the_web_process(tmp_path: Path) -> None:
    for hook in EB_RELEASE_HOOKS:
        (tmp_path / "Procfile").write_text(PROCFILE.read_text(encoding="utf-8"), encoding="utf-8")

        subprocess.run(["bash", str(hook), str(tmp_path)], check=True, timeout=30)

        assert os.access(hook, os.X_OK)
        remaining = (tmp_path / "Procfile").read_text(encoding="utf-8").splitlines()
        assert [line.split(":", 1)[0] for line in remaining] == ["web"]


def test_ebextensions__config__migrates_on_the_leader_and_points_at_the_wsgi_module() -> None:
    config = _load_yaml(REPO_DIR / ".ebextensions" / "01_banderole.config")
    options = config["option_settings"]

    commands = config["container_commands"]

    assert options["aws:elasticbeanstalk:application:environment"]["DJANGO_SETTINGS_MODULE"] == (
        "app.settings.production"
    )
    assert options["aws:elasticbeanstalk:application:environment"]["PYTHONPATH"].endswith("/api")
    module, _, callable_name = options["aws:elasticbeanstalk:container:python"]["WSGIPath"].partition(":")
    assert (API_DIR / Path(*module.split("."))).with_suffix(".py").is_file()
    assert callable_name == "application"
    migrate = [command for command in commands.values() if "manage.py migrate" in command["command"]]
    assert len(migrate) == 1 and migrate[0]["leader_only"] is True
    assert any("collectstatic --noinput" in command["command"] for command in commands.values())
    example = _load_yaml(REPO_DIR / ".ebextensions" / "options.config.example")
    assert {"DATABASE_URL", "DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS"} <= set(
        example["option_settings"]["aws:elasticbeanstalk:application:environment"]
    )
    assert _load_yaml(REPO_DIR / ".elasticbeanstalk" / "config.yml")["global"]["application_name"] == "banderole"


# --- Dockerfile and .dockerignore -----------------------------------------------------------


def test_dockerfile__stages__builds_the_venv_apart_from_the_runtime() -> None:
    instructions = _dockerfile_instructions()

    stages = [arguments for keyword, arguments in instructions if keyword == "FROM"]

    assert len(stages) >= 2
    assert any(stage.endswith(" AS builder") for stage in stages)
    assert any(keyword == "COPY" and "--from=builder /opt/venv /opt/venv" in args for keyword, args in instructions)
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11-slim$", DOCKERFILE.read_text(encoding="utf-8"), re.MULTILINE)


def test_dockerfile__user__is_not_root() -> None:
    users = [arguments for keyword, arguments in _dockerfile_instructions() if keyword == "USER"]

    assert users, "the image must drop root"
    assert users[-1].split(":")[0] not in {"root", "0"}


def test_dockerfile__settings__production_at_runtime_with_build_only_secrets() -> None:
    instructions = _dockerfile_instructions()

    env = " ".join(arguments for keyword, arguments in instructions if keyword == "ENV")
    runs = [arguments for keyword, arguments in instructions if keyword == "RUN"]

    assert "DJANGO_SETTINGS_MODULE=app.settings.production" in env
    assert "PYTHONUNBUFFERED=1" in env
    # The throwaway key must be scoped to the collectstatic RUN, never baked into ENV.
    assert "DJANGO_SECRET_KEY" not in env and "ALLOW_SQLITE_IN_PRODUCTION" not in env
    collectstatic = [run for run in runs if "collectstatic --noinput" in run]
    assert len(collectstatic) == 1
    assert "DJANGO_SECRET_KEY=" in collectstatic[0] and "ALLOW_SQLITE_IN_PRODUCTION=true" in collectstatic[0]


def test_dockerfile__entrypoint_and_healthcheck__point_at_shipped_scripts() -> None:
    instructions = dict(_dockerfile_instructions())

    entrypoint = json.loads(instructions["ENTRYPOINT"])
    healthcheck = instructions["HEALTHCHECK"]

    assert entrypoint == ["/app/docker/entrypoint.sh"] and ENTRYPOINT.is_file()
    assert json.loads(instructions["CMD"]) == ["migrate-and-serve"]
    assert "/app/docker/healthcheck.py" in healthcheck and "/health/liveness/" in healthcheck
    assert instructions["WORKDIR"] == "/app/api"
    assert instructions["EXPOSE"] == "8000 8001"


def test_dockerignore__patterns__keep_local_state_and_secrets_out_of_the_image() -> None:
    patterns = {
        line.strip()
        for line in (REPO_DIR / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }

    assert {".venv", ".git", "api/static", "api/.django_secret_key", "**/__pycache__", "**/node_modules"} <= patterns
    assert "api/db.sqlite3*" in patterns


# --- gunicorn.conf.py -------------------------------------------------------------------------


def test_gunicorn_conf__nothing_set__matches_flagsmith_image_defaults(gunicorn_config: Callable[..., dict]) -> None:
    config = gunicorn_config()

    assert config["bind"] == ["0.0.0.0:8000"]
    assert (config["workers"], config["threads"], config["worker_class"]) == (3, 2, "gthread")
    assert (config["timeout"], config["keepalive"]) == (30, 2)
    assert config["loglevel"] == "info"
    assert config["statsd_host"] is None
    assert "access_log_format" not in config
    assert config["control_socket_disable"] is True


def test_gunicorn_conf__access_log_location_unset__no_access_log(gunicorn_config: Callable[..., dict]) -> None:
    config = gunicorn_config()

    assert config["accesslog"] is None


def test_gunicorn_conf__access_log_location_dash__logs_to_stdout(gunicorn_config: Callable[..., dict]) -> None:
    config = gunicorn_config(ACCESS_LOG_LOCATION="-", ACCESS_LOG_FORMAT="%(h)s %(r)s %(s)s")

    assert config["accesslog"] == "-"
    assert config["access_log_format"] == "%(h)s %(r)s %(s)s"


def test_gunicorn_conf__statsd_host_set__default_port_and_flagsmith_prefix(
    gunicorn_config: Callable[..., dict],
) -> None:
    config = gunicorn_config(STATSD_HOST="h")

    assert config["statsd_host"] == "h:8125"
    assert config["statsd_prefix"] == "flagsmith.api"


def test_gunicorn_conf__statsd_port_and_prefix_set__used(gunicorn_config: Callable[..., dict]) -> None:
    config = gunicorn_config(STATSD_HOST="datadog", STATSD_PORT="9125", STATSD_PREFIX="banderole")

    assert (config["statsd_host"], config["statsd_prefix"]) == ("datadog:9125", "banderole")


@pytest.mark.parametrize(("value", "preload"), [(None, True), ("true", True), ("false", False), ("0", False)])
def test_gunicorn_conf__preload_app__on_unless_turned_off_and_threads_wait_for_the_fork(
    gunicorn_config: Callable[..., dict], value: str | None, preload: bool
) -> None:
    config = gunicorn_config(**({} if value is None else {"GUNICORN_PRELOAD_APP": value}))

    assert config["preload_app"] is preload
    # app.wsgi starts its threads at import without preload, in post_fork with it.
    assert bool(os.environ.get("BANDEROLE_THREADS_AFTER_FORK")) is preload
    assert callable(config["pre_fork"]) and callable(config["post_fork"])


@pytest.mark.parametrize(("workers", "threads", "worker_class"), [("5", "1", "sync"), ("1", "4", "gthread")])
def test_gunicorn_conf__workers_and_threads_set__used_with_matching_worker_class(
    gunicorn_config: Callable[..., dict], workers: str, threads: str, worker_class: str
) -> None:
    config = gunicorn_config(GUNICORN_WORKERS=workers, GUNICORN_THREADS=threads, PORT="5000")

    assert (config["workers"], config["threads"], config["worker_class"]) == (int(workers), int(threads), worker_class)
    assert config["bind"] == ["0.0.0.0:5000"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("GUNICORN_WORKERS", "abc"),
        ("GUNICORN_WORKERS", "0"),
        ("GUNICORN_THREADS", "2.5"),
        ("GUNICORN_TIMEOUT", "30s"),
        ("GUNICORN_KEEP_ALIVE", "-1"),
        ("PORT", "http"),
        ("STATSD_PORT", "70000"),
        ("LOG_LEVEL", "verbose"),
        ("GUNICORN_PRELOAD_APP", "sometimes"),
    ],
)
def test_gunicorn_conf__invalid_value__exits_with_one_line_naming_the_variable(
    gunicorn_config: Callable[..., dict], name: str, value: str
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        gunicorn_config(**{name: value})

    message = str(exit_info.value.code)
    assert message.startswith(f"{name}={value!r} is invalid: expected ")
    assert "\n" not in message


def test_gunicorn_conf__every_public_name__is_a_gunicorn_setting_it_accepts(
    gunicorn_config: Callable[..., dict],
) -> None:
    """Gunicorn silently ignores unknown names, so a typo here would be a setting lost."""
    from gunicorn.config import Config

    config = gunicorn_config(
        ACCESS_LOG_LOCATION="-", ACCESS_LOG_FORMAT="%(h)s", STATSD_HOST="h", GUNICORN_CONTROL_SOCKET="/tmp/x.ctl"
    )
    public = {
        name: value
        for name, value in config.items()
        if not name.startswith("_")
        and name != "annotations"
        and not callable(value)
        and type(value).__name__ != "module"
    }
    gunicorn = Config()

    assert sorted(set(public) - set(gunicorn.settings)) == []
    for name, value in public.items():
        gunicorn.set(name, value)  # raises if gunicorn's validator refuses the value
    assert gunicorn.worker_class_str == "gthread"


# --- docker/entrypoint.sh and docker/healthcheck.py ------------------------------------------------


def test_entrypoint__bash_n__parses() -> None:
    result = subprocess.run(["bash", "-n", str(ENTRYPOINT)], capture_output=True, text=True, timeout=30)

    assert result.returncode == 0, result.stderr
    assert os.access(ENTRYPOINT, os.X_OK) and os.access(HEALTHCHECK, os.X_OK)
    assert "set -euo pipefail" in ENTRYPOINT.read_text(encoding="utf-8")


def test_entrypoint__database_unreachable__gives_up_after_the_wait_naming_the_variable() -> None:
    env = subprocess_env(
        DJANGO_SECRET_KEY="entrypoint-test-secret-key-long-enough-for-production",
        DATABASE_URL=f"postgresql://banderole:banderole@127.0.0.1:{free_port()}/banderole",
        DATABASE_WAIT_SECONDS="1",
    )

    started = time.monotonic()
    result = subprocess.run([str(ENTRYPOINT), "migrate"], env=env, capture_output=True, text=True, timeout=60)

    assert result.returncode != 0
    assert "DATABASE_WAIT_SECONDS" in result.stderr
    assert "Applying" not in result.stdout
    assert time.monotonic() - started < 30


def test_entrypoint__database_wait_seconds_not_a_number__exits_naming_the_variable() -> None:
    env = subprocess_env(DATABASE_WAIT_SECONDS="soon")

    result = subprocess.run([str(ENTRYPOINT), "migrate"], env=env, capture_output=True, text=True, timeout=60)

    assert result.returncode != 0
    assert result.stderr.strip() == "DATABASE_WAIT_SECONDS='soon' is invalid: expected an integer"


@pytest.mark.slow
def test_entrypoint__migrate_on_sqlite__applies_every_migration(tmp_path: Path) -> None:
    database = tmp_path / "banderole.sqlite3"
    env = subprocess_env(
        DJANGO_SECRET_KEY="entrypoint-test-secret-key-long-enough-for-production",
        ALLOW_SQLITE_IN_PRODUCTION="true",
        SQLITE_PATH=str(database),
    )

    result = subprocess.run([str(ENTRYPOINT), "migrate"], env=env, capture_output=True, text=True, timeout=300)

    assert result.returncode == 0, result.stderr
    check = subprocess.run(
        [str(VENV_BIN / "python"), "manage.py", "migrate", "--check"],
        cwd=API_DIR,
        env={**env, "DJANGO_SETTINGS_MODULE": "app.settings.production"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stdout + check.stderr


@contextlib.contextmanager
def _gunicorn(tmp_path: Path, **env_overrides: str) -> Iterator[tuple[int, dict[str, str]]]:
    """gunicorn with the shipped config and production settings, on SQLite, one worker."""
    sqlite = {"ALLOW_SQLITE_IN_PRODUCTION": "true", "SQLITE_PATH": str(tmp_path / "banderole.sqlite3")}
    with gunicorn(tmp_path / "gunicorn.out", **{**sqlite, **env_overrides}) as server:
        yield server.port, server.env


@pytest.mark.slow
def test_gunicorn__shipped_config_and_production_settings__serves_liveness_and_logs_access(tmp_path: Path) -> None:
    access_log = tmp_path / "access.log"

    with _gunicorn(tmp_path, ACCESS_LOG_LOCATION=str(access_log)) as (port, env):
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/liveness/", timeout=10) as response:
            status, body = response.status, json.loads(response.read())
        deadline = time.monotonic() + 10
        while "GET /health/liveness/" not in (access_log.read_text() if access_log.exists() else ""):
            assert time.monotonic() < deadline, "no access log line was written"
            time.sleep(0.1)
        healthcheck = subprocess.run(
            [str(VENV_BIN / "python"), str(HEALTHCHECK), "/health/liveness/"],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )

    assert (status, body) == (200, {"status": "ok"})
    assert " 200 " in access_log.read_text()
    assert healthcheck.returncode == 0, healthcheck.stderr


@pytest.mark.slow
def test_healthcheck__strict_allowed_hosts_and_ssl_redirect__still_reports_healthy(tmp_path: Path) -> None:
    """The probe must pass the checks a hardened deployment adds, or Docker marks it unhealthy."""
    hardened = {"DJANGO_ALLOWED_HOSTS": ".flags.example.com", "DJANGO_SECURE_SSL_REDIRECT": "true"}

    with _gunicorn(tmp_path, **hardened) as (port, env):
        probe = subprocess.run(
            [str(VENV_BIN / "python"), str(HEALTHCHECK)], env=env, capture_output=True, text=True, timeout=30
        )
        with pytest.raises(urllib.error.HTTPError) as plain_request:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health/liveness/", timeout=10)

    assert probe.returncode == 0, probe.stderr
    # A request without the probe's headers is refused, so the probe is what made it pass.
    assert plain_request.value.code == 400


def _wsgi_start_stderr(tmp_path: Path, settings_module: str, **variables: str) -> str:
    """What importing the WSGI module (as gunicorn and runserver do) prints on stderr."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DJANGO_SECRET_KEY", "DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(DJANGO_SETTINGS_MODULE=settings_module, **variables)
    result = subprocess.run(
        [str(VENV_BIN / "python"), "-c", "import app.wsgi"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stderr


def test_wsgi_start__local_settings__no_generated_secret_key_warning(tmp_path: Path) -> None:
    # The local settings keep one generated key in api/.django_secret_key: nothing to warn about.
    stderr = _wsgi_start_stderr(tmp_path, "app.settings.local", DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3")

    assert "DJANGO_SECRET_KEY is not set" not in stderr


def test_wsgi_start__production_with_generated_key_allowed__warns(tmp_path: Path) -> None:
    stderr = _wsgi_start_stderr(
        tmp_path,
        "app.settings.production",
        ALLOW_GENERATED_SECRET_KEY="true",
        ALLOW_SQLITE_IN_PRODUCTION="true",
        DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
    )

    assert "DJANGO_SECRET_KEY is not set; a random key was generated" in stderr


# --- make serve's dashboard step ---------------------------------------------------------


@pytest.fixture
def dashboard_checkout(tmp_path: Path) -> Path:
    """A copy of the build-if-changed script in a tree shaped like the repository, whose
    `bundledjango` only writes the built files and counts how often it ran."""
    if subprocess.run(["sh", "-c", "command -v node && command -v npm"], capture_output=True).returncode:
        pytest.skip("Node.js and npm are not installed")
    frontend = tmp_path / "frontend"
    (frontend / "scripts").mkdir(parents=True)
    (frontend / "src").mkdir()
    (frontend / "scripts" / "build-if-changed.mjs").write_text(
        (REPO_DIR / "frontend" / "scripts" / "build-if-changed.mjs").read_text()
    )
    (frontend / "scripts" / "fake-build.mjs").write_text(
        "import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';\n"
        "mkdirSync('../api/static/dashboard', { recursive: true });\n"
        "mkdirSync('../api/app/templates/webpack', { recursive: true });\n"
        "writeFileSync('../api/app/templates/webpack/index.html', '<html></html>');\n"
        "appendFileSync('../builds.txt', 'built\\n');\n"
    )
    (frontend / "package.json").write_text(json.dumps({"scripts": {"bundledjango": "node scripts/fake-build.mjs"}}))
    (frontend / "src" / "main.tsx").write_text("export const answer = 42;\n")
    return frontend


def _build_if_changed(frontend: Path) -> int:
    subprocess.run(["node", "scripts/build-if-changed.mjs"], cwd=frontend, check=True, capture_output=True, timeout=60)
    builds = frontend.parent / "builds.txt"
    return len(builds.read_text().splitlines()) if builds.exists() else 0


def test_dashboard_build_if_changed__unchanged_or_touched_sources__not_rebuilt(dashboard_checkout: Path) -> None:
    assert _build_if_changed(dashboard_checkout) == 1
    assert _build_if_changed(dashboard_checkout) == 1
    os.utime(dashboard_checkout / "src" / "main.tsx")

    assert _build_if_changed(dashboard_checkout) == 1


def test_dashboard_build_if_changed__edited_source_or_missing_build__rebuilt(dashboard_checkout: Path) -> None:
    assert _build_if_changed(dashboard_checkout) == 1
    (dashboard_checkout / "src" / "main.tsx").write_text("export const answer = 43;\n")
    assert _build_if_changed(dashboard_checkout) == 2

    (dashboard_checkout.parent / "api" / "app" / "templates" / "webpack" / "index.html").unlink()

    assert _build_if_changed(dashboard_checkout) == 3
