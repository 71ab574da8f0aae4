"""Self-hosted telemetry (Flagsmith's ``ENABLE_TELEMETRY``): a few counts, once at start-up.

Sent only when ``TELEMETRY_URL`` is set (nothing is sent anywhere by default), from a
daemon thread, with a short timeout: start-up never waits for it and never fails
because of it. Every error is swallowed and logged at debug level, so an install
with no network does not notice it. The receiver sees the server's address itself;
no external service is asked for it.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.conf import settings
from django.db import connections

logger = logging.getLogger("banderole.telemetry")


def payload() -> dict[str, Any]:
    """The counts the Flagsmith docs list, in the shape of Flagsmith's telemetry body."""
    from environments.models import Environment
    from features.models import Feature
    from organisations.models import Organisation
    from projects.models import Project
    from segments.models import Segment
    from users.models import User

    return {
        "organisations": Organisation.objects.count(),
        "projects": Project.objects.count(),
        "environments": Environment.objects.count(),
        "features": Feature.objects.count(),
        "segments": Segment.objects.count(),
        "users": User.objects.count(),
        "debug_enabled": bool(settings.DEBUG),
        "env": settings.ENV,
    }


def send() -> None:
    """Count and POST; never raises."""
    try:
        import requests

        body = payload()
        response = requests.post(settings.TELEMETRY_URL, json=body, timeout=settings.TELEMETRY_TIMEOUT_SECONDS)
        response.raise_for_status()
    except Exception as exc:  # telemetry must never matter to the server
        logger.debug("Telemetry not sent: %s", exc)
    finally:
        connections.close_all()


def start() -> threading.Thread | None:
    """Send telemetry in the background; returns the thread (or None when nothing is sent)."""
    try:
        if not settings.ENABLE_TELEMETRY or not settings.TELEMETRY_URL:
            return None
        thread = threading.Thread(target=send, name="telemetry", daemon=True)
        thread.start()
        return thread
    except Exception as exc:  # pragma: no cover - e.g. no thread can be started
        logger.debug("Telemetry not started: %s", exc)
        return None
