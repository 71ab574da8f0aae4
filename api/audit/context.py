"""Where the current change comes from: the admin API, the Django admin, or a command.

Outside a request (a management command, a shell, a script) the source is COMMAND;
``AuditSourceMiddleware`` sets API or ADMIN for requests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

from audit.models import AuditSource

_source: ContextVar[str] = ContextVar("audit_source", default=AuditSource.COMMAND)


def current_source() -> str:
    return _source.get()


@contextmanager
def audit_source(source: str) -> Iterator[None]:
    token = _source.set(source)
    try:
        yield
    finally:
        _source.reset(token)


class AuditSourceMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        source = AuditSource.ADMIN if request.path.startswith("/admin/") else AuditSource.API
        with audit_source(source):
            return self.get_response(request)
