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

# Webhooks queued before a restart, or while no request woke the runner, go out too.
from webhooks import runner

runner.start()

# Counts sent once in the background when TELEMETRY_URL is set; never delays start-up.
from app import telemetry  # noqa: E402

telemetry.start()
