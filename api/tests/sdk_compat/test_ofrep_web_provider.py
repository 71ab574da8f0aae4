"""OpenFeature's web provider (npm ``@openfeature/ofrep-web-provider``) polling Banderole's bulk endpoint.

The Python provider (``openfeature-provider-ofrep`` 0.3.0) only ever calls the
single-flag endpoint and never polls; the client-side provider is the one that
polls ``POST /ofrep/v1/evaluate/flags`` with ``If-None-Match``. Here it runs in
Chromium on a test page of another origin (``node/pages/ofrep.html``): it must
get empty 304s while nothing changes, and, when a flag changes through the
admin API, a 200 on its next poll and a ``ConfigurationChanged`` event with
the new value. ``GET /ofrep/v1/configuration`` is checked on the same server.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.sdk_compat.configuration import Configuration

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

POLL_MS = 300


@pytest.fixture(scope="module")
def polled_environment(admin_session: requests.Session, configuration: Configuration) -> dict[str, Any]:
    """An environment of its own, so changing its flag leaves the shared configuration alone."""
    api = configuration.api_url

    def call(method: str, path: str, body: Any = None) -> Any:
        response = admin_session.request(method, f"{api}{path}", json=body, timeout=30)
        assert response.status_code in (200, 201), f"{method} {path}: {response.status_code} {response.text}"
        return response.json()

    project = call(
        "POST",
        "projects/",
        {"name": "OFREP polling", "organisation": configuration.organisation_id, "prevent_flag_defaults": False},
    )
    environment = call("POST", "environments/", {"name": "Web", "project": project["id"]})
    feature = call(
        "POST",
        f"projects/{project['id']}/features/",
        {"name": "headline", "initial_value": "before", "default_enabled": True},
    )
    states = call("GET", f"environments/{environment['api_key']}/featurestates/?feature={feature['id']}")
    states = states["results"] if isinstance(states, dict) else states
    return {
        "key": environment["api_key"],
        "state_path": f"environments/{environment['api_key']}/featurestates/{states[0]['id']}/",
        "call": call,
    }


def test_ofrep_configuration__real_server__polling_and_types(configuration: Configuration) -> None:
    url = f"{configuration.base_url}/ofrep/v1/configuration"
    headers = {"X-API-Key": configuration.client_key}

    first = requests.get(url, headers=headers, timeout=30)
    again = requests.get(url, headers={**headers, "If-None-Match": first.headers["ETag"]}, timeout=30)

    assert first.status_code == 200
    capabilities = first.json()["capabilities"]
    assert capabilities["cacheInvalidation"]["polling"] == {"enabled": True, "minPollingIntervalMs": 1000}
    assert capabilities["flagEvaluation"]["supportedTypes"] == ["boolean", "string", "int"]
    assert again.status_code == 304 and again.content == b""


def test_ofrep_web_provider__chromium_polling__304s_then_the_change(
    node_project: Path,
    chromium: str,
    test_site: str,
    configuration: Configuration,
    polled_environment: dict[str, Any],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    input_path = tmp_path / "input.json"
    input_path.write_text(
        json.dumps(
            {
                "baseUrl": configuration.base_url,
                "key": polled_environment["key"],
                "flag": "headline",
                "targetingKey": "web-visitor-1",
                "pollInterval": POLL_MS,
            }
        )
    )
    process = subprocess.Popen(
        [shutil.which("node") or "node", "browser.js", f"{test_site}/pages/ofrep.html", str(input_path)],
        cwd=node_project,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "CHROMIUM_PATH": chromium},
    )
    watchdog = threading.Timer(120, process.kill)
    watchdog.start()
    try:
        assert process.stdout is not None and process.stdin is not None
        lines = []
        for line in process.stdout:
            lines.append(line)
            if line.strip() == "STEP polling":
                polled_environment["call"]("PATCH", polled_environment["state_path"], {"feature_state_value": "after"})
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
    statuses = output["statuses"]
    assert (output["before"]["value"], output["before"]["variant"]) == ("before", "before"), output["before"]
    assert (output["after"]["value"], output["after"]["variant"]) == ("after", "after"), output["after"]
    # Initial 200, empty 304s while nothing changed, then a 200 with the change.
    assert statuses[0] == 200 and 304 in statuses and statuses[-1] == 200, statuses
    assert set(statuses) == {200, 304}, statuses
    versions = {
        name: json.loads((node_project / "node_modules" / "@openfeature" / name / "package.json").read_text())[
            "version"
        ]
        for name in ("ofrep-web-provider", "web-sdk")
    }
    with capsys.disabled():
        print(
            f"\n[sdk-compat] @openfeature/ofrep-web-provider {versions['ofrep-web-provider']} + @openfeature/web-sdk "
            f"{versions['web-sdk']} ({output['browser']}, cross-origin, polling every {POLL_MS} ms): "
            f"{statuses.count(304)} x 304 while unchanged, change seen {output['seenAfterMs']} ms after the admin "
            f"API answered; statuses {statuses}"
        )
