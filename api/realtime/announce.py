"""Telling every stream process which environments have a new version, right after the commit.

The transport is the deployment's own: Redis pub/sub when ``REALTIME_REDIS_URL`` is
set, else PostgreSQL ``NOTIFY`` on the primary, else nothing (SQLite: the stream
process polls). The API and stream processes read the same settings, so they agree.
A failed announcement is logged, never raised: the write has committed, and each
stream process re-reads its environments' versions on every heartbeat anyway.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator
from typing import Any

import redis
from django.conf import settings
from django.db import connections, router

from environments.models import Environment

logger = logging.getLogger(__name__)

# LISTEN/NOTIFY channel (per database) and Redis channel (prefixed like cache keys).
POSTGRES_CHANNEL = "banderole_versions"
# NOTIFY payloads must stay under 8000 bytes.
_PAYLOAD_LIMIT = 7000

_redis_clients: dict[str, Any] = {}
_redis_lock = threading.Lock()


def transport() -> str:
    """``redis``, ``postgres`` or ``polling``: how versions travel from the API to the streams."""
    if settings.REALTIME_REDIS_URL:
        return "redis"
    if connections[router.db_for_write(Environment)].vendor == "postgresql":
        return "postgres"
    return "polling"


def redis_channel() -> str:
    return f"{settings.CACHE_KEY_PREFIX}banderole:versions"


def payloads(environment_ids: Iterable[int]) -> Iterator[str]:
    """Comma-separated ids, split so that each payload fits a NOTIFY."""
    chunk: list[str] = []
    size = 0
    for environment_id in environment_ids:
        text = str(int(environment_id))
        if chunk and size + len(text) + 1 > _PAYLOAD_LIMIT:
            yield ",".join(chunk)
            chunk, size = [], 0
        chunk.append(text)
        size += len(text) + 1
    if chunk:
        yield ",".join(chunk)


def parse(payload: str | bytes) -> list[int]:
    """The ids of a payload; anything that is not an id is ignored (the channel is not authenticated)."""
    if isinstance(payload, bytes):
        payload = payload.decode("ascii", "replace")
    return [int(part) for part in payload.split(",") if part.strip().isdigit()]


def _redis() -> Any:
    """One client (a thread-safe connection pool) per process and URL."""
    url = settings.REALTIME_REDIS_URL
    with _redis_lock:
        if url not in _redis_clients:
            _redis_clients[url] = redis.Redis.from_url(
                url,
                socket_timeout=settings.CACHE_SOCKET_TIMEOUT_SECONDS,
                socket_connect_timeout=settings.CACHE_SOCKET_TIMEOUT_SECONDS,
            )
        return _redis_clients[url]


def announce(environment_ids: Iterable[int]) -> None:
    """Tell the stream processes these environments changed; call it after the commit."""
    ids = sorted(set(environment_ids))
    if not ids:
        return
    kind = transport()
    try:
        if kind == "redis":
            client = _redis()
            for payload in payloads(ids):
                client.publish(redis_channel(), payload)
        elif kind == "postgres":
            with connections[router.db_for_write(Environment)].cursor() as cursor:
                for payload in payloads(ids):
                    cursor.execute("SELECT pg_notify(%s, %s)", [POSTGRES_CHANNEL, payload])
    except Exception as error:  # a committed write must not fail because an announcement did
        logger.warning("could not announce new versions of environments %s over %s: %r", ids, kind, error)


def versions_published(sender: Any, environment_ids: list[int], **kwargs: Any) -> None:
    """``core.versions.published`` receiver (after the commit)."""
    announce(environment_ids)
