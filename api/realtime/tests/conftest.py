"""A stream process inside the test process (uvicorn on 127.0.0.1, in a thread) and an SSE reader.

The stream process reads the database from its own threads, so tests that write what it
must see use ``transactional_db`` (through ``realtime_project``): what they write is
committed, and announced after the commit exactly as in production (NOTIFY on
PostgreSQL, Redis when configured, polling on SQLite). Tests that need no data keep
the faster ``db``.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
import uvicorn
from django.test import override_settings

from environments.models import Environment
from environments.tests.factories import EnvironmentFactory
from projects.models import Project
from projects.tests.factories import ProjectFactory
from realtime.asgi import StreamApplication, StreamServer

# Fast enough that tests wait little; the production default is 20 s.
TEST_HEARTBEAT_SECONDS = 0.3
TEST_POLL_SECONDS = 0.1


@dataclass
class RunningStreams:
    url: str
    application: StreamApplication

    def stream_url(self, key: str, prefix: str = "") -> str:
        return f"{self.url}{prefix}/sse/environments/{key}/stream"

    def open(self, key: str, **kwargs: Any) -> EventReader:
        return EventReader(self.stream_url(key), **kwargs)

    @property
    def stats(self) -> dict[str, int]:
        assert self.application.hub is not None
        return self.application.hub.stats


@contextlib.contextmanager
def stream_process(**settings: Any) -> Iterator[RunningStreams]:
    """``realtime.asgi`` under uvicorn on a free port, with these settings, until the block ends."""
    overrides = {
        "REALTIME_HEARTBEAT_SECONDS": TEST_HEARTBEAT_SECONDS,
        "REALTIME_POLL_SECONDS": TEST_POLL_SECONDS,
        **settings,
    }
    with override_settings(**overrides):
        application = StreamApplication()
        config = uvicorn.Config(
            application, lifespan="on", loop="asyncio", http="httptools", ws="none", log_level="warning"
        )
        server = StreamServer(config, application)
        listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listening.bind(("127.0.0.1", 0))
        port = listening.getsockname()[1]
        thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "the stream process did not start"
            time.sleep(0.02)
        running = RunningStreams(f"http://127.0.0.1:{port}", application)
        try:
            wait_until(lambda: application.hub is not None and application.hub.listening)
            yield running
        finally:
            server.should_exit = True
            thread.join(15)
            listening.close()


def wait_until(condition: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


class EventReader:
    """Reads an SSE response block by block (a block ends with a blank line), as SDKs do."""

    def __init__(self, url: str, read_timeout: float = 5.0) -> None:
        self.response = requests.get(
            url, stream=True, timeout=(5, read_timeout), headers={"Accept": "text/event-stream"}
        )
        self._chunks = self.response.iter_content(chunk_size=None)
        self._buffer = b""

    def block(self) -> str:
        """The next block's text; raises on the read timeout, StopIteration when the stream ends."""
        while b"\n\n" not in self._buffer:
            self._buffer += next(self._chunks)
        block, self._buffer = self._buffer.split(b"\n\n", 1)
        return block.decode()

    def event(self, max_blocks: int = 1000) -> dict[str, Any]:
        """The next block that carries data (skipping comments and a bare ``retry``): its fields."""
        for _ in range(max_blocks):
            fields = parse_block(self.block())
            if "data" in fields:
                return fields
        raise AssertionError("no event")

    def ended(self) -> bool:
        """Whether the server ends the stream (after what it still sends) before the read timeout."""
        try:
            while True:
                self.block()
        except StopIteration:
            return True
        except requests.exceptions.ConnectionError:
            return False

    def close(self) -> None:
        self.response.close()


def parse_block(block: str) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for line in block.splitlines():
        if line.startswith(":"):
            fields.setdefault("comments", []).append(line[1:].strip())
            continue
        name, _, value = line.partition(":")
        fields[name] = json.loads(value) if name == "data" else value.strip()
    return fields


@pytest.fixture
def realtime_project(transactional_db: None) -> Project:
    return ProjectFactory(name="Realtime", enable_realtime_updates=True)


@pytest.fixture
def realtime_environment(realtime_project: Project) -> Environment:
    return EnvironmentFactory(project=realtime_project, name="Production")


@pytest.fixture
def streams(db: None) -> Iterator[RunningStreams]:
    """A stream process; tests that write data it must see also ask for ``transactional_db``."""
    with stream_process() as running:
        yield running
