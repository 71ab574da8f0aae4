from __future__ import annotations

import os

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
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
