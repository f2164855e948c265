"""The health and metrics endpoint: a Starlette app served by uvicorn inside the runner's loop.

`GET /health`: 200 with the process's state as JSON, 503 when the LISTEN connection is down, the
last database round-trip failed or the process is stopping. `GET /metrics`: the Prometheus text
exposition of the process's registry.

Signals: `uvicorn.Server.serve()` wraps `_serve()` in `capture_signals()`, which replaces the
SIGINT/SIGTERM handlers with `signal.signal` (its own `handle_exit`) for as long as the server
runs, then restores them and re-raises the signals it caught. The runner owns SIGTERM/SIGINT (set
with `loop.add_signal_handler`), so `EmbeddedServer` makes `capture_signals` a no-op: uvicorn
never sees a signal and stops only when the runner sets `should_exit`.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from luneo.core.errors import ConfigError
from luneo.workers.metrics import CONTENT_TYPE, Metrics


def make_app(
    health: Callable[[], tuple[dict[str, Any], bool]], metrics: Metrics, extra: Sequence[BaseRoute] = ()
) -> Starlette:
    """`health()` returns the JSON body and whether the process is healthy; `extra`: the routes
    the workers serve (`Worker.routes`: unsubscribe links, providers' event webhooks)."""

    async def get_health(_: Request) -> Response:
        body, ok = health()
        return JSONResponse(body, status_code=200 if ok else 503, headers={"cache-control": "no-store"})

    async def get_metrics(_: Request) -> Response:
        return Response(metrics.render(), media_type=CONTENT_TYPE)

    routes = [
        Route("/health", get_health, methods=["GET"]),
        Route("/metrics", get_metrics, methods=["GET"]),
        *extra,
    ]
    return Starlette(routes=routes)


class EmbeddedServer(uvicorn.Server):
    """A uvicorn server that leaves the process's signal handlers alone (see the module doc)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port (port 0: any free port); a clear error when taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto given: asyncio sets TCP_NODELAY on accepted connections only for IPPROTO_TCP sockets,
    # and without it a keep-alive client waits ~40 ms (Nagle and delayed ACKs) for every answer
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConfigError(
            f"cannot serve health and metrics on {host}:{port}: {exc.strerror or exc} "
            "(set LUNEO_WORKER_PORT or --port; 0 picks a free port)"
        ) from None
    # listening from here on: the start line (and `Runner.started`) come before uvicorn gets to
    # serve, and a client connecting in between waits in the backlog instead of being refused
    sock.listen(2048)
    sock.set_inheritable(False)
    return sock


def server(app: Starlette, sock: socket.socket) -> EmbeddedServer:
    host, port = sock.getsockname()[:2]
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        lifespan="off",
        access_log=False,
        server_header=False,
        timeout_graceful_shutdown=2,
    )
    return EmbeddedServer(config)
