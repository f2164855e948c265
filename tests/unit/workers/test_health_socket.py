"""The worker endpoint's listening socket: TCP, so that asyncio sets TCP_NODELAY on every
connection it accepts (it does so only for IPPROTO_TCP sockets). Without it, each answer on a
keep-alive connection waits for the client's delayed ACK (about 40 ms on Linux)."""

from __future__ import annotations

import asyncio
import socket

from luneo.workers.health import bind


def test_the_listening_socket_is_tcp() -> None:
    sock = bind("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP
    finally:
        sock.close()


def test_connections_accepted_on_it_have_nodelay() -> None:
    sock = bind("127.0.0.1", 0)
    accepted: list[int] = []

    async def main() -> None:
        def on_connect(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            raw = writer.get_extra_info("socket")
            accepted.append(raw.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(on_connect, sock=sock)
        async with server:
            _, writer = await asyncio.open_connection(*sock.getsockname()[:2])
            while not accepted:
                await asyncio.sleep(0.01)
            writer.close()

    asyncio.run(main())
    assert accepted[0] != 0


def test_it_accepts_connections_as_soon_as_it_is_bound() -> None:
    """The runner logs its port, and tests and probes connect, before uvicorn serves the socket."""
    sock = bind("127.0.0.1", 0)
    try:
        with socket.create_connection(sock.getsockname()[:2], timeout=5):
            pass  # refused (ECONNREFUSED) if the socket were not listening yet
    finally:
        sock.close()
