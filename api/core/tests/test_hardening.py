"""Hardening: HTTPS-only deployments, error bodies with DEBUG off, throttles, CORS.

Settings that are derived at import time (HSTS and cookies from
``DJANGO_SECURE_SSL_REDIRECT``, the CORS header list) are checked in a child process
that starts Django with the deployer's variables and makes real requests through the
whole middleware stack.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.test import Client, override_settings
from django.urls import include, path
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from app import urls as app_urls
from core.tests.test_settings import API_DIR, clean_env  # noqa: F401 (fixture)

SECRET_KEY = "a-test-secret-key-that-is-comfortably-longer-than-32-characters"
REQUESTS_SCRIPT = """
import json, django
django.setup()
from django.test import Client
out = {}
plain = Client().get("/health/liveness/")
out["http_status"] = plain.status_code
out["http_location"] = plain.get("Location")
from django.conf import settings
secure = Client().get("/health/liveness/", secure=True)
out["hsts"] = secure.get("Strict-Transport-Security")
out["csrf_cookie_secure"] = settings.CSRF_COOKIE_SECURE
out["session_cookie_secure"] = settings.SESSION_COOKIE_SECURE
preflight = Client().options(
    "/api/v1/flags/",
    HTTP_ORIGIN="https://shop.example.com",
    HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
    HTTP_ACCESS_CONTROL_REQUEST_HEADERS="x-environment-key",
)
out["allow_headers"] = preflight.get("Access-Control-Allow-Headers", "")
print(json.dumps(out))
"""


def _requests_under(env: dict[str, str], settings_module: str, **variables: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", REQUESTS_SCRIPT],
        cwd=API_DIR,
        env={
            **env,
            "DJANGO_SETTINGS_MODULE": settings_module,
            "ALLOW_SQLITE_IN_PRODUCTION": "true",
            **variables,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- HTTPS: redirect, HSTS, secure cookies ---------------------------------------------------


@pytest.mark.parametrize("settings_module", ["app.settings.local", "app.settings.production"])
def test_ssl_redirect_on__hsts_for_a_year_and_secure_cookies(
    clean_env: dict[str, str],  # noqa: F811
    settings_module: str,
) -> None:
    seen = _requests_under(clean_env, settings_module, DJANGO_SECURE_SSL_REDIRECT="true", USE_SECURE_COOKIES="false")

    assert seen["http_status"] == 301
    assert seen["http_location"].startswith("https://")
    assert seen["hsts"] == "max-age=31536000"
    assert seen["csrf_cookie_secure"] is True
    assert seen["session_cookie_secure"] is True


def test_ssl_redirect_on__hsts_variables__passed_through(clean_env: dict[str, str]) -> None:  # noqa: F811
    seen = _requests_under(
        clean_env,
        "app.settings.production",
        DJANGO_SECURE_SSL_REDIRECT="true",
        DJANGO_SECURE_HSTS_SECONDS="600",
        DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS="true",
        DJANGO_SECURE_HSTS_PRELOAD="true",
    )

    assert seen["hsts"] == "max-age=600; includeSubDomains; preload"


def test_ssl_redirect_off__no_hsts_and_plain_http_served(clean_env: dict[str, str]) -> None:  # noqa: F811
    seen = _requests_under(clean_env, "app.settings.local")

    assert seen["http_status"] == 200
    assert seen["hsts"] is None
    assert seen["csrf_cookie_secure"] is False
    assert seen["session_cookie_secure"] is False


def test_hsts_seconds_negative__start_up_refused(clean_env: dict[str, str]) -> None:  # noqa: F811
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=API_DIR,
        env={**clean_env, "DJANGO_SETTINGS_MODULE": "app.settings.local", "DJANGO_SECURE_HSTS_SECONDS": "-1"},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert "DJANGO_SECURE_HSTS_SECONDS='-1' is invalid" in result.stderr


# --- no stack trace or SQL in a response with DEBUG off --------------------------------------


def _failing_query(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret_column FROM banderole_no_such_table WHERE id = 42")
    return HttpResponse("unreachable")


@api_view(["GET"])
@permission_classes([AllowAny])
def _failing_api_view(request: Request) -> Response:
    return Response({"value": 1 / 0})


urlpatterns = [
    path("api/v1/test-only/sql-error/", _failing_query),
    path("api/v1/test-only/api-error/", _failing_api_view),
    path("test-only/sql-error/", _failing_query),
    path("", include("app.urls")),
]
# The deployment's own error handlers, which a test URLconf must name again.
handler400, handler403, handler404, handler500 = (
    app_urls.handler400,
    app_urls.handler403,
    app_urls.handler404,
    app_urls.handler500,
)

LEAKS = ("Traceback", "banderole_no_such_table", "SELECT", "secret_column", "ZeroDivisionError", 'File "')


@override_settings(ROOT_URLCONF=__name__, DEBUG=False)
@pytest.mark.parametrize(
    "path_", ["/api/v1/test-only/sql-error/", "/api/v1/test-only/api-error/", "/test-only/sql-error/"]
)
def test_unhandled_error__debug_off__json_500_without_trace_or_sql(db, path_: str) -> None:
    response = Client(raise_request_exception=False).get(path_)

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Internal server error. The error has been logged."}
    body = response.content.decode()
    assert not [leak for leak in LEAKS if leak in body]


@override_settings(DEBUG=False)
@pytest.mark.parametrize(
    ("method", "path_", "body"),
    [
        ("post", "/api/v1/auth/login/", "{not json"),
        ("get", "/api/v1/no-such-endpoint/", None),
        ("post", "/api/v1/flags/", "{}"),
    ],
)
def test_client_errors__debug_off__json_without_trace(db, method: str, path_: str, body: str | None) -> None:
    client = Client(raise_request_exception=False)
    response = getattr(client, method)(path_, body, content_type="application/json") if body else client.get(path_)

    assert 400 <= response.status_code < 500
    assert response["Content-Type"] == "application/json"
    assert not [leak for leak in LEAKS if leak in response.content.decode()]


# --- throttles -------------------------------------------------------------------------------


def test_invites__over_invite_throttle_rate__429(monkeypatch, organisation, admin_client) -> None:
    # DRF binds the rates dict when the throttle class is defined, so override_settings cannot reach it.
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "invite", "2/min")
    url = f"/api/v1/organisations/{organisation.id}/invites/"

    statuses = [
        admin_client.post(url, {"email": f"person{index}@example.com"}, format="json").status_code for index in range(3)
    ]

    assert statuses == [201, 201, 429]
    # Listing invites is not limited: only what sends email is.
    assert admin_client.get(url).status_code == 200


# --- CORS --------------------------------------------------------------------------------------


def test_cors__extra_allow_headers__default_flagsmith_tracing_headers_and_custom_ones(
    clean_env: dict[str, str],  # noqa: F811
) -> None:
    default = _requests_under(clean_env, "app.settings.local")
    custom = _requests_under(
        clean_env, "app.settings.local", FLAGSMITH_CORS_EXTRA_ALLOW_HEADERS="my-header-1,my-header-2"
    )

    # Flagsmith 2.265's default (api/app/settings/common.py:1264): Sentry's and W3C trace context headers.
    assert {"sentry-trace", "traceparent", "tracestate", "baggage"} <= set(default["allow_headers"].split(", "))
    assert "x-environment-key" in default["allow_headers"]
    assert {"my-header-1", "my-header-2", "x-environment-key"} <= set(custom["allow_headers"].split(", "))
    assert "sentry-trace" not in custom["allow_headers"]


@override_settings(CORS_ALLOW_ALL_ORIGINS=False, CORS_ALLOWED_ORIGINS=["https://flags.example.com"])
@pytest.mark.parametrize(
    "path_",
    [
        "/api/v1/flags/",
        "/api/v1/identities/",
        "/api/v1/traits/",
        "/api/v1/environment-document/",
        "/api/v1/analytics/flags/",
        "/api/v2/analytics/flags/",
        "/api/client/features",
        "/api/frontend",
        "/api/frontend/client/metrics",
        "/ofrep/v1/evaluate/flags",
        "/ofrep/v1/configuration",
    ],
)
def test_cors__origins_restricted__sdk_endpoints_still_open_to_every_origin(db, path_: str) -> None:
    response = Client().options(
        path_,
        HTTP_ORIGIN="https://shop.example.com",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="x-environment-key",
    )

    assert response["Access-Control-Allow-Origin"] == "https://shop.example.com"


@override_settings(CORS_ALLOW_ALL_ORIGINS=False, CORS_ALLOWED_ORIGINS=["https://flags.example.com"])
def test_cors__origins_restricted__admin_api_only_for_allowed_origins(db) -> None:
    def preflight(origin: str) -> HttpResponse:
        return Client().options(
            "/api/v1/organisations/",
            HTTP_ORIGIN=origin,
            HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
            HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization",
        )

    assert "Access-Control-Allow-Origin" not in preflight("https://shop.example.com")
    assert preflight("https://flags.example.com")["Access-Control-Allow-Origin"] == "https://flags.example.com"
