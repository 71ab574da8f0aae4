"""Sentry (``SENTRY_SDK_DSN``): an unhandled error in a request reaches the DSN's server.

A child process starts Django with the deployer's variables, so the settings module
initialises sentry-sdk exactly as in production; the DSN points at a real HTTP
stand-in on 127.0.0.1, which receives the envelope sentry-sdk POSTs.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys

from core.tests.test_settings import API_DIR, clean_env  # noqa: F401 (fixture)
from tests.receivers import HTTPReceiver, ReceivedRequest

CRASH_SCRIPT = """
import sys, types, django
django.setup()
import sentry_sdk
from django.test import Client, override_settings
from django.urls import include, path

def boom(request):
    raise RuntimeError("sentry stand-in test boom")

urls = types.ModuleType("crash_urls")
urls.urlpatterns = [path("boom/", boom), path("", include("app.urls"))]
sys.modules["crash_urls"] = urls
with override_settings(ROOT_URLCONF="crash_urls"):
    response = Client(raise_request_exception=False).get("/boom/")
print(response.status_code)
print(sentry_sdk.get_client().is_active())
sentry_sdk.flush(10)
"""


def _envelope_items(request: ReceivedRequest) -> list[tuple[dict, dict]]:
    """(item header, item payload) pairs of a Sentry envelope (newline-delimited JSON, maybe gzipped)."""
    body = gzip.decompress(request.body) if request.headers.get("content-encoding") == "gzip" else request.body
    lines = body.split(b"\n")
    items = []
    index = 1  # line 0 is the envelope header
    while index + 1 < len(lines):
        header = json.loads(lines[index])
        payload = json.loads(lines[index + 1]) if lines[index + 1].strip() else {}
        items.append((header, payload))
        index += 2
    return items


def test_sentry__unhandled_error_in_request__event_posted_to_dsn(clean_env) -> None:  # noqa: F811
    with HTTPReceiver() as stand_in:
        port = stand_in.server.server_address[1]
        result = subprocess.run(
            [sys.executable, "-c", CRASH_SCRIPT],
            cwd=API_DIR,
            env={
                **clean_env,
                "DJANGO_SETTINGS_MODULE": "app.settings.local",
                "DEBUG": "false",
                "ENV": "staging",
                "SENTRY_SDK_DSN": f"http://public@127.0.0.1:{port}/1",
                "SENTRY_TRACE_SAMPLE_RATE": "0",
            },
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.split() == ["500", "True"]
        requests = stand_in.wait_for(1)

    envelopes = [request for request in requests if request.path == "/api/1/envelope/"]
    assert envelopes, [request.path for request in requests]
    events = [
        payload
        for request in envelopes
        for header, payload in _envelope_items(request)
        if header.get("type") == "event"
    ]
    (event,) = events
    (exception,) = event["exception"]["values"]
    assert exception["type"] == "RuntimeError"
    assert exception["value"] == "sentry stand-in test boom"
    assert event["environment"] == "staging"
    assert exception["stacktrace"]["frames"][-1]["function"] == "boom"  # raised in the view
    assert exception["mechanism"]["handled"] is False
    assert "sentry_key=public" in envelopes[0].headers.get("x-sentry-auth", "")
