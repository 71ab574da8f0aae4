"""ASGI entry point of the stream process: the realtime stream only (``realtime.asgi``).

Everything else (the API, the dashboard, the admin) is the WSGI application's
(``app/wsgi.py``, under gunicorn). ``manage.py runrealtime`` serves this with uvicorn;
any ASGI server can: ``uvicorn app.asgi:application --no-access-log``.
"""

import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "app.settings.production")

from app.envvars import ConfigurationError

try:
    django.setup()
except ConfigurationError as exc:
    print(f"Configuration error: {exc}", file=sys.stderr)
    sys.exit(3)

from realtime.asgi import application

__all__ = ["application"]
