"""``manage.py run_webhook_worker``: deliver queued webhooks from a separate process.

Deploy it with ``TASK_RUN_METHOD=TASK_PROCESSOR`` on the API processes, so they only
queue. ``--once`` delivers what is due now and exits (for cron or tests).
"""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from webhooks.services import deliver_due


class Command(BaseCommand):
    help = "Deliver queued webhooks, retrying failures with exponential backoff."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="Deliver what is due now, then exit.")
        parser.add_argument(
            "--interval",
            type=float,
            default=None,
            help="Seconds between looks at the queue (default WEBHOOK_POLL_SECONDS).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["once"]:
            count = deliver_due()
            self.stdout.write(f"{count} webhook deliveries attempted")
            return
        interval = options["interval"] or settings.WEBHOOK_POLL_SECONDS
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        self.stdout.write(f"Webhook worker started (every {interval}s)")
        while not stop.is_set():
            close_old_connections()
            deliver_due()
            stop.wait(interval)
