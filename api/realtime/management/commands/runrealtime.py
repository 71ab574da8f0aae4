"""``manage.py runrealtime``: the stream process (uvicorn serving ``realtime.asgi``)."""

from __future__ import annotations

import importlib.util
import logging
import os
import resource
from typing import Any

import uvicorn
from django.core.management.base import BaseCommand, CommandError

from realtime.asgi import StreamServer, application

logger = logging.getLogger(__name__)


def _raise_open_files_limit() -> int:
    """Each stream is a socket: take the hard limit of open files, not the (often 1024) soft one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        target = 1_048_576 if hard == resource.RLIM_INFINITY else hard
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    return soft


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise CommandError(f"port {value!r} is invalid: expected an integer") from None
    if not 0 <= port <= 65535:
        raise CommandError(f"port {value!r} is invalid: expected 0 to 65535")
    return port


class Command(BaseCommand):
    help = "Serve the realtime stream (/sse/environments/{key}/stream) with uvicorn; docs/realtime.md."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default=os.environ.get("REALTIME_HOST") or "0.0.0.0")
        parser.add_argument("--port", default=os.environ.get("REALTIME_PORT") or "8001")
        parser.add_argument("--log-level", default=(os.environ.get("LOG_LEVEL") or "info").lower())

    def handle(self, *args: Any, **options: Any) -> None:
        port = _port(str(options["port"]))
        files = _raise_open_files_limit()
        loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"  # no uvloop on Windows
        config = uvicorn.Config(
            application,
            host=options["host"],
            port=port,
            loop=loop,
            http="httptools",
            ws="none",
            lifespan="on",
            access_log=False,
            log_level=options["log_level"],
            # A restart is followed by every client reconnecting within seconds.
            backlog=4096,
            # Streams end at once on a stop; this only bounds a client that does not read.
            timeout_graceful_shutdown=5,
            # Behind a proxy: X-Forwarded-* from it are trusted (FORWARDED_ALLOW_IPS).
            server_header=False,
            proxy_headers=True,
            forwarded_allow_ips=os.environ.get("FORWARDED_ALLOW_IPS") or "127.0.0.1",
        )
        self.stdout.write(f"Realtime stream on http://{options['host']}:{port}/sse/ (open files limit {files})")
        StreamServer(config, application).run()
