"""Delivery against real loopback receivers (no database): what arrives, what comes back."""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import ssl
import subprocess
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import httpx
import pytest
from pytest_httpserver import HTTPServer
from standardwebhooks import Webhook

from luneo.workers.webhooks import signing
from luneo.workers.webhooks.sender import MAX_BODY, DeliveryError, Sender, parse_retry_after
from luneo.workers.webhooks.ssrf import Target, vet

BODY = json.dumps({"type": "order.created", "data": {"id": "b1c2"}}, separators=(",", ":")).encode()


def resolving_to(*addresses: str):
    def resolve(host: str, port: int) -> list[str]:
        return list(addresses)

    return resolve


@pytest.fixture(scope="module")
def http_server() -> Iterator[HTTPServer]:
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def receiver(http_server: HTTPServer) -> Iterator[HTTPServer]:
    yield http_server
    http_server.clear()


@pytest.fixture
async def sender() -> AsyncIterator[Sender]:
    async with Sender() as s:
        yield s


async def loopback(url: str) -> Target:
    return await vet(url, allow_http_loopback=True)


async def test_body_and_headers_arrive_as_signed(receiver: HTTPServer, sender: Sender) -> None:
    receiver.expect_request("/hook", method="POST").respond_with_data("thanks", status=200)
    secret = signing.new_secret()
    sent = signing.headers("msg_42", int(datetime.now(UTC).timestamp()), BODY, [secret])

    response = await sender.post(await loopback(receiver.url_for("/hook?token=t")), BODY, sent)

    assert (response.status_code, response.body, response.truncated) == (200, "thanks", False)
    assert response.retry_after_seconds is None
    assert 0 < response.duration_ms < 5000
    [(request, _)] = receiver.log
    assert request.get_data() == BODY
    assert request.args["token"] == "t"
    for name, value in sent.items():
        assert request.headers[name] == value
    assert request.headers["Host"] == f"127.0.0.1:{receiver.port}"
    assert request.headers["Accept-Encoding"] == "identity"
    assert Webhook(secret).verify(request.get_data(), dict(request.headers))["data"] == {"id": "b1c2"}


@pytest.mark.parametrize("name", ["localhost", "receiver.invalid"])
async def test_a_name_is_sent_as_host_and_connected_to_its_vetted_address(
    receiver: HTTPServer, sender: Sender, name: str
) -> None:
    # receiver.invalid resolves nowhere: only the vetted address can have been dialled
    receiver.expect_request("/hook", method="POST").respond_with_data("ok")
    target = await vet(
        f"http://{name}:{receiver.port}/hook", allow_http_loopback=True, resolver=resolving_to("127.0.0.1")
    )
    response = await sender.post(target, BODY, {"content-type": "application/json"})
    assert response.status_code == 200
    [(request, _)] = receiver.log
    assert request.headers["Host"] == f"{name}:{receiver.port}"
    assert request.environ["SERVER_NAME"] == "127.0.0.1"


async def test_the_next_vetted_address_is_tried_when_one_refuses(
    receiver: HTTPServer, sender: Sender
) -> None:
    receiver.expect_request("/hook", method="POST").respond_with_data("ok")
    # nothing listens on 127.0.0.2 (the receiver is bound to 127.0.0.1 only)
    target = await vet(
        f"http://receiver.invalid:{receiver.port}/hook",
        allow_http_loopback=True,
        resolver=resolving_to("127.0.0.2", "127.0.0.1"),
    )
    assert (await sender.post(target, BODY, {})).status_code == 200
    assert len(receiver.log) == 1


async def test_a_cookie_a_receiver_sets_is_never_sent_back(receiver: HTTPServer, sender: Sender) -> None:
    # one customer's receiver must not hand state to the next delivery to that host (another
    # customer's, on a shared host such as an automation platform)
    receiver.expect_request("/hook").respond_with_data("ok", headers={"Set-Cookie": "session=abc; Path=/"})
    target = await loopback(receiver.url_for("/hook"))
    for _ in range(2):
        assert (await sender.post(target, BODY, {})).status_code == 200
    assert [request.headers.get("Cookie") for request, _ in receiver.log] == [None, None]


async def test_a_redirect_is_an_answer_not_followed(receiver: HTTPServer, sender: Sender) -> None:
    receiver.expect_request("/hook").respond_with_data(
        "moved", status=302, headers={"Location": receiver.url_for("/elsewhere")}
    )
    receiver.expect_request("/elsewhere").respond_with_data("followed")
    response = await sender.post(await loopback(receiver.url_for("/hook")), BODY, {})
    assert (response.status_code, response.body) == (302, "moved")
    assert [r.path for r, _ in receiver.log] == ["/hook"]


