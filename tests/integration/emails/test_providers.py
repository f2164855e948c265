"""The email providers against real servers on loopback: an aiosmtpd SMTP server for SMTP, and
pytest-httpserver standing in for Brevo's and SendGrid's APIs (the exact request each sends, and
how each answer maps to a transient or a permanent failure). No database."""

from __future__ import annotations

import asyncio
import io
import ipaddress
import json
import socket
import ssl
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from luneo.core.settings import EmailSettings
from luneo.workers.emails.message import Address, EmailMessage
from luneo.workers.emails.providers import (
    PermanentSendError,
    TransientSendError,
    make_client,
    make_provider,
    send_test,
)
from luneo.workers.emails.providers.brevo import BrevoProvider, brevo_idempotency_key
from luneo.workers.emails.providers.console import ConsoleProvider
from luneo.workers.emails.providers.sendgrid import SendGridProvider
from luneo.workers.emails.providers.smtp import SmtpProvider
from tests.support.smtp import Mailbox, free_port

UNSUBSCRIBE_URL = "https://app.luneo.example/emails/unsubscribe?token=" + "t0k3n" * 20  # longer than a line
MESSAGE = EmailMessage(
    sender=Address("no-reply@luneo.example", "Luneo"),
    to=Address("ada@example.org", "Ada Lovelace"),
    subject="Réinitialisez votre mot de passe — lien valable 1 heure",
    html="<p>Bonjour Ada,</p><p><a href='https://app.luneo.example/reset'>Réinitialiser</a></p>",
    text="Bonjour Ada,\n\nRéinitialiser : https://app.luneo.example/reset\n",
    message_id="<0f8c1a52-6b0e-4c55-9f5e-3d0c2b7e9a41@luneo.example>",
    idempotency_key="password-reset/7d6f",
    headers={
        "List-Unsubscribe": f"<{UNSUBSCRIBE_URL}>, <mailto:unsubscribe@luneo.example>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    },
    reply_to=Address("support@luneo.example", "Support Luneo"),
    tags=("password_reset",),
)


@pytest.fixture(autouse=True)
async def settle() -> AsyncIterator[None]:
    """After each test, a few turns of its event loop before pytest-asyncio closes it: closing a
    TLS connection (SMTP's QUIT, or a failed AUTH) takes some, and a connection left half-closed
    is closed by the garbage collector later, with a ResourceWarning, in whichever test runs."""
    yield
    for _ in range(10):
        await asyncio.sleep(0.01)


# --- SMTP -----------------------------------------------------------------------------------


@pytest.fixture
def mailbox() -> Mailbox:
    return Mailbox()


def start(controller: Controller) -> Iterator[Controller]:
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()


@pytest.fixture
def smtp_server(mailbox: Mailbox) -> Iterator[Controller]:
    yield from start(Controller(mailbox, hostname="127.0.0.1", port=free_port()))


def plain(server: Controller, **options: Any) -> SmtpProvider:
    return SmtpProvider(host="127.0.0.1", port=server.port, tls="none", timeout=5, **options)


async def test_smtp_sends_a_multipart_alternative_with_every_header(
    smtp_server: Controller, mailbox: Mailbox
) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    result = await plain(smtp_server).send(MESSAGE)

    assert result.provider_message_id is None
    [received] = mailbox.received
    assert (received.mail_from, received.rcpt_tos) == ("no-reply@luneo.example", ["ada@example.org"])
    assert max(received.content) < 128  # 7-bit clean: nothing relies on 8BITMIME
    parsed = received.parsed()
    assert parsed["Message-ID"] == MESSAGE.message_id
    assert parsed["Subject"] == MESSAGE.subject
    assert b"=?utf-8?" in received.content.split(b"\r\n\r\n", 1)[0]  # RFC 2047 on the wire
    assert parsed["From"] == "Luneo <no-reply@luneo.example>"
    assert parsed["To"] == "Ada Lovelace <ada@example.org>"
    assert parsed["Reply-To"] == "Support Luneo <support@luneo.example>"
    assert before <= parsed["Date"].datetime <= datetime.now(UTC) + timedelta(seconds=1)
    assert parsed.get_content_type() == "multipart/alternative"
    text, html = parsed.iter_parts()
    assert (text.get_content_type(), html.get_content_type()) == ("text/plain", "text/html")
    assert text.get_content().replace("\r\n", "\n") == MESSAGE.text
    assert html.get_content().replace("\r\n", "\n").rstrip("\n") == MESSAGE.html


async def test_smtp_writes_the_unsubscribe_headers_verbatim(
    smtp_server: Controller, mailbox: Mailbox
) -> None:
    """A long List-Unsubscribe stays one raw line: folded into encoded words it would no longer
    be a URL to the mailbox providers that act on it (RFC 2369, RFC 8058)."""
    await plain(smtp_server).send(MESSAGE)
    [received] = mailbox.received
    head = received.content.split(b"\r\n\r\n", 1)[0].decode()
    lines = head.split("\r\n")
    assert f"List-Unsubscribe: <{UNSUBSCRIBE_URL}>, <mailto:unsubscribe@luneo.example>" in lines
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in lines


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        ("451 4.3.0 Temporary local problem, try again later", TransientSendError),
        ("452 4.3.1 Insufficient system storage", TransientSendError),
        ("554 5.7.1 Message rejected as spam", PermanentSendError),
    ],
)
async def test_smtp_replies_to_data_map_by_their_class(
    smtp_server: Controller, mailbox: Mailbox, reply: str, error: type[Exception]
) -> None:
    mailbox.data_replies = [reply]
    with pytest.raises(error) as raised:
        await plain(smtp_server).send(MESSAGE)
    assert reply in str(raised.value)
    assert mailbox.received == []


