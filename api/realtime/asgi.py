"""The stream process's ASGI application: the realtime stream and two health paths, nothing else.

Not Django's ASGI handler: a stream is one coroutine holding a few kilobytes, with no
request object or middleware, so one process holds ten thousand of them
(bench/realtime.md). Django is set up (``app.asgi``) for the ORM, the caches and the
settings. Paths:

- ``GET /sse/environments/{key}/stream`` and ``GET /{REALTIME_PATH_PREFIX}/sse/…``:
  ``text/event-stream``; a JSON 404 (unknown key), 403 (revoked or expired key,
  organisation not serving flags) or 503 (database down, shutting down) before it opens;
- ``GET /health/liveness/``, ``GET /health/readiness/`` (the change feed is connected);
- anything else: a JSON 404 (405 for another method on a stream path).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import socket
from typing import Any

import uvicorn
from django.conf import settings

from realtime import announce, feeds, state
from realtime.hub import Hub, Refusal, Stream

logger = logging.getLogger(__name__)

Scope = dict[str, Any]
Receive = Any
Send = Any

_CORS = [(b"access-control-allow-origin", b"*")]
STREAM_HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache, no-store"),
    # nginx buffers proxied responses unless told otherwise; an event must not wait in a buffer.
    (b"x-accel-buffering", b"no"),
    *_CORS,
]


def stream_path(prefix: str) -> re.Pattern[str]:
    prefix = prefix.strip("/")
    optional_prefix = f"(?:/{re.escape(prefix)})?" if prefix else ""
    return re.compile(rf"^{optional_prefix}/sse/environments/(?P<key>[^/]+)/stream/?$")


async def _json(send: Send, status: int, body: dict[str, Any], headers: list[tuple[bytes, bytes]] = ()) -> None:  # type: ignore[assignment]
    content = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(content)).encode()),
                (b"cache-control", b"no-store"),
                *_CORS,
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": content})


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


class StreamApplication:
    """One hub per application; started by the ASGI lifespan (or the first request)."""

    def __init__(self) -> None:
        self.hub: Hub | None = None
        self._tasks: list[asyncio.Task[Any]] = []
        self._path = stream_path(settings.REALTIME_PATH_PREFIX)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            await self._http(scope, receive, send)

    # --- lifecycle --------------------------------------------------------------------

    def start(self) -> Hub:
        if self.hub is not None:
            return self.hub
        kind = announce.transport()
        hub = self.hub = Hub(
            heartbeat_seconds=settings.REALTIME_HEARTBEAT_SECONDS,
            max_pending=settings.REALTIME_MAX_PENDING_MESSAGES,
            resync_on_heartbeat=kind != "polling",
            settle_seconds=state.settle_seconds(),
        )
        feed = {
            "postgres": lambda: feeds.postgres(hub),
            "redis": lambda: feeds.redis(hub),
            "polling": lambda: hub.polling(settings.REALTIME_POLL_SECONDS),
        }[kind]()
        self._tasks = [asyncio.ensure_future(hub.heartbeats()), asyncio.ensure_future(feed)]
        logger.info("realtime: streams are fed by %s; events %.1f s after a change", kind, hub.settle_seconds)
        return hub

    def end_streams(self) -> None:
        """Before the server stops: end every stream, so clients reconnect to another process."""
        if self.hub is not None:
            self.hub.end_all()

    async def stop(self) -> None:
        self.end_streams()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.hub is not None:
            self.hub.shutdown()
        self.hub, self._tasks = None, []

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    self.start()
                except Exception as error:
                    await send({"type": "lifespan.startup.failed", "message": repr(error)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return

    # --- requests --------------------------------------------------------------------

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        hub = self.start()
        path, method = scope["path"], scope["method"]
        match = self._path.match(path)
        if match is None:
            if path == "/health/liveness/":
                await _json(send, 200, {"status": "ok"})
            elif path == "/health/readiness/":
                ready = hub.listening and not hub.closing
                await _json(send, 200 if ready else 503, {"status": "ok" if ready else "unavailable"})
            else:
                await _json(send, 404, {"detail": "Not found."})
            return
        if method == "OPTIONS":
            await _json(
                send,
                200,
                {},
                [(b"access-control-allow-methods", b"GET, OPTIONS"), (b"access-control-max-age", b"86400")],
            )
            return
        if method != "GET":
            await _json(send, 405, {"detail": f'Method "{method}" not allowed.'}, [(b"allow", b"GET, OPTIONS")])
            return
        opened = await hub.open(match["key"])
        if isinstance(opened, Refusal):
            await _json(send, opened.status, {"detail": opened.detail})
            return
        stream, first = opened
        try:
            await self._write(stream, first, receive, send)
        finally:
            hub.close(stream)

    async def _write(self, stream: Stream, first: bytes, receive: Receive, send: Send) -> None:
        """Send what the hub queues until the client goes, the hub ends the stream, or drops it."""
        disconnected = asyncio.ensure_future(_disconnected(receive))

        def client_gone(_: asyncio.Future[None]) -> None:
            stream.gone = True
            stream.wake()

        # One future per wait, resolved by the hub or by the disconnect: an event to ten
        # thousand streams costs ten thousand cheap wake-ups, not ten thousand asyncio.wait()s.
        disconnected.add_done_callback(client_gone)
        loop = asyncio.get_running_loop()
        try:
            await send({"type": "http.response.start", "status": 200, "headers": STREAM_HEADERS})
            await send({"type": "http.response.body", "body": first, "more_body": True})
            while not stream.gone:
                if not stream.has_pending and not stream.closed:
                    stream.waiter = loop.create_future()
                    await stream.waiter
                    stream.waiter = None
                    continue
                if stream.has_pending:
                    await send({"type": "http.response.body", "body": stream.take(), "more_body": True})
                if stream.closed and not stream.has_pending:
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
                    return
        except asyncio.CancelledError:
            if stream.dropped:
                return  # uvicorn closes a response left incomplete
            raise
        finally:
            disconnected.cancel()


class StreamServer(uvicorn.Server):
    """uvicorn, but a stop first ends every stream, so its clients reconnect at once (elsewhere)."""

    def __init__(self, config: uvicorn.Config, application: StreamApplication) -> None:
        super().__init__(config)
        self.application = application

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self.application.end_streams()
        await super().shutdown(sockets)


application = StreamApplication()
