"""The dashboard's page, its runtime configuration, and what the catch-all route leaves alone."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client, override_settings

BUILT_PAGE = (
    '<!doctype html><html><body><div id="root"></div><script src="/static/assets/app.js"></script></body></html>'
)


@pytest.fixture
def built_dashboard(tmp_path: Path, settings) -> Path:
    """A stand-in for ``npm run bundledjango``'s page, in a template directory of its own."""
    (tmp_path / "webpack").mkdir()
    (tmp_path / "webpack" / "index.html").write_text(BUILT_PAGE)
    templates = [dict(settings.TEMPLATES[0], DIRS=[tmp_path])]
    with override_settings(TEMPLATES=templates):
        yield tmp_path


@pytest.mark.parametrize(
    "path", ["/", "/login", "/projects/3/environments/abc/features/7", "/organisations/1/members/"]
)
def test_dashboard__any_app_path__serves_the_built_page(client: Client, built_dashboard: Path, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert response.content.decode() == BUILT_PAGE


def test_dashboard__not_built__says_how_to_build_it(client: Client, settings, tmp_path: Path) -> None:
    settings.TEMPLATES = [dict(settings.TEMPLATES[0], DIRS=[tmp_path])]

    response = client.get("/projects/1/segments")

    assert response.status_code == 200
    assert "npm run bundledjango" in response.content.decode()


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/nothing-here/",
        "/api/elsewhere",
        "/static/assets/missing.js",
        "/favicon.ico",
        "/ofrep/v2/x",
        "/health/x",
    ],
)
def test_dashboard__server_prefixes_and_files__stay_json_404s(client: Client, built_dashboard: Path, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_dashboard__post_to_an_app_path__is_refused(client: Client, built_dashboard: Path) -> None:
    response = client.post("/projects/1")

    assert response.status_code == 405


@pytest.mark.django_db
def test_dashboard__admin_version_and_health__keep_their_routes(client: Client, built_dashboard: Path) -> None:
    assert client.get("/version/").json()["package_versions"] == {".": "0.1.0"}
    assert client.get("/health/liveness/").json() == {"status": "ok"}
    assert client.get("/admin/login/").status_code == 200


def test_dashboard_config__defaults__api_url_version_and_signup(client: Client) -> None:
    response = client.get("/config/")

    assert response.status_code == 200
    assert response.json() == {
        "api_url": "/api/v1/",
        "version": "0.1.0",
        "allow_signup": True,
        "allow_registration_without_invite": True,
        "restrict_org_create_to_superusers": False,
    }


def test_dashboard_config__signup_prevented__says_so(client: Client, settings) -> None:
    settings.PREVENT_SIGNUP = True

    assert client.get("/config/").json()["allow_signup"] is False
