"""LOG_FORMAT=json: one JSON object per line, read from a real process's stderr."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

API_DIR = Path(__file__).resolve().parents[2]

SCRIPT = """
import logging, django
django.setup()
log = logging.getLogger("banderole.test")
log.warning("hello %s", "world", extra={"environment_id": 7})
try:
    1 / 0
except ZeroDivisionError:
    log.exception("failed")
"""


def _run(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("LOG_", "DATABASE_URL"))}
    return subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=API_DIR,
        env={**clean, "DJANGO_SETTINGS_MODULE": "app.settings.test", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_log_format_json__each_line_is_an_object_with_level_logger_and_extra() -> None:
    result = _run(LOG_FORMAT="json")
    assert result.returncode == 0, result.stderr
    first, second = (json.loads(line) for line in result.stderr.strip().splitlines())
    assert first["level"] == "WARNING"
    assert first["logger"] == "banderole.test"
    assert first["message"] == "hello world"
    assert first["environment_id"] == 7
    assert "ZeroDivisionError" in second["exc_info"]


def test_log_format_unknown__start_up_names_variable() -> None:
    result = _run(LOG_FORMAT="xml")
    assert result.returncode != 0
    assert "LOG_FORMAT" in result.stderr


def test_application_insights_variables__accepted() -> None:
    result = _run(APPLICATION_INSIGHTS_CONNECTION_STRING="InstrumentationKey=x", OPENCENSUS_SAMPLING_RATE="0.5")
    assert result.returncode == 0, result.stderr
