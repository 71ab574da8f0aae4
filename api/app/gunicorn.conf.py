"""Gunicorn settings for every deployment: the Docker image, the Procfile and Elastic Beanstalk.

Everything comes from environment variables so one file serves every platform, and the
names follow Flagsmith's image so an existing deployment's variables carry over. Gunicorn
executes this file itself before the application is loaded, so it imports nothing from
Django or the project. An empty variable counts as unset, as in ``app.envvars``.

A malformed number stops start-up with one line naming the variable, rather than a
gunicorn traceback about a setting the deployer never wrote.
"""

from __future__ import annotations

import os

_LOG_LEVELS = ("debug", "info", "warning", "error", "critical")


def _env(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


def _env_int(name: str, default: int, minimum: int = 0, maximum: int | None = None) -> int:
    raw = _env(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SystemExit(f"{name}={raw!r} is invalid: expected an integer") from None
    if value < minimum or (maximum is not None and value > maximum):
        bounds = f"between {minimum} and {maximum}" if maximum is not None else f"of at least {minimum}"
        raise SystemExit(f"{name}={raw!r} is invalid: expected an integer {bounds}")
    return value


def _log_level() -> str:
    raw = _env("LOG_LEVEL")
    if raw is None:
        # Gunicorn's own default; it keeps the "Booting worker" lines that show start-up worked.
        return "info"
    if raw.lower() not in _LOG_LEVELS:
        raise SystemExit(f"LOG_LEVEL={raw!r} is invalid: expected one of {', '.join(_LOG_LEVELS).upper()}")
    return raw.lower()


def _statsd_host() -> str | None:
    host = _env("STATSD_HOST")
    port = _env_int("STATSD_PORT", 8125, minimum=1, maximum=65535)
    if host is None:
        return None
    if host.startswith("unix:"):
        return host
    return f"{host}:{port}"


# --- Server socket -------------------------------------------------------------
# All interfaces: inside a container or behind the platform's router that is the only
# way in. PORT is what Heroku-like platforms hand the web process.
bind = [f"0.0.0.0:{_env_int('PORT', 8000, minimum=1, maximum=65535)}"]

# --- Workers ---------------------------------------------------------------------
workers = _env_int("GUNICORN_WORKERS", 3, minimum=1)
threads = _env_int("GUNICORN_THREADS", 2, minimum=1)
# Threads only take effect with gthread; naming it keeps the log honest about what runs.
worker_class = "gthread" if threads > 1 else "sync"
timeout = _env_int("GUNICORN_TIMEOUT", 30)
keepalive = _env_int("GUNICORN_KEEP_ALIVE", 2)
# Worker heartbeats touch a file every second; on a container's disk-backed overlay that
# can stall a worker until the arbiter kills it. Gunicorn's docs recommend tmpfs.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None

# --- Reloads without downtime ------------------------------------------------------
# The app is loaded once, in the arbiter, and workers are forked from it: a SIGHUP's new
# workers answer within milliseconds instead of each spending a second or more of CPU
# importing Django while the old ones have already stopped (2-10 s without an answer).
# What must not cross a fork is opened after it: pre_fork closes the arbiter's database
# connections and cache clients, and post_fork starts each worker's background threads
# (app.wsgi reads BANDEROLE_THREADS_AFTER_FORK). The price: a SIGHUP no longer loads new
# code, so deploy new code by restarting (as a new container or release does).
_FALSE = {"0", "false", "no", "off", "n", "f"}
_preload = _env("GUNICORN_PRELOAD_APP")
if _preload is not None and _preload.lower() not in _FALSE | {"1", "true", "yes", "on", "y", "t"}:
    raise SystemExit(f"GUNICORN_PRELOAD_APP={_preload!r} is invalid: expected true or false")
preload_app = _preload is None or _preload.lower() not in _FALSE
if preload_app:
    os.environ["BANDEROLE_THREADS_AFTER_FORK"] = "1"
else:
    os.environ.pop("BANDEROLE_THREADS_AFTER_FORK", None)


def pre_fork(server: object, worker: object) -> None:
    """In the arbiter, before each fork: no connection or client of its own goes to a worker."""
    if preload_app:
        from app.wsgi import before_fork

        before_fork()


def post_fork(server: object, worker: object) -> None:
    """In the new worker: the threads app.wsgi starts at import in a server without preload."""
    if preload_app:
        from app.wsgi import start_background_work

        start_background_work()


# --- Logging ---------------------------------------------------------------------
# Unset means no access log at all (Flagsmith's documented behaviour); "-" is stdout.
accesslog = _env("ACCESS_LOG_LOCATION")
_access_log_format = _env("ACCESS_LOG_FORMAT")
if _access_log_format is not None:
    access_log_format = _access_log_format
errorlog = "-"
loglevel = _log_level()

# --- StatsD: only when a host is given, so nothing is sent anywhere by default ---
statsd_host = _statsd_host()
statsd_prefix = _env("STATSD_PREFIX") or "flagsmith.api"

# --- Prometheus: one set of numbers for all workers ----------------------------------
# With PROMETHEUS_ENABLED each worker writes its counters to files in
# PROMETHEUS_MULTIPROC_DIR and a scrape of /metrics adds up every worker's (core/metrics.py).
# prometheus_client reads the variable when it is first imported, in each worker after
# the fork, so it is set here, in the arbiter. Unset: a new private directory per start.
# Either way files of an earlier run are removed, or their counts would be added again.
_TRUE = {"1", "true", "yes", "on", "y", "t"}
if (_env("PROMETHEUS_ENABLED") or "").lower() in _TRUE:
    import glob
    import tempfile

    _multiproc_dir = _env("PROMETHEUS_MULTIPROC_DIR")
    if _multiproc_dir is None:
        _multiproc_dir = tempfile.mkdtemp(prefix="banderole-prometheus-")
    os.makedirs(_multiproc_dir, exist_ok=True)
    for _stale in glob.glob(os.path.join(_multiproc_dir, "*.db")):
        os.remove(_stale)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _multiproc_dir

    def child_exit(server: object, worker: object) -> None:
        """A dead worker's live gauges stop counting; its counters and histograms stay summed."""
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[attr-defined]


# --- Control socket --------------------------------------------------------------
# Gunicorn 25+ opens an admin socket under $HOME by default; a server in a container or
# on a PaaS has no use for it and two instances sharing a home would fight over it.
_control_socket = _env("GUNICORN_CONTROL_SOCKET")
control_socket_disable = _control_socket is None
if _control_socket is not None:
    control_socket = _control_socket
