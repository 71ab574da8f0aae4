#!/usr/bin/env bash
# Banderole container entrypoint. The first argument is a verb:
#   migrate            wait for the database, apply migrations, create the cache table
#   serve [ARGS...]    wait for the database, then exec gunicorn (ARGS go to gunicorn)
#   migrate-and-serve  both, in that order (the image's default command)
#   realtime [ARGS...] wait for the database, then exec the realtime stream process
#                      (manage.py runrealtime, port REALTIME_PORT or 8001; docs/realtime.md)
# Anything else is executed as given, e.g. `python manage.py createsuperuser`.
set -euo pipefail

# Relative to this script, so it works in the image (/app/docker) and from a checkout.
cd "$(dirname "${BASH_SOURCE[0]}")/../api"

# The image sets this; a checkout run gets the same settings the image would use.
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-app.settings.production}"

wait_for_database() {
    # Compose starts the database and the app together, and a cloud database may still be
    # booting: retry the connection for DATABASE_WAIT_SECONDS instead of crash-looping.
    python - <<'PY'
import os
import sys
import time

raw = os.environ.get("DATABASE_WAIT_SECONDS", "").strip() or "60"
try:
    budget = int(raw)
except ValueError:
    sys.exit(f"DATABASE_WAIT_SECONDS={raw!r} is invalid: expected an integer")
# libpq's default connect timeout is unbounded; a firewalled host would eat the budget in one try.
os.environ.setdefault("PGCONNECT_TIMEOUT", "5")

import django
from django.core.exceptions import ImproperlyConfigured

try:
    django.setup()
except ImproperlyConfigured as exc:
    sys.exit(f"Configuration error: {exc}")

from django.db import connection
from django.db.utils import OperationalError

deadline = time.monotonic() + budget
waited = False
while True:
    try:
        connection.ensure_connection()
        break
    except OperationalError as exc:
        if time.monotonic() >= deadline:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
            sys.exit(f"Database not reachable after {budget}s (DATABASE_WAIT_SECONDS): {reason}")
        if not waited:
            print(f"Waiting up to {budget}s for the database...", file=sys.stderr)
            waited = True
        time.sleep(1)
connection.close()
if waited:
    print("Database is up.", file=sys.stderr)
PY
}

migrate() {
    wait_for_database
    python manage.py migrate --noinput
    python manage.py createcachetable
}

serve() {
    wait_for_database
    # exec: gunicorn becomes PID 1 and receives the container's SIGTERM for a graceful stop.
    exec gunicorn -c app/gunicorn.conf.py "$@" app.wsgi:application
}

realtime() {
    wait_for_database
    exec python manage.py runrealtime "$@"
}

[ "$#" -gt 0 ] || set -- migrate-and-serve
case "$1" in
    migrate)
        migrate
        ;;
    serve)
        shift
        serve "$@"
        ;;
    migrate-and-serve)
        shift
        migrate
        serve "$@"
        ;;
    realtime)
        shift
        realtime "$@"
        ;;
    *)
        exec "$@"
        ;;
esac
