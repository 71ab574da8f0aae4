"""The in-process webhook runner: a daemon thread per server process.

Used when no worker is deployed (``TASK_RUN_METHOD=SEPARATE_THREAD``, the default).
It is woken after each commit that queued deliveries, and otherwise looks for due
retries (and deliveries left by a previous process) every ``WEBHOOK_POLL_SECONDS``.
Several processes may run it at once: rows are claimed with a lease, so each
delivery is sent by one of them.
"""

from __future__ import annotations

import logging
import os
import threading

from django.conf import settings
from django.db import close_old_connections, connections

logger = logging.getLogger("banderole.webhooks")

_lock = threading.Lock()
_wakeup = threading.Event()
_thread: threading.Thread | None = None
_owner_pid: int | None = None


def in_process() -> bool:
    return settings.TASK_RUN_METHOD == "SEPARATE_THREAD" and not settings.DISABLE_WEBHOOKS


def start() -> None:
    """Start this process's runner thread unless it runs already (a forked child starts its own)."""
    global _thread, _owner_pid
    if not in_process():
        return
    with _lock:
        if _thread is not None and _thread.is_alive() and _owner_pid == os.getpid():
            return
        _owner_pid = os.getpid()
        _thread = threading.Thread(target=_run, name="webhook-runner", daemon=True)
        _thread.start()


def wake() -> None:
    """Called after a commit that queued deliveries."""
    if settings.TASK_RUN_METHOD == "SYNCHRONOUSLY":
        from webhooks.services import deliver_due

        deliver_due()
        return
    if not in_process():
        return
    start()
    _wakeup.set()


def _run() -> None:
    from webhooks.services import deliver_due

    # A round at start-up first: deliveries queued before a restart go out now.
    while True:
        _wakeup.clear()
        try:
            close_old_connections()
            deliver_due()
        except Exception:  # the database may be briefly away; try again on the next round
            logger.exception("Webhook runner round failed")
        finally:
            connections.close_all()
        _wakeup.wait(timeout=settings.WEBHOOK_POLL_SECONDS)
