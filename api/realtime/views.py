"""What the WSGI server answers on the stream's paths: it never holds a stream itself."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse

NOT_HERE = (
    "The realtime stream is served by the stream process (manage.py runrealtime), not by this server: "
    "route /sse/ to it, or set REALTIME_URL (docs/realtime.md)."
)


class _TemporaryRedirect(HttpResponseRedirect):
    status_code = 307


def stream_elsewhere(request: HttpRequest, key: str) -> HttpResponse:
    """A redirect to the stream process when ``REALTIME_URL`` says where it is (EventSource and requests follow it)."""
    if settings.REALTIME_URL:
        return _TemporaryRedirect(settings.REALTIME_URL + request.get_full_path())
    return JsonResponse({"detail": NOT_HERE}, status=404)
