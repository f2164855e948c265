"""The loopback webhook receiver of bench.webhooks: a standalone script (asyncio and httptools,
run with the bench's own interpreter) that answers every POST `204 No Content` at once and
notes when it arrived.

    python receiver.py            prints `port=<n>` on stdout once listening on 127.0.0.1

`GET /received` answers the requests received since the previous call, as JSON
`[[<payload id>, <monotonic seconds>], ...]`, and forgets them. The arrival time is
`time.monotonic()`, which on Linux is one clock for every process of the machine, so it compares
with the time a producer noted after its commit. The body is parsed only when asked for, to keep
the receiver's own time per request small: on a 2-core machine it shares the CPU with Postgres
and the worker under test.
"""

from __future__ import annotations

import asyncio
import json
import time

import httptools

NO_CONTENT = b"HTTP/1.1 204 No Content\r\n\r\n"

received: list[tuple[bytes, float]] = []


class Connection(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.parser = httptools.HttpRequestParser(self)
        self.url = b""
        self.body: list[bytes] = []

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self.transport.close()

    def on_message_begin(self) -> None:
        self.url = b""
        self.body = []

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        if self.parser.get_method() == b"POST":
            received.append((b"".join(self.body), time.monotonic()))
            self.transport.write(NO_CONTENT)
        elif self.url == b"/received":
            answer = json.dumps([[json.loads(body)["id"], at] for body, at in received]).encode()
            received.clear()
            self.transport.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%s"
                % (len(answer), answer)
            )
        else:
            self.transport.write(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n")
        if not self.parser.should_keep_alive():
            self.transport.close()


async def main() -> None:
    server = await asyncio.get_running_loop().create_server(Connection, "127.0.0.1", 0, backlog=1024)
    print(f"port={server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
