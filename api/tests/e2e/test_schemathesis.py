"""Schemathesis over the whole OpenAPI schema against a live server finds no server error.

gunicorn (production settings, two workers) serves a fresh PostgreSQL database seeded with
an organisation, project, environment and an admin. Every request carries the admin's
token and the environment's client key (for the SDK endpoints). Schemathesis runs its
examples, coverage (negative data included), fuzzing and stateful phases with the
``not_a_server_error`` check, within a time budget; the server's log must show no 500
either. The server runs with ``loopback_only`` on its path: it resolves no name and
connects nowhere but loopback, whatever URLs the fuzzer makes it call.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.e2e.server import fresh_postgres_database, gunicorn, manage, subprocess_env

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

GUARD = Path(__file__).parent / "loopback_only"
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
# Ports this suite's own servers use (the session's range for it).
PORTS = range(18400, 18500)
BUDGET_SECONDS = 120

SEED = """
import json
from rest_framework.authtoken.models import Token
from environments.tests.factories import EnvironmentFactory
from features.services import create_feature
from organisations.models import OrganisationRole
from organisations.tests.factories import MembershipFactory, OrganisationFactory
from projects.tests.factories import ProjectFactory

organisation = OrganisationFactory(name="fuzzed")
admin = MembershipFactory(organisation=organisation, role=OrganisationRole.ADMIN).user
admin.is_superuser = True
admin.save()
project = ProjectFactory(organisation=organisation)
environment = EnvironmentFactory(project=project)
create_feature(project, {"name": "fuzzed_flag", "initial_value": "x"}, admin)
print(json.dumps({"token": Token.objects.create(user=admin).key, "env": environment.api_key}))
"""

# Operations that would end the run's own session or account, not find errors.
# (One regex: schemathesis keeps only the last --exclude-path-regex.)
EXCLUDED = ["--exclude-path-regex", r"^/api/v1/auth/(logout/|token/|users/me/)$"]


def free_port_in_range() -> int:
    for port in PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.fail(f"no free port in {PORTS}")


def post_json(url: str, body: dict, token: str) -> tuple[int, dict]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_schemathesis__whole_schema__no_server_error(tmp_path: Path) -> None:
    if not SCHEMATHESIS.exists():
        pytest.fail("schemathesis is not installed (requirements-dev.txt)")
    with fresh_postgres_database("banderole_fuzz") as database_url:
        settings = {
            "DJANGO_SETTINGS_MODULE": "app.settings.production",
            "DJANGO_SECRET_KEY": "schemathesis-secret-key-long-enough-for-production-settings",
            "DATABASE_URL": database_url,
            "PYTHONPATH": f"{GUARD}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
            "TASK_RUN_METHOD": "TASK_PROCESSOR",  # deliveries queue; nothing sends them
            "ENABLE_TELEMETRY": "false",
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "USE_SECURE_COOKIES": "false",
        }
        env = subprocess_env(**settings)
        manage("migrate", "--noinput", env=env)
        manage("createcachetable", env=env)
        seeded = json.loads(manage("shell", "-c", SEED, env=env).stdout.strip().splitlines()[-1])
        log_path = tmp_path / "gunicorn.log"
        with gunicorn(
            log_path, ready_path="/health/liveness/", port=free_port_in_range(), GUNICORN_WORKERS="2", **settings
        ) as server:
            # The guard holds: a public address is refused at connect, a name is not even resolved.
            status, body = post_json(
                f"{server.url}/api/v1/webhooks/test/",
                {"webhook_url": "http://93.184.216.34/", "scope": {"type": "environment", "id": seeded["env"]}},
                seeded["token"],
            )
            assert (status, body["detail"]) == (400, "Could not connect to webhook URL"), body
            status, body = post_json(
                f"{server.url}/api/v1/webhooks/test/",
                {"webhook_url": "http://example.com/", "scope": {"type": "environment", "id": seeded["env"]}},
                seeded["token"],
            )
            assert status == 400 and "could not be resolved" in body["webhook_url"][0], body

            command = [
                str(SCHEMATHESIS),
                "run",
                f"{server.url}/api/v1/swagger.json",
                "--url",
                server.url,
                "--header",
                f"Authorization: Token {seeded['token']}",
                # The SDK endpoints take the environment's client key; the admin API ignores it.
                "--header",
                f"X-Environment-Key: {seeded['env']}",
                "--phases",
                "examples,coverage,fuzzing,stateful",
                "--mode",
                "all",
                "--checks",
                "not_a_server_error",
                "--max-examples",
                "10",
                "--max-time",
                str(BUDGET_SECONDS),
                # One worker: with two, hypothesis (describing strategies) sometimes trips over
                # Python 3.11's ast in threads, a tool error that is no finding.
                "--workers",
                "1",
                "--request-timeout",
                "20",
                "--seed",
                "17",
                "--no-color",
                *EXCLUDED,
            ]
            result = subprocess.run(
                command,
                cwd=tmp_path,
                env=subprocess_env(),
                capture_output=True,
                text=True,
                timeout=BUDGET_SECONDS + 120,
            )
            # The run's credentials held to the end, so the operations were tested signed in.
            request = urllib.request.Request(
                f"{server.url}/api/v1/organisations/", headers={"Authorization": f"Token {seeded['token']}"}
            )
            with urllib.request.urlopen(request, timeout=30) as response:
                assert response.status == 200
            server_log = server.log()
    output = result.stdout + result.stderr
    (tmp_path / "schemathesis.txt").write_text(output)
    summary = output[output.find("=== SUMMARY") :] if "=== SUMMARY" in output else output[-4000:]
    print(summary)
    failures = output[output.find("=== FAILURES") : output.find("=== SUMMARY")] if "=== FAILURES" in output else ""
    errors = [server_log[i : i + 3000] for i in _find_all(server_log, "Internal Server Error")][:3]
    assert result.returncode == 0 and not errors, (
        f"schemathesis found failures:\n{failures[:12000]}\n{summary}\nserver errors:\n" + "\n---\n".join(errors)
    )


def _find_all(text: str, needle: str) -> list[int]:
    found, start = [], text.find(needle)
    while start != -1:
        found.append(start)
        start = text.find(needle, start + 1)
    return found
