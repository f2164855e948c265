"""A webhook receiver on loopback for tests that run workers as real processes.

    with Receiver(delay=0.01) as receiver:
        ...  # point an endpoint at receiver.url
        receiver.wait_for(lambda r: len(r.received) >= 100)
        ids = receiver.ids()

A threaded stdlib HTTP/1.1 server with keep-alive (one thread per connection, no Nagle delay),
so that the receiver is never what slows the workers down (about 0.5 ms of CPU a request). Each request is recorded as it arrives
(its `webhook-id` header and body) before it is answered; `status` is the answer. `delay` adds a
pause before each answer; `gate` (a threading.Event, open unless `hold=True`) holds every
request that arrives while it is clear until it is set again (`held` counts them), so a test can
keep deliveries in flight as long as it likes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self


@dataclass(frozen=True)
class Received:
    webhook_id: str
    body: bytes
    at: float
    """`time.time()` when the request arrived (comparable with the database's now())."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a held request must not keep the test (or close()) waiting
    request_queue_size = 128
    receiver: Receiver

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away mid-request (a killed worker) is expected here, not an error."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the workers reuse their connections
    disable_nagle_algorithm = True
    server: _Server

    def do_POST(self) -> None:
        receiver = self.server.receiver
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        receiver._record(Received(self.headers.get("webhook-id", ""), body, time.time()))
        if not receiver.gate.is_set():
            with receiver._lock:
                receiver.held += 1
                receiver._lock.notify_all()
            receiver.gate.wait()
            with receiver._lock:
                receiver.held -= 1
        if receiver.delay:
            time.sleep(receiver.delay)
        status = receiver.status
        self.send_response(status)
        if status >= 200 and status not in (204, 304):
            self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: thousands of requests."""


class Receiver:
    """The server runs from `__enter__` to `__exit__` (module doc)."""

    def __init__(self, *, status: int = 204, delay: float = 0.0, hold: bool = False) -> None:
        self.status = status
        self.delay = delay
        self.gate = threading.Event()
        if not hold:
            self.gate.set()
        self.received: list[Received] = []
        self.held = 0
        """Requests waiting at the closed gate now."""
        self._lock = threading.Condition()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.receiver = self
        self._thread = threading.Thread(target=self._server.serve_forever, name="receiver", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hooks"

    def _record(self, request: Received) -> None:
        with self._lock:
            self.received.append(request)
            self._lock.notify_all()

    def count(self) -> int:
        with self._lock:
            return len(self.received)

    def snapshot(self) -> list[Received]:
        with self._lock:
            return list(self.received)

    def ids(self) -> list[str]:
        """The webhook-id of every request so far, in arrival order (repeats included)."""
        return [r.webhook_id for r in self.snapshot()]

    def wait_for(self, condition: Callable[[Receiver], object], timeout: float = 30.0) -> None:
        """Until `condition(self)` holds (it runs under the lock, so `received` and `held` are
        seen together); AssertionError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while not condition(self):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"the receiver got {len(self.received)} requests; still waiting")
                self._lock.wait(min(left, 0.1))

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.gate.set()  # held requests answer (to whoever still listens) and their threads end
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
