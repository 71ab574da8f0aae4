"""Real HTTP servers on 127.0.0.1 for tests: webhook receivers and stand-ins for third-party APIs.

``HTTPReceiver`` records every request (method, path, headers, body) and answers from a
script of responses, so a test can make the first attempt fail with a 500 and the next
succeed, or play InfluxDB's write endpoint, SendGrid's or SES's send endpoints, or an
OAuth provider's token and user endpoints.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Reply:
    status: int = 200
    body: bytes | str | dict | list = b""
    headers: dict[str, str] = field(default_factory=dict)


Responder = Callable[[ReceivedRequest], Reply]


class HTTPReceiver:
    """An HTTP server in a thread. ``replies`` are used in order, then ``default`` for the rest."""

    def __init__(self, replies: list[Reply] | None = None, default: Reply | Responder | None = None) -> None:
        self.requests: list[ReceivedRequest] = []
        self.replies = list(replies or [])
        self.default = default or Reply(200, b"ok")
        self._arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = ReceivedRequest(
                    self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, self.rfile.read(length)
                )
                # Recorded before answering, so a caller that has its answer sees the request.
                with receiver._arrived:
                    receiver.requests.append(request)
                    receiver._arrived.notify_all()
                reply = receiver._reply_for(request)
                body = reply.body
                headers = dict(reply.headers)
                if isinstance(body, dict | list):
                    body = json.dumps(body).encode()
                    headers.setdefault("Content-Type", "application/json")
                elif isinstance(body, str):
                    body = body.encode()
                self.send_response(reply.status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle  # noqa: N815 (http.server's names)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _reply_for(self, request: ReceivedRequest) -> Reply:
        if self.replies:
            return self.replies.pop(0)
        return self.default(request) if callable(self.default) else self.default

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedRequest]:
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.requests) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"expected {count} requests, got {len(self.requests)}: {self.requests}")
                self._arrived.wait(remaining)
        return list(self.requests)

    def __enter__(self) -> HTTPReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
