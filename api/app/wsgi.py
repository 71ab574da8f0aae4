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

from app.settings.common import warn_about_generated_secret_key

warn_about_generated_secret_key()

# Webhooks queued before a restart, or while no request woke the runner, go out too.
from webhooks import runner  # noqa: E402

runner.start()

# Counts sent once in the background when TELEMETRY_URL is set; never delays start-up.
from app import telemetry  # noqa: E402

telemetry.start()
