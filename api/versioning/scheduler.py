"""The in-process scheduler: applies scheduled feature versions when their time comes.

Each API process runs it in a daemon thread (started by ``app.wsgi``). SDKs do not
wait for it: from a version's ``live_from`` on, the document compiler serves the
version and every process's version check knows the instant (``documents.caching``).
The scheduler writes the version into the feature's live rows, which bumps the
environment's version after the commit: the realtime stream sends its event, the
audit log records that the change went live, and NEW_VERSION_PUBLISHED webhooks are
queued. Several processes may run it at once; a version is applied once
(``versioning.services.apply_due`` locks the feature and skips what is applied).
It asks the database one indexed question every ``FEATURE_VERSION_SCHEDULER_SECONDS``.
"""

from __future__ import annotations

import logging
import os
import threading

from django.conf import settings
from django.db import close_old_connections, connections

from versioning.services import apply_due

logger = logging.getLogger("banderole.versioning")

_lock = threading.Lock()
_thread: threading.Thread | None = None
_owner_pid: int | None = None
_stop = threading.Event()


def start() -> None:
    """Start this process's scheduler thread unless it runs already or is turned off (0 seconds)."""
    global _thread, _owner_pid
    if settings.FEATURE_VERSION_SCHEDULER_SECONDS <= 0:
        return
    with _lock:
        if _thread is not None and _thread.is_alive() and _owner_pid == os.getpid():
            return
        _owner_pid = os.getpid()
        _stop.clear()
        _thread = threading.Thread(target=_run, name="version-scheduler", daemon=True)
        _thread.start()


def stop() -> None:
    """Tests: end the thread after its current round."""
    _stop.set()


def _run() -> None:
    while not _stop.is_set():
        try:
            close_old_connections()
            apply_due()
        except Exception:  # the database may be briefly away; try again next round
            logger.exception("Feature version scheduler round failed")
        finally:
            connections.close_all()
        _stop.wait(timeout=settings.FEATURE_VERSION_SCHEDULER_SECONDS)
