from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from core import replicas


def client_ip(request: HttpRequest) -> str:
    """The client's address, trusting ``NUM_PROXIES`` hops of X-Forwarded-For."""
    if settings.NUM_PROXIES > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= settings.NUM_PROXIES:
            return forwarded[-settings.NUM_PROXIES]
    return request.META.get("REMOTE_ADDR", "")


class DatabaseRoutingMiddleware:
    """Start each request with fresh replica-routing state."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        replicas.reset_request_state()
        try:
            return self.get_response(request)
        finally:
            replicas.reset_request_state()


class AdminIPRestrictionMiddleware:
    """Hide the Django admin from addresses outside ALLOWED_ADMIN_IP_ADDRESSES."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        allowed = settings.ALLOWED_ADMIN_IP_ADDRESSES
        if allowed and request.path.startswith("/admin/") and client_ip(request) not in allowed:
            return JsonResponse({"detail": "Not found."}, status=404)
        return self.get_response(request)


class VersionHeaderMiddleware:
    """Tell clients which server answered, as Flagsmith's Flagsmith-Version does."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response["Banderole-Version"] = settings.BANDEROLE_VERSION
        return response


class RefuseNulMiddleware:
    """A NUL character in the path or query string is a 400: PostgreSQL cannot store or compare one."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path_info or "%00" in request.META.get("QUERY_STRING", ""):
            return JsonResponse({"detail": "The URL may not contain a NUL character (%00)."}, status=400)
        return self.get_response(request)


class ContentSecurityPolicyMiddleware:
    """``CONTENT_SECURITY_POLICY`` on every HTML page (the dashboard, the Django admin, Swagger UI).

    The pages load scripts only from this origin and run no inline script, so an injected
    ``<script>`` or ``javascript:`` URL does not run. JSON responses need no policy.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = settings.CONTENT_SECURITY_POLICY
        if (
            policy
            and "Content-Security-Policy" not in response
            and response.get("Content-Type", "").startswith("text/html")
        ):
            response["Content-Security-Policy"] = policy
        return response
