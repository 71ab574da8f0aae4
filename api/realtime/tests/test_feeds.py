"""What feeds the streams besides the default of the database in use, and a client that stops reading."""

from __future__ import annotations

import asyncio
import time

from django.test import override_settings

from core.versions import touch
from environments.models import Environment
from realtime.asgi import StreamApplication
from realtime.tests.conftest import stream_process
from tests import cache_servers


def test_stream__redis_configured__event_through_redis_pub_sub(realtime_environment: Environment) -> None:
    url = cache_servers.redis_url()
    with override_settings(REALTIME_REDIS_URL=url), stream_process(REALTIME_REDIS_URL=url) as running:
        reader = running.open(realtime_environment.api_key)
        reader.event()

        touch([realtime_environment.pk])
        started = time.monotonic()
        event = reader.event()

        assert running.application.hub is not None and running.application.hub.listening
        assert event["data"]["updated_at"] == Environment.objects.get(pk=realtime_environment.pk).updated_at.timestamp()
        assert time.monotonic() - started < 1.0
        reader.close()


def test_stream__client_stops_reading__dropped_after_the_bounded_queue(realtime_environment: Environment) -> None:
    """uvicorn's ``send`` waits while the socket's buffers are full: here, forever after the first event."""

    async def scenario() -> tuple[dict[str, int], int]:
        application = StreamApplication()
        hub = application.start()
        first_sent = asyncio.Event()

        async def send(message: dict) -> None:
            if message.get("more_body"):
                first_sent.set()
                await asyncio.Event().wait()  # the client never reads again

        async def receive() -> dict:
            await asyncio.Event().wait()
            return {}

        scope = {"type": "http", "method": "GET", "path": f"/sse/environments/{realtime_environment.api_key}/stream"}
        connection = asyncio.ensure_future(application(scope, receive, send))
        await asyncio.wait_for(first_sent.wait(), 10)
        for _ in range(hub.max_pending + 1):
            hub.tick()  # a heartbeat each
        await asyncio.wait_for(connection, 5)  # the writer was cancelled: uvicorn would close the socket
        counts = dict(hub.stats), hub.stream_count
        await application.stop()
        return counts

    with override_settings(REALTIME_MAX_PENDING_MESSAGES=3, REALTIME_HEARTBEAT_SECONDS=60):
        stats, open_streams = asyncio.run(scenario())

    assert stats["dropped"] == 1
    assert open_streams == 0