async def test_smtp_a_refused_recipient_is_permanent(smtp_server: Controller, mailbox: Mailbox) -> None:
    mailbox.rcpt_reply = "550 5.1.1 <ada@example.org>: Recipient address rejected: User unknown"
    with pytest.raises(PermanentSendError, match=r"ada@example.org refused: 550 5\.1\.1"):
        await plain(smtp_server).send(MESSAGE)


async def test_smtp_a_recipient_deferred_is_transient(smtp_server: Controller, mailbox: Mailbox) -> None:
    mailbox.rcpt_reply = "450 4.2.1 Mailbox busy"
    with pytest.raises(TransientSendError, match="450"):
        await plain(smtp_server).send(MESSAGE)


async def test_smtp_a_transient_failure_then_success_stores_one_message(
    smtp_server: Controller, mailbox: Mailbox
) -> None:
    provider = plain(smtp_server)
    mailbox.data_replies = ["451 4.7.1 Greylisted, come back later"]
    with pytest.raises(TransientSendError):
        await provider.send(MESSAGE)
    await provider.send(MESSAGE)
    [received] = mailbox.received
    assert received.parsed()["Message-ID"] == MESSAGE.message_id  # the retry is the same message


async def test_smtp_nothing_listening_is_transient() -> None:
    provider = SmtpProvider(host="127.0.0.1", port=free_port(), tls="none", timeout=5)
    with pytest.raises(TransientSendError, match=f"smtp 127.0.0.1:{provider.port}"):
        await provider.send(MESSAGE)


async def test_smtp_a_server_that_never_greets_times_out_transiently() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # the TCP handshake completes in the backlog; no greeting ever comes
        provider = SmtpProvider(host="127.0.0.1", port=silent.getsockname()[1], tls="none", timeout=0.3)
        started = time.monotonic()
        with pytest.raises(TransientSendError, match="Timeout"):
            await provider.send(MESSAGE)
        assert time.monotonic() - started < 5


async def test_smtp_starttls_required_but_not_offered_is_transient(smtp_server: Controller) -> None:
    provider = SmtpProvider(host="127.0.0.1", port=smtp_server.port, tls="starttls", timeout=5)
    with pytest.raises(TransientSendError, match="STARTTLS"):
        await provider.send(MESSAGE)


