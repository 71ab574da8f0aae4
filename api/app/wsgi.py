"""WSGI entry point for gunicorn and other WSGI servers."""

import os
import sys

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "app.settings.production")

from app.envvars import ConfigurationError

try:
    application = get_wsgi_application()
except ConfigurationError as exc:
    print(f"Configuration error: {exc}", file=sys.stderr)
    # 3 is gunicorn's "worker failed to boot": the arbiter stops instead of respawning.
    sys.exit(3)

from django.conf import settings

# Read from the settings in use: the local settings keep one key in api/.django_secret_key.
if getattr(settings, "SECRET_KEY_WAS_GENERATED", False):
    print(
        "WARNING: DJANGO_SECRET_KEY is not set; a random key was generated for this "
        "process. Set one shared DJANGO_SECRET_KEY when running more than one instance, "
        "or signed links and sessions will not survive a restart.",
        file=sys.stderr,
    )
if getattr(settings, "CONSOLE_EMAIL_IN_PRODUCTION", False):
    # Production settings without EMAIL_BACKEND: say where the mail goes.
    print(
        "WARNING: EMAIL_BACKEND is not set, so email (invitations, password-reset and activation "
        "links) is written to this server's log instead of being sent. Set EMAIL_BACKEND "
        "(docs/configuration.md#email), and keep the log private until then.",
        file=sys.stderr,
    )

from django.core.cache import caches
from django.db import connections
from django.urls import get_resolver

# Counts sent once in the background when TELEMETRY_URL is set; never delays start-up.
from app import telemetry

# Versions published with a live_from are applied by a thread of each process.
from versioning import scheduler

# Webhooks queued before a restart, or while no request woke the runner, go out too.
from webhooks import runner


def start_background_work() -> None:
    """This process's webhook runner, telemetry and feature-version scheduler threads."""
    runner.start()
    telemetry.start()
    # Scheduled feature versions are written into the live rows once their time comes.
    scheduler.start()


def before_fork() -> None:
    """Gunicorn's arbiter with ``preload_app``, before each fork: share no socket with a worker.

    A database connection or cache client open in the arbiter would be inherited by every
    worker, which would then talk over one socket at once.
    """
    connections.close_all()
    for cache in caches.all(initialized_only=True):
        cache.close()


def warm_up() -> None:
    """Import what Django otherwise imports on a process's first request: the URLconf and
    every view module it names (most of a second of CPU), so forked workers share it."""
    resolver = get_resolver()
    resolver.url_patterns  # noqa: B018 - imports the URLconf
    resolver.reverse_dict  # noqa: B018 - resolves every include once


# With preload_app the arbiter imports this module and forks workers from it: threads
# started here would stay in the arbiter, so each worker starts its own after the fork
# (gunicorn.conf.py's post_fork), and the arbiter does the first request's imports once.
if os.environ.get("BANDEROLE_THREADS_AFTER_FORK"):
    warm_up()
else:
    start_background_work()
