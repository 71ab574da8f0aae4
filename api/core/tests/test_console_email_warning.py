"""Production settings with the console email backend say so when the WSGI application loads."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.server import subprocess_env

API_DIR = Path(__file__).resolve().parents[2]


def load_wsgi(tmp_path: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    env = subprocess_env(
        DJANGO_SETTINGS_MODULE="app.settings.production",
        DJANGO_SECRET_KEY="console-email-test-secret-key-long-enough",
        ALLOW_SQLITE_IN_PRODUCTION="true",
        SQLITE_PATH=str(tmp_path / "db.sqlite3"),
        TASK_RUN_METHOD="TASK_PROCESSOR",
        ENABLE_TELEMETRY="false",
        **variables,
    )
    if "EMAIL_BACKEND" not in variables:
        env.pop("EMAIL_BACKEND", None)
    return subprocess.run(
        [sys.executable, "-c", "import app.wsgi"], cwd=API_DIR, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.slow
def test_production__no_email_backend__start_up_warns_mail_goes_to_log(tmp_path) -> None:
    result = load_wsgi(tmp_path)
    assert result.returncode == 0, result.stderr
    assert "WARNING: EMAIL_BACKEND is not set" in result.stderr
    assert "password-reset" in result.stderr


@pytest.mark.slow
def test_production__email_backend_set__no_warning(tmp_path) -> None:
    result = load_wsgi(tmp_path, EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend")
    assert result.returncode == 0, result.stderr
    assert "EMAIL_BACKEND is not set" not in result.stderr
