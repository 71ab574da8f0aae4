"""The streams of one stream process, grouped by environment, and how a change reaches them.

Everything here runs on the process's event loop; database reads go to a small thread
pool (``realtime.state``), and each is shared by every stream that needs it:

- a key is resolved once per process (then memoised; keys never move);
- an environment's state (version, who may stream it, whether realtime is on) is
  loaded once when its first stream opens, and once per change after that, however
  many streams are open or reconnecting: a thousand clients reconnecting after a
  restart wait on the same load;
- a change becomes one event, the same bytes, queued on each stream.

A stream holds at most one pending event (the newest: the SDKs only compare
``updated_at``) and one pending heartbeat, so a slow client costs no memory; a client
that has not taken ``max_pending`` queued messages is dropped, its connection closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

from django.db import close_old_connections, connections
from django.utils import timezone

from documents.keys import INVALID_KEY
from environments.models import EnvironmentAPIKey
from realtime import state
from realtime.state import EnvironmentState

logger = logging.getLogger(__name__)

T = TypeVar("T")

HEARTBEAT = b": heartbeat\n\n"
DISABLED = b": realtime updates are disabled for this project; events start when they are enabled\n\n"
SHUTTING_DOWN = "This stream process is shutting down: reconnect."
UNAVAILABLE = "The database did not answer: retry later."
# EventSource reconnects after ``retry`` ms; a spread keeps a restart from being a stampede.
RETRY_MS = (2000, 6000)
_KEY_MEMO_SIZE = 10_000


@dataclass(frozen=True)
class Refusal:
    """A stream that cannot open: its HTTP status and the JSON ``detail``."""

    status: int
    detail: str


class Stream:
    """One open stream: what is queued for it, and the task that writes it to the client."""

    __slots__ = (
        "backlog",
        "closed",
        "dropped",
        "environment_id",
        "event",
        "gone",
        "heartbeat",
        "key",
        "key_hash",
        "task",
        "waiter",
    )

    def __init__(self, environment_id: int, key: str, key_hash: str, task: asyncio.Task[Any] | None) -> None:
        self.environment_id = environment_id
        self.key = key
        self.key_hash = key_hash
        self.task = task
        self.event: bytes | None = None
        self.heartbeat = False
        self.backlog = 0  # messages queued since the client last took any
        self.closed = False
        self.dropped = False
        self.gone = False  # the client disconnected
        self.waiter: asyncio.Future[None] | None = None

    def wake(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    def take(self) -> bytes:
        """What is queued, as one chunk, and an empty queue."""
        chunk = (HEARTBEAT if self.heartbeat else b"") + (self.event or b"")
        self.event, self.heartbeat, self.backlog = None, False, 0
        return chunk

    @property
    def has_pending(self) -> bool:
        return self.heartbeat or self.event is not None


@dataclass(eq=False)
class _Channel:
    environment_id: int
    state: EnvironmentState | None = None
    streams: set[Stream] = field(default_factory=set)
    loading: asyncio.Future[EnvironmentState | None] | None = None
    # A change arrived while loading: load again once this load finishes.
    stale: bool = False
    empty_ticks: int = 0


class Hub:
    def __init__(
        self,
        *,
        heartbeat_seconds: float,
        max_pending: int,
        threads: int = 2,
        resync_on_heartbeat: bool = True,
        settle_seconds: float = 0.0,
    ) -> None:
        self.heartbeat_seconds = heartbeat_seconds
        # How long after a change every API process is sure to serve it (``state.settle_seconds``):
        # an SDK refetches as soon as it has the event, so the event must not come earlier.
        self.settle_seconds = settle_seconds
        self.max_pending = max_pending
        self.resync_on_heartbeat = resync_on_heartbeat
        self.closing = False
        self.listening = False  # the change feed is connected (readiness)
        self.stats = {"opened": 0, "refused": 0, "key_reads": 0, "loads": 0, "resyncs": 0, "events": 0, "dropped": 0}
        self._threads = threads
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="realtime-db")
        self._channels: dict[int, _Channel] = {}
        self._keys: dict[str, tuple[int, str]] = {}
        self._key_reads: dict[str, asyncio.Future[tuple[int, str] | None]] = {}
        self._background: set[asyncio.Future[Any]] = set()

    # --- the database, off the loop ----------------------------------------------------

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, partial(_in_thread, function, *args))

    def spawn(self, awaitable: Any) -> asyncio.Future[Any]:
        """A background task the hub keeps a reference to, whose failure is logged."""
        task = asyncio.ensure_future(awaitable)
        self._background.add(task)
        task.add_done_callback(self._background_done)
        return task

    def _background_done(self, task: asyncio.Future[Any]) -> None:
        self._background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.warning("realtime background task failed: %r", task.exception())

    # --- opening and closing streams -----------------------------------------------------

    @property
    def stream_count(self) -> int:
        return sum(len(channel.streams) for channel in self._channels.values())

    async def open(self, key: str) -> tuple[Stream, bytes] | Refusal:
        """A new stream for ``key`` and its first chunk (the current state), or why not."""
        if self.closing:
            return self._refuse(503, SHUTTING_DOWN)
        if not key or len(key) > 200:
            return self._refuse(404, INVALID_KEY)
        try:
            found = await self._environment_for_key(key)
            if found is None:
                return self._refuse(404, INVALID_KEY)
            environment_id, key_hash = found
            channel = self._channels.get(environment_id)
            if channel is None:
                channel = self._channels[environment_id] = _Channel(environment_id)
            current = await self._current_state(channel)
        except Exception as error:  # database or cache down: a JSON 503, never a 500
            logger.warning("realtime: could not open a stream: %r", error)
            return self._refuse(503, UNAVAILABLE)
        if current is None:  # the environment was deleted
            self._keys.pop(key, None)
            return self._refuse(404, INVALID_KEY)
        reason = current.refusal(key, key_hash, timezone.now())
        if reason is not None:
            return self._refuse(403, reason)
        stream = Stream(environment_id, key, key_hash, asyncio.current_task())
        channel.streams.add(stream)
        channel.empty_ticks = 0
        self.stats["opened"] += 1
        retry = b"retry: %d\n" % random.randint(*RETRY_MS)
        first = retry + (current.event() if current.enabled else b"\n" + DISABLED)
        return stream, first

    def _refuse(self, status: int, detail: str) -> Refusal:
        self.stats["refused"] += 1
        return Refusal(status, detail)

    def close(self, stream: Stream) -> None:
        """Forget a stream whose connection has ended."""
        stream.closed = True
        channel = self._channels.get(stream.environment_id)
        if channel is not None:
            channel.streams.discard(stream)

    def _end(self, stream: Stream) -> None:
        """End a stream cleanly: its writer sends what is queued and completes the response."""
        stream.closed = True
        stream.wake()
        channel = self._channels.get(stream.environment_id)
        if channel is not None:
            channel.streams.discard(stream)

    def _drop(self, stream: Stream) -> None:
        """A client that stopped reading: its writer is stuck, so cancel it (uvicorn closes the socket)."""
        self.stats["dropped"] += 1
        logger.info("realtime: dropped a stream of environment %s that stopped reading", stream.environment_id)
        self._end(stream)
        stream.dropped = True
        if stream.task is not None:
            stream.task.cancel()

    def _queue(self, stream: Stream, *, event: bytes | None = None, heartbeat: bool = False) -> None:
        if stream.closed:
            return
        stream.backlog += 1
        if stream.backlog > self.max_pending:
            self._drop(stream)
            return
        if event is not None:
            stream.event = event
        stream.heartbeat = stream.heartbeat or heartbeat
        stream.wake()

    def end_all(self) -> None:
        """Shutdown: refuse new streams and end every open one, so clients reconnect elsewhere."""
        self.closing = True
        for channel in list(self._channels.values()):
            for stream in list(channel.streams):
                self._end(stream)

    # --- keys and states, read once per process ---------------------------------------

    async def _environment_for_key(self, key: str) -> tuple[int, str] | None:
        found = self._keys.get(key)
        if found is not None:
            return found
        reading = self._key_reads.get(key)
        if reading is None:
            reading = self._key_reads[key] = asyncio.ensure_future(self._read_key(key))
        return await asyncio.shield(reading)

    async def _read_key(self, key: str) -> tuple[int, str] | None:
        # The memo is filled in the same step as the in-flight read is forgotten, so a
        # connection arriving in between finds one or the other, never neither.
        self.stats["key_reads"] += 1
        try:
            found = await self.run(state.environment_for_key, key)
            if found is not None:
                if len(self._keys) >= _KEY_MEMO_SIZE:
                    self._keys.clear()
                self._keys[key] = found
            return found
        finally:
            self._key_reads.pop(key, None)

    async def _current_state(self, channel: _Channel) -> EnvironmentState | None:
        if channel.state is not None:
            return channel.state
        if channel.loading is None:
            channel.loading = asyncio.ensure_future(self._load(channel))
        return await asyncio.shield(channel.loading)

    async def _load(self, channel: _Channel, *, settle: bool = False) -> EnvironmentState | None:
        try:
            if settle and self.settle_seconds > 0:
                await asyncio.sleep(self.settle_seconds)
            while True:
                channel.stale = False
                self.stats["loads"] += 1
                loaded = await self.run(state.load, channel.environment_id)
                if not channel.stale:
                    break
            previous, channel.state = channel.state, loaded
            self._apply(channel, previous, loaded)
            return loaded
        finally:
            channel.loading = None

    def _apply(self, channel: _Channel, previous: EnvironmentState | None, current: EnvironmentState | None) -> None:
        """After a load: end the streams that may no longer stream, send the event to the others."""
        if current is None:
            for stream in list(channel.streams):
                self._end(stream)
            return
        changed = previous is None or previous.version != current.version or (current.enabled and not previous.enabled)
        event = current.event() if current.enabled and changed else None
        now = timezone.now()
        for stream in list(channel.streams):
            if current.refusal(stream.key, stream.key_hash, now) is not None:
                self._end(stream)
            elif event is not None:
                self._queue(stream, event=event)
        if event is not None:
            self.stats["events"] += 1

    # --- changes ------------------------------------------------------------------------

    def changed(self, environment_ids: list[int]) -> None:
        """These environments have a new version (or were deleted): reload those streamed here."""
        for environment_id in environment_ids:
            channel = self._channels.get(environment_id)
            if channel is None:
                continue
            if channel.loading is not None:
                channel.stale = True
            elif channel.streams:
                channel.loading = self.spawn(self._load(channel, settle=True))
            else:
                channel.state = None  # nobody listens: read again when somebody does

    async def resync(self) -> None:
        """Compare every followed environment's version with the database (one query): polling, and the safety net."""
        followed = {channel.environment_id: channel.state for channel in self._channels.values() if channel.state}
        if not followed:
            return
        self.stats["resyncs"] += 1
        current = await self.run(state.versions, list(followed))
        self.changed(
            [
                environment_id
                for environment_id, known in followed.items()
                if current.get(environment_id) != known.version
            ]
        )

    async def heartbeats(self) -> None:
        """Every ``heartbeat_seconds``: a comment on every stream, expired keys ended, empty channels forgotten."""
        while True:
            await asyncio.sleep(self.heartbeat_seconds)
            self.tick()
            if self.resync_on_heartbeat:
                try:
                    await self.resync()
                except Exception as error:
                    logger.warning("realtime: resync failed: %r", error)

    def tick(self) -> None:
        now = timezone.now()
        for environment_id, channel in list(self._channels.items()):
            if not channel.streams and channel.loading is None:
                channel.empty_ticks += 1
                if channel.empty_ticks >= 2:  # kept one tick, for clients that reconnect
                    del self._channels[environment_id]
                continue
            for stream in list(channel.streams):
                expired = (
                    channel.state is not None
                    and stream.key.startswith(EnvironmentAPIKey.PREFIX)
                    and channel.state.refusal(stream.key, stream.key_hash, now) is not None
                )
                if expired:
                    self._end(stream)
                else:
                    self._queue(stream, heartbeat=True)

    async def polling(self, seconds: float) -> None:
        """The change feed on SQLite: every ``seconds``, one version check for all followed environments."""
        self.listening = True
        while True:
            await asyncio.sleep(seconds)
            try:
                await self.resync()
                self.listening = True
            except Exception as error:
                self.listening = False
                logger.warning("realtime: version check failed: %r", error)

    def shutdown(self) -> None:
        """Cancel background loads and close every worker thread's database connections."""
        for task in list(self._background):
            task.cancel()
        # One closing job per thread: each waits for the others, so no thread takes two.
        barrier = threading.Barrier(self._threads)

        def close_connections() -> None:
            connections.close_all()
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(timeout=5)

        for _ in range(self._threads):
            self._executor.submit(close_connections)
        self._executor.shutdown(wait=True, cancel_futures=False)


def _in_thread(function: Callable[..., T], *args: Any) -> T:
    # The pool's threads live as long as the process: their connections must be
    # recycled as a request's would be (CONN_MAX_AGE, broken connections).
    close_old_connections()
    try:
        return function(*args)
    except Exception:
        for connection in connections.all(initialized_only=True):
            connection.close_if_unusable_or_obsolete()
        raise
