"""Every API error is JSON that says what is wrong; nothing becomes a bare 500."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger("banderole.api")


class DirectFeatureStateWriteNotAllowed(exceptions.APIException):
    """A direct write to a flag of an environment with v2 feature versioning: Flagsmith 2.265's 400
    (``features/versioning/exceptions.py``); identity overrides are still written directly."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "direct_feature_state_write_not_allowed"
    default_detail = (
        "This environment uses v2 feature versioning. Use the environment feature version endpoint instead: "
        "/api/v1/environments/{environment_id}/features/{feature_id}/versions/."
    )


class ChangeRequestRequired(exceptions.APIException):
    """A direct change of a flag in an environment that requires approvals: open a change request."""

    status_code = status.HTTP_403_FORBIDDEN
    default_code = "change_request_required"

    def __init__(self, api_key: str) -> None:
        super().__init__(
            {
                "detail": "This environment requires approved change requests for flag changes: "
                f"open one with POST /api/v1/environments/{api_key}/create-change-request/.",
                "change_request_path": f"/api/v1/environments/{api_key}/create-change-request/",
            }
        )


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, RecursionError):
        # JSON nested past Python's recursion limit, while parsing or reading it: the body's fault.
        exc = exceptions.ParseError("JSON parse error - the body is nested too deeply.")
    elif isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = exceptions.ValidationError(detail=detail)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    return drf_exception_handler(exc, context)


def _is_api_path(request: HttpRequest) -> bool:
    return request.path.startswith("/api/") or request.path.startswith("/health/")


@csrf_exempt  # a POST to an unknown path is a 404, not a CSRF failure page
def json_not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    """404 for Django-level misses; under /api/ an unknown version says so."""
    from django.conf import settings

    parts = request.path.split("/")
    version = parts[2] if len(parts) > 2 and parts[1] == "api" else ""
    allowed = settings.REST_FRAMEWORK["ALLOWED_VERSIONS"]
    if version[:1] == "v" and version[1:].isdigit() and version not in allowed:
        return JsonResponse({"detail": "Invalid version in URL path."}, status=status.HTTP_404_NOT_FOUND)
    return JsonResponse({"detail": "Not found."}, status=status.HTTP_404_NOT_FOUND)


def json_server_error(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        {"detail": "Internal server error. The error has been logged."},
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )


def json_bad_request(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse({"detail": "Bad request."}, status=status.HTTP_400_BAD_REQUEST)


def json_permission_denied(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse({"detail": "You do not have permission to perform this action."}, status=403)
