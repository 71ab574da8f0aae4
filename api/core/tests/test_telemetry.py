"""Telemetry (``ENABLE_TELEMETRY``): counts sent once at start-up, in the background.

A real HTTP receiver on 127.0.0.1 plays the telemetry endpoint. Dead URLs (a closed
port, a blackholed address) must not delay the start-up call or raise from it.
"""

from __future__ import annotations

import json
import logging
import socket
import subprocess
import sys
import time

import pytest

from app import telemetry
from core.tests.test_settings import API_DIR, clean_env  # noqa: F401 (fixture)
from tests.receivers import HTTPReceiver

pytestmark = pytest.mark.django_db(transaction=True)


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/telemetry"


def test_start__url_set__payload_with_counts_arrives(settings) -> None:
    from environments.tests.factories import EnvironmentFactory
    from features.tests.factories import FeatureFactory
    from organisations.tests.factories import MembershipFactory, OrganisationFactory
    from projects.tests.factories import ProjectFactory
    from segments.tests.factories import SegmentFactory

    organisation = OrganisationFactory()
    MembershipFactory(organisation=organisation)
    MembershipFactory(organisation=organisation)
    project = ProjectFactory(organisation=organisation)
    EnvironmentFactory(project=project)
    EnvironmentFactory(project=project)
    FeatureFactory(project=project)
    SegmentFactory(project=project)

    with HTTPReceiver() as receiver:
        settings.ENABLE_TELEMETRY = True
        settings.TELEMETRY_URL = receiver.url + "/api/telemetry/"
        settings.ENV = "prod"
        settings.DEBUG = False
        thread = telemetry.start()
        (request,) = receiver.wait_for(1)
        assert thread is not None
        thread.join(5)

    assert request.method == "POST"
    assert request.path == "/api/telemetry/"
    assert request.headers["content-type"] == "application/json"
    assert request.json() == {
        "organisations": 1,
        "projects": 1,
        "environments": 2,
        "features": 1,
        "segments": 1,
        "users": 2,
        "debug_enabled": False,
        "env": "prod",
    }


def test_start__disabled__sends_nothing(settings) -> None:
    with HTTPReceiver() as receiver:
        settings.ENABLE_TELEMETRY = False
        settings.TELEMETRY_URL = receiver.url
        assert telemetry.start() is None
        time.sleep(0.3)
        assert receiver.requests == []


def test_start__no_url__sends_nothing(settings) -> None:
    settings.ENABLE_TELEMETRY = True
    settings.TELEMETRY_URL = ""
    assert telemetry.start() is None


@pytest.fixture
def silent_url():
    """A port that accepts connections into its backlog and never answers: the read times out."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/telemetry"


@pytest.mark.parametrize("kind", ["closed", "blackhole", "silent"])
def test_start__dead_url__returns_at_once_and_swallows_error(settings, caplog, silent_url, kind) -> None:
    # 10.255.255.1 is unrouted; where a sandbox answers for it instead, it still must not matter.
    url = {"closed": _closed_port_url(), "blackhole": "http://10.255.255.1/api/telemetry/", "silent": silent_url}[kind]
    settings.ENABLE_TELEMETRY = True
    settings.TELEMETRY_URL = url
    settings.TELEMETRY_TIMEOUT_SECONDS = 0.5
    caplog.set_level(logging.DEBUG, logger="banderole.telemetry")

    started = time.monotonic()
    thread = telemetry.start()
    assert time.monotonic() - started < 0.2

    assert thread is not None and thread.daemon
    thread.join(10)
    assert not thread.is_alive()  # the short timeout ended it
    assert time.monotonic() - started < 5
    assert any("Telemetry not sent" in record.getMessage() for record in caplog.records)


STARTUP_SCRIPT = """
import threading, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
import app.wsgi
for thread in threading.enumerate():
    if thread.name == "telemetry":
        thread.join(10)
print("started")
"""


def test_wsgi_startup__sends_telemetry_once(clean_env) -> None:  # noqa: F811
    with HTTPReceiver() as receiver:
        result = subprocess.run(
            [sys.executable, "-c", STARTUP_SCRIPT],
            cwd=API_DIR,
            env={
                **clean_env,
                "DJANGO_SETTINGS_MODULE": "app.settings.production",
                "TELEMETRY_URL": receiver.url + "/t",
                "ENV": "staging",
                "ALLOW_SQLITE_IN_PRODUCTION": "true",
            },
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert "started" in result.stdout
        (request,) = receiver.wait_for(1)
    body = json.loads(request.body)
    assert body["env"] == "staging"
    assert body["organisations"] == 0 and body["users"] == 0
