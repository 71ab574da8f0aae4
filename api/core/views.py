from __future__ import annotations

import os

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import TemplateDoesNotExist, loader
from django.views.decorators.http import require_GET


@require_GET
def liveness(request: HttpRequest) -> JsonResponse:
    """The process answers; touches no database, so it never flaps with one."""
    return JsonResponse({"status": "ok"})


@require_GET
def readiness(request: HttpRequest) -> JsonResponse:
    """Ready when the primary database and the default cache both answer."""
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except DatabaseError as exc:
        checks["database"] = f"error: {exc.__class__.__name__}"
    try:
        cache.set("banderole:readiness", "1", 5)
        checks["cache"] = "ok" if cache.get("banderole:readiness") == "1" else "error: value not stored"
    except Exception as exc:  # any backend error means "not ready", never a 500
        checks["cache"] = f"error: {exc.__class__.__name__}"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "error", "checks": checks}, status=200 if healthy else 503)


@require_GET
def version_info(request: HttpRequest) -> JsonResponse:
    user_model = get_user_model()
    try:
        has_users = user_model.objects.exists()
        has_logins = user_model.objects.filter(last_login__isnull=False).exists()
    except DatabaseError:
        has_users = has_logins = False
    return JsonResponse(
        {
            "ci_commit_sha": os.environ.get("CI_COMMIT_SHA", "unknown"),
            "image_tag": os.environ.get("IMAGE_TAG", "unknown"),
            "has_email_provider": not settings.EMAIL_BACKEND.endswith(("console.EmailBackend", "dummy.EmailBackend")),
            "is_enterprise": False,
            "is_saas": False,
            "self_hosted_data": {"has_users": has_users, "has_logins": has_logins},
            "package_versions": {".": settings.BANDEROLE_VERSION},
        }
    )


# --- The dashboard ---------------------------------------------------------------------
# frontend/ builds a single-page app: `npm run bundledjango` writes its assets into
# STATIC_ROOT and its page into app/templates/webpack/index.html. Django serves that
# page for every path the app routes itself, so a deep link survives a reload.
DASHBOARD_TEMPLATE = "webpack/index.html"

DASHBOARD_NOT_BUILT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Banderole</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; line-height: 1.5">
<h1>Banderole is running</h1>
<p>The web dashboard has not been built on this server. With Node.js 20.19 or later:</p>
<pre>cd frontend &amp;&amp; npm ci &amp;&amp; npm run bundledjango</pre>
<p>then reload this page (after <code>manage.py collectstatic</code> in production).
The Docker image builds it for you.</p>
<p>Meanwhile: the admin API at <a href="/api/v1/docs/">/api/v1/docs/</a> and the
Django admin at <a href="/admin/">/admin/</a>.</p>
</body></html>
"""


@require_GET
def dashboard_config(request: HttpRequest) -> JsonResponse:
    """What the dashboard needs to know about this deployment, read at start-up.

    One bundle serves every deployment: nothing here is baked in at build time.
    """
    return JsonResponse(
        {
            "api_url": "/api/v1/",
            "version": settings.BANDEROLE_VERSION,
            "allow_signup": not settings.PREVENT_SIGNUP,
            "allow_registration_without_invite": settings.ALLOW_REGISTRATION_WITHOUT_INVITE,
            "restrict_org_create_to_superusers": settings.RESTRICT_ORG_CREATE_TO_SUPERUSERS,
        }
    )


@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """The dashboard's page for any path it routes; a how-to-build page when it is not built."""
    try:
        template = loader.get_template(DASHBOARD_TEMPLATE)
    except TemplateDoesNotExist:
        return HttpResponse(DASHBOARD_NOT_BUILT)
    return HttpResponse(template.render({}, request))
