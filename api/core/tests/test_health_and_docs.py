"""Health checks, version info, API docs, admin IP restriction, headers and error pages.

This module is also a throwaway URLconf (``ROOT_URLCONF=core.tests.test_health_and_docs``):
the project's routes plus views that raise, with the project's error handlers.
"""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.cache.backends.locmem import LocMemCache
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.management import call_command
from django.db import DatabaseError
from django.http import Http404
from django.test import Client, override_settings
from django.urls import re_path
from drf_spectacular.drainage import GENERATOR_STATS
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIClient
from rest_framework.views import APIView

from app import urls as project_urls

# --- throwaway URLconf ---------------------------------------------------------------------------


class RaisingView(APIView):
    """Raises what the ``kind`` URL argument names."""

    permission_classes = [AllowAny]
    errors = {
        "crash": lambda: RuntimeError("unexpected"),
        "django-validation": lambda: DjangoValidationError({"name": ["Too long."]}),
        "django-404": lambda: Http404("gone"),
        "django-403": lambda: DjangoPermissionDenied(),
    }

    def get(self, request: Request, kind: str, **kwargs: Any) -> Response:
        raise self.errors[kind]()


urlpatterns = [
    re_path(r"^api/(?P<version>v[0-9]+)/raise/(?P<kind>[a-z0-9-]+)/$", RaisingView.as_view()),
    *project_urls.urlpatterns,
]
handler400 = project_urls.handler400
handler403 = project_urls.handler403
handler404 = project_urls.handler404
handler500 = project_urls.handler500

THIS_URLCONF = __name__


class ExplodingCache(LocMemCache):
    """A cache backend whose server is gone."""

    def set(self, *args: Any, **kwargs: Any) -> None:
        raise ConnectionError("cache server unreachable")


EXPLODING_CACHES = {"default": {"BACKEND": f"{__name__}.ExplodingCache", "LOCATION": "exploding"}}


class BrokenConnection:
    def cursor(self) -> None:
        raise DatabaseError("database unreachable")


# --- health -----------------------------------------------------------------------------------------


def test_liveness__any__200_ok_without_database_queries(
    db: None, anon_client: APIClient, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(0):
        response = anon_client.get("/health/liveness/")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_liveness__post__405(anon_client: APIClient) -> None:
    response = anon_client.post("/health/liveness/")

    assert response.status_code == 405


def test_readiness__database_and_cache_up__200_with_checks_ok(db: None, anon_client: APIClient) -> None:
    response = anon_client.get("/health/readiness/")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "cache": "ok"}}


@override_settings(CACHES=EXPLODING_CACHES)
def test_readiness__cache_backend_raises__503_naming_cache(db: None, anon_client: APIClient) -> None:
    response = anon_client.get("/health/readiness/")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["cache"].startswith("error")


def test_readiness__database_unreachable__503_naming_database(
    db: None, anon_client: APIClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("core.views.connection", BrokenConnection())

    response = anon_client.get("/health/readiness/")

    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "error: DatabaseError", "cache": "ok"}


def test_readiness__flagsmith_path_without_slash__same_as_readiness(db: None, anon_client: APIClient) -> None:
    response = anon_client.get("/health")

    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_version__any__flagsmith_shaped_json(db: None, anon_client: APIClient) -> None:
    response = anon_client.get("/version/")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "ci_commit_sha",
        "image_tag",
        "has_email_provider",
        "is_enterprise",
        "is_saas",
        "self_hosted_data",
        "package_versions",
    }
    assert body["is_enterprise"] is False
    assert body["is_saas"] is False
    assert body["self_hosted_data"] == {"has_users": False, "has_logins": False}
    assert isinstance(body["package_versions"]["."], str)


def test_version__user_exists__reports_has_users(db: None, anon_client: APIClient, member_user: Any) -> None:
    response = anon_client.get("/version/")

    assert response.json()["self_hosted_data"]["has_users"] is True


# --- API docs ------------------------------------------------------------------------------------------