@pytest.mark.parametrize("status", [429, 503])
async def test_retry_after_in_seconds(receiver: HTTPServer, sender: Sender, status: int) -> None:
    receiver.expect_request("/hook").respond_with_data(
        "slow down", status=status, headers={"Retry-After": "120"}
    )
    response = await sender.post(await loopback(receiver.url_for("/hook")), BODY, {})
    assert (response.status_code, response.retry_after_seconds) == (status, 120.0)


@pytest.mark.parametrize("status", [429, 503])
async def test_retry_after_as_an_http_date(receiver: HTTPServer, sender: Sender, status: int) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=90), usegmt=True)
    receiver.expect_request("/hook").respond_with_data("later", status=status, headers={"Retry-After": when})
    response = await sender.post(await loopback(receiver.url_for("/hook")), BODY, {})
    assert response.retry_after_seconds is not None
    assert 80 <= response.retry_after_seconds <= 90


async def test_retry_after_is_ignored_on_other_statuses(receiver: HTTPServer, sender: Sender) -> None:
    receiver.expect_request("/hook").respond_with_data("no", status=500, headers={"Retry-After": "5"})
    response = await sender.post(await loopback(receiver.url_for("/hook")), BODY, {})
    assert (response.status_code, response.retry_after_seconds) == (500, None)