# --- SMTP over TLS, with a certificate made here ----------------------------------------------


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        return context

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cert))


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    """A self-signed certificate for 127.0.0.1, trusted by the clients the tests make."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return Certificate(folder / "cert.pem", folder / "key.pem")


def check_login(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and auth_data == (b"luneo", b"s3cret")
    return AuthResult(success=ok, handled=False)  # not handled: aiosmtpd answers 535 itself


@pytest.fixture
def starttls_server(mailbox: Mailbox, certificate: Certificate) -> Iterator[Controller]:
    yield from start(
        Controller(
            mailbox,
            hostname="127.0.0.1",
            port=free_port(),
            tls_context=certificate.server_context(),
            require_starttls=True,
            authenticator=check_login,
            auth_required=True,
        )
    )


@pytest.fixture
def implicit_tls_server(mailbox: Mailbox, certificate: Certificate) -> Iterator[Controller]:
    yield from start(
        Controller(
            mailbox,
            hostname="127.0.0.1",
            port=free_port(),
            ssl_context=certificate.server_context(),
            authenticator=check_login,
            # aiosmtpd only knows of TLS it upgraded to itself (STARTTLS): on a connection that is
            # TLS from the start, AUTH is offered only when not "requiring TLS"
            auth_require_tls=False,
        )
    )


@pytest.mark.parametrize(
    ("mode", "server"), [("starttls", "starttls_server"), ("tls", "implicit_tls_server")]
)
async def test_smtp_over_tls_with_login(
    request: pytest.FixtureRequest, certificate: Certificate, mailbox: Mailbox, mode: str, server: str
) -> None:
    controller: Controller = request.getfixturevalue(server)
    provider = SmtpProvider(
        host="127.0.0.1",
        port=controller.port,
        username="luneo",
        password="s3cret",
        tls=mode,
        timeout=5,
        tls_context=certificate.client_context(),
    )
    await provider.send(MESSAGE)
    [received] = mailbox.received
    assert received.parsed()["Message-ID"] == MESSAGE.message_id


async def test_smtp_wrong_credentials_are_permanent(
    starttls_server: Controller, certificate: Certificate, mailbox: Mailbox
) -> None:
    provider = SmtpProvider(
        host="127.0.0.1",
        port=starttls_server.port,
        username="luneo",
        password="wrong",
        tls="starttls",
        timeout=5,
        tls_context=certificate.client_context(),
    )
    with pytest.raises(PermanentSendError, match="535") as raised:
        await provider.send(MESSAGE)
    assert "wrong" not in raised.value.detail
    assert "wrong" not in repr(provider)
    assert mailbox.received == []


async def test_smtp_an_untrusted_certificate_is_refused(
    starttls_server: Controller, mailbox: Mailbox
) -> None:
    """The default context verifies the server: a self-signed certificate does not pass."""
    provider = SmtpProvider(
        host="127.0.0.1",
        port=starttls_server.port,
        username="luneo",
        password="s3cret",
        tls="starttls",
        timeout=5,
    )
    with pytest.raises(TransientSendError, match="CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
        await provider.send(MESSAGE)
    assert mailbox.received == []


# --- Brevo and SendGrid over HTTP --------------------------------------------------------------


@pytest.fixture(scope="module")
def http_server() -> Iterator[HTTPServer]:
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.fixture
def api(http_server: HTTPServer) -> Iterator[HTTPServer]:
    yield http_server
    http_server.clear()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(5) as shared:
        yield shared


def brevo(api: HTTPServer, client: httpx.AsyncClient) -> BrevoProvider:
    return BrevoProvider(api_key="xkeysib-test-key", api_url=api.url_for("/").rstrip("/"), client=client)


def sendgrid(api: HTTPServer, client: httpx.AsyncClient) -> SendGridProvider:
    return SendGridProvider(api_key="SG.test-key", api_url=api.url_for("/"), client=client)


def only_request(api: HTTPServer) -> Request:
    [(request, _)] = api.log
    return request


async def test_brevo_request_is_exactly_what_brevo_documents(
    api: HTTPServer, client: httpx.AsyncClient
) -> None:
    api.expect_oneshot_request("/v3/smtp/email", method="POST").respond_with_json(
        {"messageId": "<202511221200.12345678901@smtp-relay.mailin.fr>"}, status=201
    )
    result = await brevo(api, client).send(MESSAGE)

    assert result.provider_message_id == "<202511221200.12345678901@smtp-relay.mailin.fr>"
    request = only_request(api)
    assert request.headers["api-key"] == "xkeysib-test-key"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Accept"] == "application/json"
    assert request.get_json() == {
        "sender": {"email": "no-reply@luneo.example", "name": "Luneo"},
        "to": [{"email": "ada@example.org", "name": "Ada Lovelace"}],
        "subject": MESSAGE.subject,
        "htmlContent": MESSAGE.html,
        "textContent": MESSAGE.text,
        "headers": {
            "List-Unsubscribe": f"<{UNSUBSCRIBE_URL}>, <mailto:unsubscribe@luneo.example>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "X-Mailin-custom": MESSAGE.message_id,
            "idempotencyKey": brevo_idempotency_key("password-reset/7d6f"),
        },
        "replyTo": {"email": "support@luneo.example", "name": "Support Luneo"},
        "tags": ["password_reset"],
    }


def test_brevo_idempotency_keys_are_uuids_and_stable() -> None:
    derived = brevo_idempotency_key("password-reset/7d6f")
    assert derived == brevo_idempotency_key("password-reset/7d6f")  # every retry: the same key
    assert derived != brevo_idempotency_key("password-reset/7d70")
    assert len(derived) == 36
    assert derived.count("-") == 4
    uuid_key = "3f2b8c1e-9a47-4d2e-8b6f-1c0d5e7a9b21"
    assert brevo_idempotency_key(uuid_key) == uuid_key  # a UUID goes as it is


async def test_sendgrid_request_is_exactly_what_sendgrid_documents(
    api: HTTPServer, client: httpx.AsyncClient
) -> None:
    api.expect_oneshot_request("/v3/mail/send", method="POST").respond_with_data(
        "", status=202, headers={"X-Message-Id": "W86EgYT6SQKk0lRflfLRsA"}
    )
    result = await sendgrid(api, client).send(MESSAGE)

    assert result.provider_message_id == "W86EgYT6SQKk0lRflfLRsA"
    request = only_request(api)
    assert request.headers["Authorization"] == "Bearer SG.test-key"
    assert request.headers["Content-Type"] == "application/json"
    assert request.get_json() == {
        "personalizations": [{"to": [{"email": "ada@example.org", "name": "Ada Lovelace"}]}],
        "from": {"email": "no-reply@luneo.example", "name": "Luneo"},
        "reply_to": {"email": "support@luneo.example", "name": "Support Luneo"},
        "subject": MESSAGE.subject,
        "content": [
            {"type": "text/plain", "value": MESSAGE.text},
            {"type": "text/html", "value": MESSAGE.html},
        ],
        "headers": {
            "Message-ID": MESSAGE.message_id,
            "List-Unsubscribe": f"<{UNSUBSCRIBE_URL}>, <mailto:unsubscribe@luneo.example>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
        "categories": ["password_reset"],
        "custom_args": {
            "luneo_message_id": MESSAGE.message_id,
            "luneo_idempotency_key": "password-reset/7d6f",
        },
    }


async def test_optional_fields_are_left_out(api: HTTPServer, client: httpx.AsyncClient) -> None:
    bare = replace(
        MESSAGE, sender=Address("no-reply@luneo.example"), reply_to=None, tags=(), headers={}, text=""
    )
    api.expect_oneshot_request("/v3/smtp/email").respond_with_json({"messageId": "<x@y>"}, status=201)
    api.expect_oneshot_request("/v3/mail/send").respond_with_data("", status=202)
    await brevo(api, client).send(bare)
    assert (await sendgrid(api, client).send(bare)).provider_message_id is None
    brevo_body, sendgrid_body = (request.get_json() for request, _ in api.log)
    assert brevo_body["sender"] == {"email": "no-reply@luneo.example"}
    assert not {"replyTo", "tags", "textContent"} & set(brevo_body)
    assert sendgrid_body["content"] == [{"type": "text/html", "value": MESSAGE.html}]
    assert not {"reply_to", "categories"} & set(sendgrid_body)


BREVO_ERRORS = {
    400: {"code": "invalid_parameter", "message": "email is not valid in to"},
    401: {"code": "unauthorized", "message": "Key not found"},
    429: {"code": "too_many_requests", "message": "The expected rate limit is exceeded."},
    500: {"code": "internal_error", "message": "Something went wrong"},
}
SENDGRID_ERRORS = {
    400: {
        "errors": [{"message": "Does not contain a valid address.", "field": "personalizations.0.to.0.email"}]
    },
    401: {"errors": [{"message": "The provided authorization grant is invalid, expired, or revoked"}]},
    429: {"errors": [{"message": "too many requests"}]},
    500: {"errors": [{"message": "internal error"}]},
}


@pytest.mark.parametrize("provider", ["brevo", "sendgrid"])
@pytest.mark.parametrize(
    ("status", "error", "said"),
    [
        (400, PermanentSendError, {"brevo": "invalid_parameter: email is not valid in to",
                                   "sendgrid": "personalizations.0.to.0.email: Does not contain a valid address."}),
        (401, PermanentSendError, {"brevo": "unauthorized: Key not found",
                                   "sendgrid": "The provided authorization grant is invalid"}),
        (429, TransientSendError, {"brevo": "too_many_requests", "sendgrid": "too many requests"}),
        (500, TransientSendError, {"brevo": "internal_error: Something went wrong", "sendgrid": "internal error"}),
    ],
)  # fmt: skip
async def test_http_answers_map_to_transient_or_permanent(
    api: HTTPServer,
    client: httpx.AsyncClient,
    provider: str,
    status: int,
    error: type[Exception],
    said: dict[str, str],
) -> None:
    path, body = (
        ("/v3/smtp/email", BREVO_ERRORS) if provider == "brevo" else ("/v3/mail/send", SENDGRID_ERRORS)
    )
    headers = {"Retry-After": "7"} if status == 429 else {}
    api.expect_oneshot_request(path, method="POST").respond_with_json(
        body[status], status=status, headers=headers
    )
    sender = brevo(api, client) if provider == "brevo" else sendgrid(api, client)

    with pytest.raises(error) as raised:
        await sender.send(MESSAGE)

    detail = raised.value.detail  # type: ignore[attr-defined]
    assert detail.startswith(f"{provider}: HTTP {status}: ")
    assert said[provider] in detail
    assert "test-key" not in detail
    if status == 429:
        assert raised.value.retry_after == 7.0  # type: ignore[attr-defined]
    elif error is TransientSendError:
        assert raised.value.retry_after is None  # type: ignore[attr-defined]


async def test_an_answer_that_is_not_json_is_still_reported(
    api: HTTPServer, client: httpx.AsyncClient
) -> None:
    api.expect_oneshot_request("/v3/mail/send").respond_with_data("<html>Bad gateway</html>", status=502)
    with pytest.raises(TransientSendError, match="sendgrid: HTTP 502: <html>Bad gateway</html>"):
        await sendgrid(api, client).send(MESSAGE)


async def test_http_a_timeout_is_transient(api: HTTPServer) -> None:
    release = threading.Event()

    def slow(request: Request) -> Response:
        release.wait(5)
        return Response("{}", status=201, content_type="application/json")

    api.expect_oneshot_request("/v3/smtp/email").respond_with_handler(slow)
    provider = BrevoProvider(api_key="k", api_url=api.url_for("/"), timeout=0.2)
    try:
        started = time.monotonic()
        with pytest.raises(TransientSendError, match="brevo: timed out"):
            await provider.send(MESSAGE)
        assert time.monotonic() - started < 2.0
    finally:
        await provider.aclose()
        release.set()
    # the server logs the request once its handler returns: wait, so that no later test sees it
    deadline = time.monotonic() + 5
    while not api.log and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    assert len(api.log) == 1


async def test_http_nothing_listening_is_transient(client: httpx.AsyncClient) -> None:
    provider = SendGridProvider(api_key="k", api_url=f"http://127.0.0.1:{free_port()}", client=client)
    with pytest.raises(TransientSendError, match="sendgrid: no response"):
        await provider.send(MESSAGE)


async def test_a_shared_client_is_left_open_an_own_one_is_closed(api: HTTPServer) -> None:
    async with make_client(5) as shared:
        await brevo(api, shared).aclose()
        assert not shared.is_closed
    own = BrevoProvider(api_key="k", api_url=api.url_for("/"))
    await own.aclose()
    assert own._client.is_closed


# --- console, the factory and the test email ---------------------------------------------------


async def test_console_writes_the_headers_and_text_never_sends() -> None:
    stream = io.StringIO()
    result = await ConsoleProvider(stream).send(MESSAGE)
    out = stream.getvalue()
    assert result.provider_message_id is not None
    assert result.provider_message_id in out
    for line in (
        f"Message-ID: {MESSAGE.message_id}",
        "From: Luneo <no-reply@luneo.example>",
        "To: Ada Lovelace <ada@example.org>",
        f"Subject: {MESSAGE.subject}",
        "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
        "Bonjour Ada,",
        f"[HTML part: {len(MESSAGE.html)} characters]",
    ):
        assert line in out.splitlines()
    assert MESSAGE.html not in out


def settings(**changes: Any) -> EmailSettings:
    return replace(EmailSettings(), **changes)


async def test_make_provider_picks_and_configures_the_chosen_one(api: HTTPServer) -> None:
    smtp = make_provider(
        settings(provider="smtp", smtp_host="mail.example.net", smtp_port=2525, smtp_tls="tls")
    )
    assert isinstance(smtp, SmtpProvider)
    assert (smtp.host, smtp.port, smtp.tls) == ("mail.example.net", 2525, "tls")
    assert isinstance(make_provider(settings()), ConsoleProvider)
    async with make_client(5) as shared:
        for name, cls, key in (
            ("brevo", BrevoProvider, "brevo_api_key"),
            ("sendgrid", SendGridProvider, "sendgrid_api_key"),
        ):
            provider = make_provider(settings(provider=name, **{key: "secret-key"}), shared)
            assert isinstance(provider, cls)
            assert "secret-key" not in repr(provider)
            await provider.aclose()
            assert not shared.is_closed


async def test_send_test_goes_through_the_configured_provider(api: HTTPServer) -> None:
    api.expect_oneshot_request("/v3/smtp/email").respond_with_json({"messageId": "<t@brevo>"}, status=201)
    configured = settings(
        provider="brevo",
        brevo_api_key="xkeysib-k",
        brevo_api_url=api.url_for("/").rstrip("/"),
        sender="hello@luneo.example",
        reply_to="support@luneo.example",
    )
    assert (await send_test(configured, "ada@example.org")).provider_message_id == "<t@brevo>"
    body = only_request(api).get_json()
    assert body["to"] == [{"email": "ada@example.org"}]
    assert body["sender"] == {"email": "hello@luneo.example", "name": "Luneo"}
    assert body["replyTo"] == {"email": "support@luneo.example"}
    assert body["headers"]["X-Mailin-custom"].endswith("@luneo.example>")
    assert "brevo" in body["textContent"]


async def test_send_test_through_smtp_and_console(
    smtp_server: Controller, mailbox: Mailbox, capsys: pytest.CaptureFixture[str]
) -> None:
    await send_test(
        settings(provider="smtp", smtp_host="127.0.0.1", smtp_port=smtp_server.port, smtp_tls="none"),
        "ada@example.org",
    )
    [received] = mailbox.received
    assert received.parsed()["Subject"] == "Luneo test email"
    await send_test(settings(), "ada@example.org")
    assert "To: ada@example.org" in capsys.readouterr().err.splitlines()
    with pytest.raises(ValueError, match="not an email address"):
        await send_test(settings(), "nobody")


async def test_providers_send_concurrently_through_one_client(
    api: HTTPServer, client: httpx.AsyncClient
) -> None:
    api.expect_request("/v3/mail/send").respond_with_data("", status=202, headers={"X-Message-Id": "m"})
    provider = sendgrid(api, client)
    messages = [
        replace(MESSAGE, message_id=f"<{i}@luneo.example>", idempotency_key=str(i)) for i in range(10)
    ]
    results = await asyncio.gather(*(provider.send(m) for m in messages))
    assert [r.provider_message_id for r in results] == ["m"] * 10
    ids = sorted(json.loads(request.get_data())["custom_args"]["luneo_message_id"] for request, _ in api.log)
    assert ids == sorted(m.message_id for m in messages)
