"""The dashboard in a real browser: Playwright drives Debian's Chromium through the whole journey.

The dashboard is built as a deployer builds it (``npm run bundledjango``), collected
with ``collectstatic``, and served by gunicorn with production settings and whitenoise
on a fresh PostgreSQL database. The journey itself is ``frontend/e2e/journey.spec.ts``;
it saves a screenshot of each main page under ``frontend/e2e-artifacts/`` and the paths
are printed. Without Node or Chromium the test is skipped with the reason, except under
``CI=true``, where it fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.server import RunningServer, fresh_postgres_database, gunicorn, manage, subprocess_env

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

IN_CI = os.environ.get("CI", "").lower() == "true"
FRONTEND = Path(__file__).resolve().parents[3] / "frontend"
ARTIFACTS = FRONTEND / "e2e-artifacts"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def _missing(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: .ci/run must provide it)")
    pytest.skip(reason)


def _run(command: list[str], timeout: float, **kwargs) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command, cwd=FRONTEND, capture_output=True, text=True, timeout=timeout, **kwargs)
    if result.returncode != 0:
        pytest.fail(
            f"{' '.join(command)} exited with {result.returncode}:\n{result.stdout[-6000:]}{result.stderr[-6000:]}"
        )
    return result


@pytest.fixture(scope="module")
def npm() -> str:
    """npm, with the dashboard's locked dependencies installed (unless current).

    ``npm install``, not ``npm ci``: the lock names only the platform-specific optional
    packages (rollup's, esbuild's) the registry mirror here serves, and ``npm ci``
    refuses a lock without every platform's; ``npm install`` still installs exactly
    the locked versions and leaves the lock as it is.
    """
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        _missing("Node.js 20.19+ and npm are not installed: the dashboard cannot be built")
    if not Path(CHROMIUM).exists():
        _missing(f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)")
    lock = FRONTEND / "package-lock.json"
    installed = FRONTEND / "node_modules" / ".package-lock.json"
    if not installed.exists() or installed.stat().st_mtime < lock.stat().st_mtime:
        _run(
            [npm, "install", "--no-audit", "--no-fund"],
            600,
            env={**os.environ, "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1"},
        )
    return npm


@pytest.fixture(scope="module")
def dashboard_server(npm: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """The unified build served by gunicorn (production settings) on a fresh PostgreSQL database."""
    _run([npm, "run", "bundledjango"], 600)
    with fresh_postgres_database("banderole_dashboard") as database_url:
        settings = {
            "DJANGO_SETTINGS_MODULE": "app.settings.production",
            "DJANGO_SECRET_KEY": "dashboard-e2e-secret-key-long-enough-for-production-settings",
            "DATABASE_URL": database_url,
            # SDK evaluation counts are written at once, so the analytics chart has data to show.
            "FEATURE_EVALUATION_CACHE_SECONDS": "0",
            # The journey's webhook receiver listens on 127.0.0.1 (outbound URLs are vetted).
            "WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
        }
        env = subprocess_env(**settings)
        manage("migrate", "--noinput", env=env)
        manage("createcachetable", env=env)
        manage("collectstatic", "--noinput", env=env)
        log_path = tmp_path_factory.mktemp("dashboard") / "gunicorn.log"
        with gunicorn(log_path, ready_path="/health/liveness/", GUNICORN_WORKERS="2", **settings) as server:
            yield server


def test_dashboard__whole_journey__in_chromium(dashboard_server: RunningServer, npm: str) -> None:
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    env = {
        **os.environ,
        "BANDEROLE_URL": dashboard_server.url,
        "CHROMIUM_PATH": CHROMIUM,
        "SCREENSHOT_DIR": str(ARTIFACTS),
    }

    result = subprocess.run(
        [npm, "run", "test:e2e"], cwd=FRONTEND, env=env, capture_output=True, text=True, timeout=900
    )

    screenshots = sorted(ARTIFACTS.glob("*.png"))
    print(f"dashboard screenshots ({len(screenshots)}):", *screenshots, sep="\n  ")
    assert result.returncode == 0, (
        f"the browser journey failed:\n{result.stdout[-10000:]}{result.stderr[-4000:]}\n"
        f"server log:\n{dashboard_server.log()[-4000:]}"
    )
    assert len(screenshots) >= 10


def test_dashboard__deep_link_and_api__served_by_gunicorn(dashboard_server: RunningServer) -> None:
    import urllib.error
    import urllib.request

    with urllib.request.urlopen(dashboard_server.url + "/projects/1/environments/abc/features") as response:
        page = response.read().decode()
    assert '<div id="root">' in page
    asset = page.split('src="', 1)[1].split('"', 1)[0]
    assert asset.startswith("/static/dashboard/")
    with urllib.request.urlopen(dashboard_server.url + asset) as response:
        assert response.headers["Content-Type"].startswith(("text/javascript", "application/javascript"))
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(dashboard_server.url + "/api/v1/no-such-thing/")
    assert missing.value.code == 404
    assert missing.value.headers["Content-Type"] == "application/json"
