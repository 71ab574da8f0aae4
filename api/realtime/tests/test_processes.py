"""The shipped processes: gunicorn and ``manage.py runrealtime``, as make serve, Docker and the Procfile run them.

- SQLite (the embedded default): the stream process polls; a flag changed through the
  API reaches a stream opened through the API's redirect (``REALTIME_URL``).
- PostgreSQL: two stream processes behind one API both get the event (LISTEN/NOTIFY),
  as several stream processes behind a load balancer must.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from realtime.tests.conftest import EventReader
from tests.e2e.server import (
    RunningServer,
    free_port,
    fresh_postgres_database,
    gunicorn,
    manage,
    stream_process,
    subprocess_env,
)
from tests.sdk_compat.configuration import AdminClient

pytestmark = pytest.mark.slow

EMAIL, PASSWORD = "realtime@example.com", "realtime-password-1234"


def _settings(**overrides: str) -> dict[str, str]:
    """What ``gunicorn()`` gives the server, for the commands run before it starts."""
    return subprocess_env(
        DJANGO_SETTINGS_MODULE="app.settings.production",
        DJANGO_SECRET_KEY="e2e-test-secret-key-long-enough-for-production-settings",
        **overrides,
    )


def _flag_in_realtime_project(api: RunningServer) -> tuple[AdminClient, str, str]:
    """The superuser's session, a realtime project's client key and its one flag's state path."""
    manage(
        "createsuperuser",
        "--noinput",
        env={**api.env, "DJANGO_SUPERUSER_EMAIL": EMAIL, "DJANGO_SUPERUSER_PASSWORD": PASSWORD},
    )
    admin = AdminClient(api.url)
    admin.login(EMAIL, PASSWORD)
    organisation = admin.call("POST", "organisations/", {"name": "Realtime"}, 201)
    project = admin.call(
        "POST", "projects/", {"name": "Web", "organisation": organisation["id"], "enable_realtime_updates": True}, 201
    )
    key = admin.call("POST", "environments/", {"name": "Production", "project": project["id"]}, 201)["api_key"]
    feature = admin.call("POST", f"projects/{project['id']}/features/", {"name": "live"}, 201)
    states = admin.call("GET", f"environments/{key}/featurestates/")
    states = states["results"] if isinstance(states, dict) else states
    state = next(state for state in states if state["feature"] == feature["id"])
    return admin, key, f"environments/{key}/featurestates/{state['id']}/"


def test_processes__sqlite__event_through_the_api_redirect_after_a_flag_change(tmp_path: Path) -> None:
    streams_port = free_port()
    sqlite = {
        "ALLOW_SQLITE_IN_PRODUCTION": "true",
        "SQLITE_PATH": str(tmp_path / "banderole.sqlite3"),
        "REALTIME_URL": f"http://127.0.0.1:{streams_port}",
    }
    manage("migrate", "--noinput", env=_settings(**sqlite))
    with gunicorn(tmp_path / "gunicorn.log", ready_path="/health/liveness/", **sqlite) as api:
        admin, key, state_path = _flag_in_realtime_project(api)
        with stream_process(tmp_path / "runrealtime.log", env=api.env, port=streams_port):
            reader = EventReader(f"{api.url}/api/v1/sse/environments/{key}/stream")  # 307 to the stream process
            before = reader.event()["data"]["updated_at"]

            admin.call("PATCH", state_path, {"enabled": True})
            answered = time.monotonic()
            after = reader.event()["data"]["updated_at"]
            delay = time.monotonic() - answered
            reader.close()

    assert reader.response.history[0].status_code == 307
    assert after > before
    # Polling every second, then the per-process version check of the API (1 s) is waited for.
    assert delay < 3.5


@pytest.mark.postgres
def test_processes__two_stream_processes__both_get_every_change(tmp_path: Path) -> None:
    with fresh_postgres_database("banderole_realtime") as url:
        manage("migrate", "--noinput", env=_settings(DATABASE_URL=url))
        with (
            gunicorn(tmp_path / "gunicorn.log", ready_path="/health/liveness/", DATABASE_URL=url) as api,
            stream_process(tmp_path / "one.log", env=api.env) as one,
            stream_process(tmp_path / "two.log", env=api.env) as two,
        ):
            admin, key, state_path = _flag_in_realtime_project(api)
            readers = [EventReader(f"{streams.url}/sse/environments/{key}/stream") for streams in (one, two)]
            before = [reader.event()["data"]["updated_at"] for reader in readers]

            admin.call("PATCH", state_path, {"enabled": True})
            after = [reader.event()["data"]["updated_at"] for reader in readers]
            for reader in readers:
                reader.close()

    assert before[0] == before[1] < after[0] == after[1]
