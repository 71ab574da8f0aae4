# Banderole API image.
#
#   docker build -t banderole .
#   docker run -p 8000:8000 -e DATABASE_URL=postgresql://... -e DJANGO_SECRET_KEY=... banderole
#
# docker-compose.yml next to this file runs it with PostgreSQL and memcached. The
# entrypoint (docker/entrypoint.sh) takes a verb: migrate, serve, migrate-and-serve (the
# default) or realtime (the stream process); any other command runs as given, e.g.
# `python manage.py createsuperuser`.

ARG PYTHON_IMAGE=python:3.11-slim

# --- frontend: the dashboard, built as the unified build does it ------------------------
# `npm run bundledjango` type-checks against the API schema snapshot, builds with Vite and
# writes api/static/dashboard/ and api/app/templates/webpack/index.html; the runtime stage
# copies both before collectstatic runs. Node stays in this stage only.
FROM node:20-slim AS frontend
ENV PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
    NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /build/frontend
# Only the manifests first, so editing the dashboard does not reinstall its dependencies.
COPY frontend/package.json frontend/package-lock.json ./
# npm install, not npm ci: see api/tests/e2e/test_dashboard_browser.py (the lock holds one platform's
# optional packages); it installs the locked versions.
RUN npm install --no-audit --no-fund
COPY frontend/ ./
RUN npm run bundledjango

# --- builder: the virtualenv, with compilers and caches left behind --------------------
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

RUN python -m venv /opt/venv
# Only requirements.txt, so editing application code does not reinstall dependencies.
COPY requirements.txt /tmp/requirements.txt
RUN /opt/venv/bin/pip install -r /tmp/requirements.txt

# --- runtime ------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

ENV PATH="/opt/venv/bin:${PATH}" \
    VIRTUAL_ENV=/opt/venv \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DJANGO_SETTINGS_MODULE=app.settings.production

RUN groupadd --gid 1000 banderole \
 && useradd --uid 1000 --gid 1000 --create-home --shell /usr/sbin/nologin banderole

COPY --from=builder /opt/venv /opt/venv
COPY api/ /app/api/
COPY docker/ /app/docker/
COPY --from=frontend /build/api/static/dashboard/ /app/api/static/dashboard/
COPY --from=frontend /build/api/app/templates/webpack/ /app/api/app/templates/webpack/
WORKDIR /app/api

# Production settings refuse to load without a shared secret key and a real database.
# collectstatic uses neither, so throwaway values are given to this one command only;
# they are not in the image's environment. Code and static files stay root-owned, so the
# server cannot modify them. /data is the one writable place, for a single-container
# SQLite set-up (SQLITE_PATH=/data/db.sqlite3 with a volume on /data).
RUN DJANGO_SECRET_KEY=collectstatic-only-build-key-never-used-at-runtime \
    ALLOW_SQLITE_IN_PRODUCTION=true \
    python manage.py collectstatic --noinput \
 && python -m compileall -q /app/api \
 && chmod 0755 /app/docker/entrypoint.sh /app/docker/healthcheck.py \
 && mkdir -p /data \
 && chown banderole:banderole /data

# Numeric, so Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
USER 1000:1000

# 8000: the API (gunicorn); 8001: the realtime stream process (entrypoint verb `realtime`).
EXPOSE 8000 8001

# Liveness only: the process answers. Readiness (database and cache) is for orchestrators
# that route traffic; see the healthcheck in docker-compose.yml.
HEALTHCHECK --interval=30s --timeout=5s --start-period=90s --retries=3 \
    CMD ["python", "/app/docker/healthcheck.py", "/health/liveness/"]

ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD ["migrate-and-serve"]
