"""A change queued by one server process is delivered after it stops, by the next one."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.request
from pathlib import Path

import pytest

from tests.e2e.server import gunicorn, manage, subprocess_env
from tests.receivers import HTTPReceiver

SETUP = """
import json
from rest_framework.authtoken.models import Token
from environments.tests.factories import EnvironmentFactory
from features.models import FeatureState
from features.services import create_feature
from organisations.models import OrganisationRole
from organisations.tests.factories import MembershipFactory, OrganisationFactory
from projects.tests.factories import ProjectFactory
from webhooks.models import EnvironmentWebhook

organisation = OrganisationFactory()
admin = MembershipFactory(organisation=organisation, role=OrganisationRole.ADMIN).user
project = ProjectFactory(organisation=organisation)
environment = EnvironmentFactory(project=project)
feature = create_feature(project, {"name": "restart_flag"}, admin)
EnvironmentWebhook.objects.create(environment=environment, url="%(url)s", secret="restart-secret")
state = FeatureState.objects.get(feature=feature, environment=environment, identity=None, feature_segment=None)
print(json.dumps({"token": Token.objects.create(user=admin).key, "env": environment.api_key, "state": state.id}))
"""


@pytest.mark.slow
def test_webhook__queued_by_stopped_server__delivered_by_next_server(tmp_path: Path) -> None:
    database = {
        "ALLOW_SQLITE_IN_PRODUCTION": "true",
        "SQLITE_PATH": str(tmp_path / "db.sqlite3"),
        # The receiver is on loopback, which webhooks may call only when allowed.
        "WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
    }
    env = subprocess_env(
        DJANGO_SETTINGS_MODULE="app.settings.production",
        DJANGO_SECRET_KEY="e2e-test-secret-key-long-enough-for-production-settings",
        **database,
    )
    with HTTPReceiver() as receiver:
        manage("migrate", "--no-input", env=env)
        ids = json.loads(manage("shell", "-c", SETUP % {"url": receiver.url}, env=env).stdout.strip().splitlines()[-1])

        # A server whose deliveries are left to a worker that is not running: it only queues.
        with gunicorn(tmp_path / "first.log", TASK_RUN_METHOD="TASK_PROCESSOR", **database) as server:
            request = urllib.request.Request(
                f"{server.url}/api/v1/environments/{ids['env']}/featurestates/{ids['state']}/",
                data=json.dumps({"enabled": True}).encode(),
                headers={"Authorization": f"Token {ids['token']}", "Content-Type": "application/json"},
                method="PATCH",
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                assert response.status == 200
            time.sleep(1)
        assert receiver.requests == []

        # The next server process (in-process runner, the default) delivers it at start-up.
        with gunicorn(tmp_path / "second.log", WEBHOOK_POLL_SECONDS="60", **database):
            (delivered,) = receiver.wait_for(1, timeout=20)

    payload = delivered.json()
    assert payload["event_type"] == "FLAG_UPDATED"
    assert payload["data"]["new_state"]["feature"]["name"] == "restart_flag"
    assert payload["data"]["new_state"]["enabled"] is True
    signature = hmac.new(b"restart-secret", delivered.body, hashlib.sha256).hexdigest()
    assert delivered.headers["x-flagsmith-signature"] == signature