def test_parse_retry_after_forms() -> None:
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("0", now=now) == 0.0
    assert parse_retry_after(" 30 ", now=now) == 30.0
    assert parse_retry_after("Thu, 01 Jan 2026 12:01:00 GMT", now=now) == 60.0
    assert parse_retry_after("Thu, 01 Jan 2026 11:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("-5", now=now) is None
    assert parse_retry_after("1.5", now=now) is None
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after(None, now=now) is None


async def test_a_large_body_is_read_only_up_to_the_cap(receiver: HTTPServer, sender: Sender) -> None:
    big = "é" * (MAX_BODY * 4)  # 2 bytes each: the cut may fall inside a character
    receiver.expect_request("/hook").respond_with_data(big, status=500)
    response = await sender.post(await loopback(receiver.url_for("/hook")), BODY, {})
    assert response.truncated
    assert len(response.body.encode()) <= MAX_BODY + 3
    assert response.body.startswith("é" * 1000)
    assert response.status_code == 500


async def test_undecodable_bytes_are_replaced(receiver: HTTPServer, sender: Sender) -> None:
    receiver.expect_request("/hook").respond_with_data(
        b"ok \xff\xfe", content_type="application/octet-stream"
    )
    response = await sender.post(await loopback(receiver.url_for("/hook")), BODY, {})
    assert response.body == "ok \ufffd\ufffd"


async def test_a_receiver_that_never_answers_times_out() -> None:
    finished = asyncio.Event()

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # until the sender gives up and closes
        writer.close()
        await writer.wait_closed()
        finished.set()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server, Sender(read_timeout=0.3) as sender:
        target = await loopback(f"http://127.0.0.1:{port}/hook?token=s3cr3t")
        with pytest.raises(DeliveryError) as caught:
            await sender.post(target, BODY, {"webhook-signature": "v1,c2lnbmF0dXJl"})
        await asyncio.wait_for(finished.wait(), 5)
    assert caught.value.kind == "timeout"
    assert str(caught.value).startswith(f"http://127.0.0.1:{port}: timeout error")
    assert "s3cr3t" not in str(caught.value)
    assert "c2lnbmF0dXJl" not in str(caught.value)


async def test_a_closed_port_is_a_connect_error(sender: Sender) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(DeliveryError) as caught:
        await sender.post(await loopback(f"http://127.0.0.1:{port}/hook"), BODY, {})
    assert caught.value.kind == "connect"


async def test_a_target_is_only_dialled_for_its_own_host(receiver: HTTPServer, sender: Sender) -> None:
    # a Target whose URL names another host than the one vetted: the pool finds no address
    target = Target(
        url=receiver.url_for("/hook"),
        scheme="http",
        host="elsewhere.invalid",
        port=receiver.port,
        addresses=(),
    )
    with pytest.raises(DeliveryError) as caught:
        await sender.post(target, BODY, {})
    assert caught.value.kind == "connect"
    assert receiver.log == []


# --- TLS: the certificate is checked for the URL's name while the connection goes to the IP ---


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is needed to make a test certificate")
    directory = tmp_path_factory.mktemp("tls")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-days", "2", "-subj", "/CN=receiver.test", "-addext", "subjectAltName=DNS:receiver.test",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


class KeepAliveReceiver:
    """A minimal HTTP/1.1 server that keeps connections open (werkzeug's closes every one):
    it answers each request with the number of the connection it came on. Answers wait for
    `gate` while it is clear; `hang_up` closes each connection after its first answer (without
    saying so in a header, as a server whose keep-alive timeout is shorter than the client's)."""

    def __init__(self, *, hang_up: bool = False) -> None:
        self.hosts: list[tuple[int, str]] = []
        self.connections = 0
        self.closed = 0
        self.gate = asyncio.Event()
        self.gate.set()
        self.waiting = 0
        self.hang_up = hang_up
        self.tasks: set[asyncio.Task[None]] = set()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.tasks.add(task)
        self.connections += 1
        number = self.connections
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                lines = head.decode("latin-1").split("\r\n")
                fields = {k.lower(): v for k, v in (line.split(": ", 1) for line in lines[1:] if line)}
                await reader.readexactly(int(fields.get("content-length", "0")))
                self.hosts.append((number, fields["host"]))
                self.waiting += 1
                await self.gate.wait()
                self.waiting -= 1
                answer = str(number).encode()
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s" % (len(answer), answer))
                await writer.drain()
                if self.hang_up:
                    break
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            pass
        finally:
            self.closed += 1
            writer.close()


@pytest.fixture
async def keepalive_receiver() -> AsyncIterator[tuple[KeepAliveReceiver, Target]]:
    receiver = KeepAliveReceiver()
    server = await asyncio.start_server(receiver.handle, "127.0.0.1", 0)
    async with server:
        yield receiver, await loopback(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/hook")
    for task in receiver.tasks:
        task.cancel()
    await asyncio.gather(*receiver.tasks, return_exceptions=True)


async def eventually(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(5):
        while not condition():
            await asyncio.sleep(0.01)


# --- the connection pool ---------------------------------------------------------------------


async def test_concurrent_posts_keep_their_connections_alive(
    keepalive_receiver: tuple[KeepAliveReceiver, Target], sender: Sender
) -> None:
    receiver, target = keepalive_receiver
    receiver.gate.clear()  # the first wave all in flight at once: 16 connections
    wave = [asyncio.create_task(sender.post(target, BODY, {})) for _ in range(16)]
    await eventually(lambda: receiver.waiting == 16)
    receiver.gate.set()
    first = {int((await post).body) for post in wave}
    assert first == set(range(1, 17))
    for _ in range(3):  # then waves of 16 reuse them: no connection opened, none closed
        answers = await asyncio.gather(*(sender.post(target, BODY, {}) for _ in range(16)))
        assert {int(a.body) for a in answers} <= first
    assert (receiver.connections, receiver.closed) == (16, 0)


async def test_the_connection_limit_holds_posts_until_the_pool_timeout(
    keepalive_receiver: tuple[KeepAliveReceiver, Target],
) -> None:
    receiver, target = keepalive_receiver
    receiver.gate.clear()
    async with Sender(max_connections=2, pool_timeout=0.3) as sender:
        held = [asyncio.create_task(sender.post(target, BODY, {})) for _ in range(2)]
        await eventually(lambda: receiver.waiting == 2)
        with pytest.raises(DeliveryError) as caught:
            await sender.post(target, BODY, {})
        assert caught.value.kind == "timeout"
        waiting = asyncio.create_task(sender.post(target, BODY, {}))  # served once one is free
        await asyncio.sleep(0.05)
        receiver.gate.set()
        answers = [await post for post in (*held, waiting)]
    assert {a.body for a in answers} <= {"1", "2"}  # the waiting post took a freed connection
    assert receiver.connections == 2


async def test_idle_connections_beyond_the_keepalive_limit_are_closed(
    keepalive_receiver: tuple[KeepAliveReceiver, Target],
) -> None:
    receiver, target = keepalive_receiver
    receiver.gate.clear()
    async with Sender(max_keepalive_connections=1) as sender:
        wave = [asyncio.create_task(sender.post(target, BODY, {})) for _ in range(3)]
        await eventually(lambda: receiver.waiting == 3)
        receiver.gate.set()
        await asyncio.gather(*wave)
        await eventually(lambda: receiver.closed == 2)  # one kept
        assert (await sender.post(target, BODY, {})).status_code == 200
        assert receiver.connections == 3
    await eventually(lambda: receiver.closed == 3)  # closing the sender closes the idle one


async def test_at_the_limit_an_idle_connection_to_another_host_gives_its_place_up(
    keepalive_receiver: tuple[KeepAliveReceiver, Target],
) -> None:
    receiver, target = keepalive_receiver
    other = KeepAliveReceiver()
    server = await asyncio.start_server(other.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server, Sender(max_connections=1, pool_timeout=0.5) as sender:
        await sender.post(target, BODY, {})
        elsewhere = await vet(
            f"http://elsewhere.test:{port}/hook", allow_http_loopback=True, resolver=resolving_to("127.0.0.1")
        )
        assert (await sender.post(elsewhere, BODY, {})).body == "1"
        await eventually(lambda: receiver.closed == 1)
        assert (await sender.post(target, BODY, {})).body == "2"  # and back: a new one again
        await eventually(lambda: other.closed == 1)


async def test_a_connection_idle_past_its_expiry_is_closed_by_the_next_post_to_any_host(
    keepalive_receiver: tuple[KeepAliveReceiver, Target],
) -> None:
    receiver, target = keepalive_receiver
    other = KeepAliveReceiver()
    server = await asyncio.start_server(other.handle, "127.0.0.1", 0)
    async with server, Sender(keepalive_expiry=0.2) as sender:
        await sender.post(target, BODY, {})
        await asyncio.sleep(0.3)
        elsewhere = await vet(
            f"http://elsewhere.test:{server.sockets[0].getsockname()[1]}/hook",
            allow_http_loopback=True,
            resolver=resolving_to("127.0.0.1"),
        )
        await sender.post(elsewhere, BODY, {})
        await eventually(lambda: receiver.closed == 1)
        assert other.closed == 0


async def test_a_connection_the_receiver_closed_while_idle_is_not_reused(sender: Sender) -> None:
    receiver = KeepAliveReceiver(hang_up=True)
    server = await asyncio.start_server(receiver.handle, "127.0.0.1", 0)
    async with server:
        target = await loopback(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/hook")
        for expected in ("1", "2", "3"):
            await eventually(lambda n=int(expected): receiver.closed == n - 1)
            assert (await sender.post(target, BODY, {})).body == expected


@pytest.fixture
async def tls_receiver(certificate: tuple[Path, Path]) -> AsyncIterator[tuple[KeepAliveReceiver, int]]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    receiver = KeepAliveReceiver()
    server = await asyncio.start_server(receiver.handle, "127.0.0.1", 0, ssl=context)
    async with server:
        yield receiver, server.sockets[0].getsockname()[1]
    for task in receiver.tasks:
        task.cancel()
    await asyncio.gather(*receiver.tasks, return_exceptions=True)


@pytest.fixture
async def tls_sender(certificate: tuple[Path, Path]) -> AsyncIterator[Sender]:
    async with Sender(ssl_context=ssl.create_default_context(cafile=certificate[0])) as s:
        yield s


async def test_tls_is_verified_for_the_name_and_never_reused_for_another(
    tls_receiver: tuple[KeepAliveReceiver, int], tls_sender: Sender
) -> None:
    receiver, port = tls_receiver
    on_loopback = resolving_to("127.0.0.1")
    good = await vet(f"https://receiver.test:{port}/hook", allow_http_loopback=True, resolver=on_loopback)
    other = await vet(f"https://other.test:{port}/hook", allow_http_loopback=True, resolver=on_loopback)

    first = await tls_sender.post(good, BODY, {})
    second = await tls_sender.post(good, BODY, {})
    assert (first.status_code, first.body, second.body) == (200, "1", "1")  # one kept-alive connection

    # same IP and port, a verified connection idle in the pool: still a new handshake, which fails
    with pytest.raises(DeliveryError) as caught:
        await tls_sender.post(other, BODY, {})
    assert caught.value.kind == "tls"
    assert "other.test" in str(caught.value)
    assert receiver.hosts == [(1, f"receiver.test:{port}")] * 2


async def test_an_untrusted_certificate_is_a_tls_error(
    tls_receiver: tuple[KeepAliveReceiver, int], sender: Sender
) -> None:
    receiver, port = tls_receiver
    target = await vet(
        f"https://receiver.test:{port}/hook",
        allow_http_loopback=True,
        resolver=resolving_to("127.0.0.1"),
    )
    with pytest.raises(DeliveryError) as caught:
        await sender.post(target, BODY, {})
    assert caught.value.kind == "tls"
    assert "certificate verify failed" in str(caught.value)
    assert receiver.hosts == []


async def test_proxies_from_the_environment_are_ignored(
    receiver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")  # the discard port: nothing answers
    receiver.expect_request("/hook").respond_with_data("direct")
    async with Sender() as sender:
        response = await sender.post(await loopback(receiver.url_for("/hook")), BODY, {})
    assert (response.status_code, response.body) == (200, "direct")


async def test_the_default_timeouts_and_limits() -> None:
    async with Sender() as sender:
        assert sender.timeout == httpx.Timeout(connect=5, read=15, write=15, pool=5)
        assert sender.limits == httpx.Limits(max_connections=100, max_keepalive_connections=20)