def test_swagger_json__anonymous__200_openapi_document_with_organisations(db: None, anon_client: APIClient) -> None:
    response = anon_client.get("/api/v1/swagger.json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/organisations/" in schema["paths"]


def test_swagger_ui__anonymous__200_html_with_local_assets_only(db: None, anon_client: APIClient) -> None:
    response = anon_client.get("/api/v1/docs/")

    html = response.content.decode()
    asset_urls = re.findall(r"<(?:script|link)\b[^>]*\b(?:src|href)=\"([^\"]+)\"", html)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert asset_urls
    # The start-up script is served by the page's own view (no inline script: the CSP allows none).
    assert all(url.startswith(("/static/", "/api/v1/docs/?script")) for url in asset_urls), asset_urls
    assert not re.search(r"<(?:script|link)\b[^>]*https?://", html)


def test_spectacular_command__validate_fail_on_warn__no_warnings(db: None, tmp_path: Path) -> None:
    GENERATOR_STATS.reset()
    try:
        call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    finally:
        GENERATOR_STATS.reset()

    assert (tmp_path / "schema.yml").read_text().startswith("openapi: 3")


def test_makemigrations_check__models_as_committed__no_missing_migrations(db: None) -> None:
    out = StringIO()

    call_command("makemigrations", "--check", "--dry-run", stdout=out)

    assert "No changes detected" in out.getvalue()


# --- admin IP restriction ---------------------------------------------------------------------------------


@pytest.fixture
def admin_restricted(settings: Any) -> Any:
    settings.ALLOWED_ADMIN_IP_ADDRESSES = ["10.0.0.1"]
    settings.NUM_PROXIES = 0
    return settings


def test_admin_login__address_not_allowed__404(db: None, admin_restricted: Any, client: Client) -> None:
    response = client.get("/admin/login/", REMOTE_ADDR="127.0.0.1")

    assert response.status_code == 404


def test_admin_login__allowed_address__200(db: None, admin_restricted: Any, client: Client) -> None:
    response = client.get("/admin/login/", REMOTE_ADDR="10.0.0.1")

    assert response.status_code == 200


def test_admin_login__no_proxies_trusted__forwarded_for_ignored(
    db: None, admin_restricted: Any, client: Client
) -> None:
    response = client.get("/admin/login/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="10.0.0.1")

    assert response.status_code == 404


def test_admin_login__one_proxy_and_allowed_last_hop__200(db: None, admin_restricted: Any, client: Client) -> None:
    admin_restricted.NUM_PROXIES = 1

    response = client.get("/admin/login/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7, 10.0.0.1")

    assert response.status_code == 200


def test_admin_login__one_proxy_and_spoofed_first_hop__404(db: None, admin_restricted: Any, client: Client) -> None:
    admin_restricted.NUM_PROXIES = 1

    response = client.get("/admin/login/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="10.0.0.1, 203.0.113.7")

    assert response.status_code == 404


def test_admin_login__no_restriction_configured__200_from_anywhere(db: None, settings: Any, client: Client) -> None:
    settings.ALLOWED_ADMIN_IP_ADDRESSES = []

    response = client.get("/admin/login/", REMOTE_ADDR="198.51.100.4")

    assert response.status_code == 200


def test_admin_restriction__non_admin_path__not_restricted(db: None, admin_restricted: Any, client: Client) -> None:
    response = client.get("/health/liveness/", REMOTE_ADDR="127.0.0.1")

    assert response.status_code == 200


# --- headers and error responses --------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/health/liveness/", "/api/v1/anything-unknown/", "/api/v1/organisations/"])
def test_version_header__any_response__banderole_version_set(
    db: None, anon_client: APIClient, settings: Any, path: str
) -> None:
    response = anon_client.get(path)

    assert response["Banderole-Version"] == settings.BANDEROLE_VERSION


@override_settings(ROOT_URLCONF=THIS_URLCONF)
def test_unhandled_exception__drf_view__json_500_with_version_header(db: None, settings: Any) -> None:
    client = Client(raise_request_exception=False)

    response = client.get("/api/v1/raise/crash/")

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Internal server error. The error has been logged."}
    assert response["Banderole-Version"] == settings.BANDEROLE_VERSION


@override_settings(ROOT_URLCONF=THIS_URLCONF)
def test_django_validation_error__drf_view__400_json_with_field_errors(db: None, anon_client: APIClient) -> None:
    response = anon_client.get("/api/v1/raise/django-validation/")

    assert response.status_code == 400
    assert response.json() == {"name": ["Too long."]}


@override_settings(ROOT_URLCONF=THIS_URLCONF)
def test_django_http404__drf_view__404_json(db: None, anon_client: APIClient) -> None:
    response = anon_client.get("/api/v1/raise/django-404/")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


@override_settings(ROOT_URLCONF=THIS_URLCONF)
def test_django_permission_denied__drf_view__403_json(db: None, anon_client: APIClient) -> None:
    response = anon_client.get("/api/v1/raise/django-403/")

    assert response.status_code == 403
    assert "detail" in response.json()
