"""How a stream process hears of new versions: one connection per process, whatever the streams.

``postgres`` LISTENs on the primary, ``redis`` SUBSCRIBEs to ``REALTIME_REDIS_URL``,
each reconnecting with a growing pause when its server goes away; each time it has
(re)subscribed, the hub re-reads its environments' versions, so a change made while
nobody listened is not lost. On SQLite the hub polls (``Hub.polling``) instead.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import psycopg
import redis.asyncio as aioredis
from django.conf import settings
from django.db import connections, router
from redis.exceptions import RedisError

from environments.models import Environment
from realtime import announce
from realtime.hub import Hub

logger = logging.getLogger(__name__)

_MAX_PAUSE_SECONDS = 30.0


def postgres_connection_params() -> dict[str, Any]:
    """libpq parameters of the primary, as Django connects to it, for an asyncio connection."""
    params = connections[router.db_for_write(Environment)].get_connection_params()
    for name in ("cursor_factory", "context", "prepare_threshold"):
        params.pop(name, None)
    # A LISTEN connection is idle for hours: keepalives notice a dead peer.
    params.setdefault("keepalives", 1)
    params.setdefault("keepalives_idle", 30)
    return params


async def _resync(hub: Hub) -> None:
    try:
        await hub.resync()
    except Exception as error:
        logger.warning("realtime: resync after subscribing failed: %r", error)


async def postgres(hub: Hub) -> None:
    params = postgres_connection_params()
    pause = 1.0
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(**params, autocommit=True) as connection:
                await connection.execute(f"LISTEN {announce.POSTGRES_CHANNEL}")
                hub.listening, pause = True, 1.0
                await _resync(hub)
                while True:
                    async for notification in connection.notifies(timeout=hub.heartbeat_seconds):
                        hub.changed(announce.parse(notification.payload))
                    # Quiet for a while: make sure the connection is still there.
                    await connection.execute("SELECT 1")
        except (psycopg.Error, OSError) as error:
            hub.listening = False
            logger.warning("realtime: PostgreSQL LISTEN connection lost (%r); retrying in %.0f s", error, pause)
        await asyncio.sleep(pause)
        pause = min(pause * 2, _MAX_PAUSE_SECONDS)


async def redis(hub: Hub) -> None:
    pause = 1.0
    while True:
        client = aioredis.Redis.from_url(settings.REALTIME_REDIS_URL, socket_connect_timeout=5)
        try:
            async with client.pubsub(ignore_subscribe_messages=True) as pubsub:
                await pubsub.subscribe(announce.redis_channel())
                hub.listening, pause = True, 1.0
                await _resync(hub)
                while True:
                    message = await pubsub.get_message(timeout=hub.heartbeat_seconds)
                    if message is None:
                        await pubsub.ping()  # quiet for a while: is the server still there?
                    elif message["type"] == "message":
                        hub.changed(announce.parse(message["data"]))
        except (RedisError, OSError) as error:
            hub.listening = False
            logger.warning("realtime: Redis subscription lost (%r); retrying in %.0f s", error, pause)
        finally:
            await client.aclose()
        await asyncio.sleep(pause)
        pause = min(pause * 2, _MAX_PAUSE_SECONDS)
