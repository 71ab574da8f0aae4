"""The official SDKs following Banderole's realtime stream: a flag change reaches them within a second.

The session's gunicorn serves the API; beside it runs the stream process
(``manage.py runrealtime``) on the same PostgreSQL database, fed by LISTEN/NOTIFY.
Each SDK gets a project of its own with ``enable_realtime_updates`` on, one flag off,
and is told where the stream is; the test then enables the flag through the admin
API and measures, from the admin API's response, how long the SDK takes to see it:

- the Python SDK (``flagsmith``) in local evaluation with ``enable_realtime_updates=True``
  and ``environment_refresh_interval_seconds=3600``, so polling cannot be what updates it
  (in realtime mode it does not poll at all: the stream's event makes it refetch the
  environment document);
- the browser SDK (npm ``flagsmith``, ``realtime: true``) in Chromium on a test page of
  another origin (``node/pages/realtime.html``): the event makes it refetch ``/flags/``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
import requests
from flagsmith import Flagsmith

from tests.e2e.server import RunningServer, gunicorn, stream_process
from tests.sdk_compat.configuration import AdminClient
from tests.sdk_compat.conftest import SUPERUSER_EMAIL, SUPERUSER_PASSWORD

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

FLAG = "realtime_flag"


@pytest.fixture(scope="module")
def realtime(
    server: RunningServer, memcached_location: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[RunningServer, RunningServer]]:
    """gunicorn and the stream process on the session's database, with the environment cache shared.

    As docker-compose.yml deploys them: with memcached every API process sees a change at
    once, so the stream sends its event at once (docs/realtime.md says why it waits
    otherwise).
    """
    logs = tmp_path_factory.mktemp("realtime")
    settings = {
        "DJANGO_SETTINGS_MODULE": "app.settings.production",
        "DJANGO_SECRET_KEY": server.env["DJANGO_SECRET_KEY"],
        "DATABASE_URL": server.env["DATABASE_URL"],
        "ENVIRONMENT_CACHE_BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache",
        "ENVIRONMENT_CACHE_LOCATION": memcached_location,
    }
    with gunicorn(logs / "gunicorn.log", ready_path="/health/liveness/", GUNICORN_WORKERS="2", **settings) as api:  # noqa: SIM117 (the stream process needs api.env)
        with stream_process(logs / "runrealtime.log", env=api.env) as streams:
            yield api, streams


@pytest.fixture(scope="module")
def api(realtime: tuple[RunningServer, RunningServer]) -> RunningServer:
    return realtime[0]


@pytest.fixture(scope="module")
def streams(realtime: tuple[RunningServer, RunningServer]) -> RunningServer:
    return realtime[1]


def _realtime_project(admin: AdminClient, organisation_id: int, name: str) -> dict[str, Any]:
    """A project with realtime updates on, an environment, a server key and one flag, off."""
    project = admin.call(
        "POST", "projects/", {"name": name, "organisation": organisation_id, "enable_realtime_updates": True}, 201
    )
    assert project["enable_realtime_updates"] is True
    environment = admin.call("POST", "environments/", {"name": "Production", "project": project["id"]}, 201)
    client_key = environment["api_key"]
    server_key = admin.call("POST", f"environments/{client_key}/api-keys/", {"name": "realtime"}, 201)["key"]
    feature = admin.call("POST", f"projects/{project['id']}/features/", {"name": FLAG, "default_enabled": False}, 201)
    states = admin.call("GET", f"environments/{client_key}/featurestates/?feature={feature['id']}")
    states = states["results"] if isinstance(states, dict) else states
    (state,) = [state for state in states if state["feature"] == feature["id"]]
    return {
        "client_key": client_key,
        "server_key": server_key,
        "state_path": f"environments/{client_key}/featurestates/{state['id']}/",
    }


@pytest.fixture(scope="module")
def admin(api: RunningServer, configuration: Any) -> AdminClient:
    """The superuser on the realtime gunicorn; ``configuration`` made the organisation."""
    client = AdminClient(api.url)
    client.login(SUPERUSER_EMAIL, SUPERUSER_PASSWORD)
    return client


def _say(capsys: pytest.CaptureFixture[str], message: str) -> None:
    with capsys.disabled():
        print(f"\n[sdk-compat] {message}")


def test_python_sdk__realtime_updates__flag_change_seen_within_a_second(
    admin: AdminClient,
    configuration: Any,
    api: RunningServer,
    streams: RunningServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    project = _realtime_project(admin, configuration.organisation_id, "Realtime Python")
    client = Flagsmith(
        environment_key=project["server_key"],
        api_url=f"{api.url}/api/v1/",
        realtime_api_url=f"{streams.url}/",
        enable_local_evaluation=True,
        enable_realtime_updates=True,
        environment_refresh_interval_seconds=3600,
        enable_analytics=False,
    )
    try:
        assert client.get_environment_flags().is_feature_enabled(FLAG) is False
        assert not hasattr(client, "environment_data_polling_manager_thread")
        # Let the SDK's stream thread connect (its first event is the current version).
        time.sleep(1.0)

        admin.call("PATCH", project["state_path"], {"enabled": True})
        answered = time.monotonic()
        while not client.get_environment_flags().is_feature_enabled(FLAG):
            assert time.monotonic() - answered < 10, "the Python SDK never saw the change"
            time.sleep(0.005)
        delay = time.monotonic() - answered
    finally:
        client.event_stream_thread.stop()
        client.session.close()

    assert delay < 1.0, f"seen after {delay:.3f} s"
    _say(
        capsys,
        f"flagsmith (Python) {version('flagsmith')}: realtime change seen {delay * 1000:.0f} ms after the API answered",
    )


def test_browser_sdk__realtime_in_chromium__flag_change_seen_within_a_second(
    admin: AdminClient,
    configuration: Any,
    api: RunningServer,
    streams: RunningServer,
    node_project: Path,
    chromium: str,
    test_site: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    project = _realtime_project(admin, configuration.organisation_id, "Realtime Browser")
    input_path = tmp_path / "input.json"
    input_path.write_text(
        json.dumps(
            {
                "api": f"{api.url}/api/v1/",
                "eventSourceUrl": f"{streams.url}/",
                "clientKey": project["client_key"],
                "flag": FLAG,
            }
        )
    )
    process = subprocess.Popen(
        [shutil.which("node") or "node", "browser.js", f"{test_site}/pages/realtime.html", str(input_path)],
        cwd=node_project,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "CHROMIUM_PATH": chromium},
    )
    watchdog = threading.Timer(120, process.kill)
    watchdog.start()
    api_delay = None
    try:
        assert process.stdout is not None and process.stdin is not None
        lines = []
        for line in process.stdout:
            lines.append(line)
            if line.strip() == "STEP streaming":
                started = time.monotonic()
                admin.call("PATCH", project["state_path"], {"enabled": True})
                api_delay = time.monotonic() - started
                process.stdin.write("changed\n")
                process.stdin.flush()
            if line.startswith("RESULT "):
                break
        process.stdin.close()
        stderr = process.stderr.read() if process.stderr else ""
        process.wait(timeout=30)
    finally:
        watchdog.cancel()
        process.kill()

    result = next((line for line in lines if line.startswith("RESULT ")), None)
    assert result is not None, f"browser.js gave no result:\n{''.join(lines)}\n{stderr}"
    output = json.loads(result.removeprefix("RESULT "))
    assert not output["problems"], output["problems"]
    assert output["before"] is False and output["after"] is True, json.dumps(output)
    assert output["eventSourceUrl"] == f"{streams.url}/sse/environments/{project['client_key']}/stream"
    # X-Flagsmith-Document-Updated-At is readable cross-origin, so the stream's first event
    # (the version the SDK already has) did not make it fetch the flags again.
    assert output["timestamp"] is not None, output
    assert output["fetchesBeforeChange"] == 1, output["fetches"]
    assert output["seenAfterMs"] is not None and output["seenAfterMs"] < 1000, output
    sdk_version = json.loads((node_project / "node_modules" / "flagsmith" / "package.json").read_text())["version"]
    _say(
        capsys,
        f"flagsmith (browser) {sdk_version} in {output['browser']}: realtime change seen "
        f"{output['seenAfterMs']} ms after the API answered (the API took {api_delay * 1000:.0f} ms)",
    )


def test_stream_process__unknown_key__json_404(streams: RunningServer) -> None:
    response = requests.get(f"{streams.url}/sse/environments/not-a-key/stream", timeout=10)

    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid or missing Environment Key"}
