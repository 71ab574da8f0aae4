"""The realtime stream: Server-Sent Events telling SDKs that an environment's document changed.

``GET /sse/environments/{client key}/stream`` (and the same under
``REALTIME_PATH_PREFIX``) is served by the stream process (``manage.py runrealtime``,
an ASGI application under uvicorn: ``realtime.asgi``), never by a gunicorn worker.
The API processes announce every new version after its commit (``realtime.announce``,
connected to ``core.versions.published``); each stream process hears it (PostgreSQL
LISTEN, Redis pub/sub, or polling on SQLite: ``realtime.feeds``), reads the
environment's new version once (``realtime.state``) and writes one event to each of
its streams of that environment (``realtime.hub``). docs/realtime.md is the user's view.
"""
