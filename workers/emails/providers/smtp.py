"""SMTP submission with aiosmtplib: one connection per email (connect, optional STARTTLS and
AUTH, MAIL/RCPT/DATA, QUIT), so nothing is held between emails and a dropped connection costs
one email's attempt, never a stale session.

The message is `multipart/alternative` (the text part first, then the HTML: clients show the
last part they can), with `Message-ID` the caller's, `Date`, `From`, `To`, `Subject` (RFC 2047
encoded words when not ASCII, by the email package), `Reply-To` and the extra headers.

We flatten the message ourselves rather than let aiosmtplib do it, for one reason: the email
package folds a long header by turning it into RFC 2047 encoded words when it has no space to
break at, and a `List-Unsubscribe: <https://...long-token...>` so encoded is no longer a URL to
the mailbox providers that read it. ASCII extra headers are therefore written verbatim (one
line; SMTP allows 998 characters), everything else as the email package formats it.

Error mapping (`base` states the rule):
- no connection, a broken one, a timeout: transient;
- a 4xx reply to any command (421 busy, 450/451/452 try later): transient;
- a 5xx reply: permanent, the refused recipient (550 on RCPT) included, as is a 5xx to AUTH
  (wrong credentials will not get better by retrying the same email);
- the message needs what the server lacks (SMTPUTF8 for a non-ASCII address): permanent;
- the server lacks what the configuration requires (STARTTLS, AUTH): transient, like a server
  that cannot be reached: the operator fixes the server or the settings and the email goes.
"""

from __future__ import annotations

import email.policy
import ssl
from datetime import UTC, datetime
from email.headerregistry import Address as HeaderAddress
from email.message import EmailMessage as MimeMessage
from email.utils import format_datetime

import aiosmtplib

from luneo.workers.emails.message import Address, EmailMessage
from luneo.workers.emails.providers.base import (
    PermanentSendError,
    SendResult,
    TransientSendError,
)

TLS_MODES = ("starttls", "tls", "none")
_POLICY = email.policy.SMTP.clone(refold_source="none", cte_type="7bit")
"""CRLF line ends, RFC 2047 for non-ASCII headers, quoted-printable or base64 for non-ASCII parts
(7-bit clean: no reliance on the server's 8BITMIME); headers given raw (`set_raw`) are written
as given."""


def _header_address(address: Address) -> HeaderAddress:
    return HeaderAddress(display_name=address.name or "", addr_spec=address.email)


def build_mime(message: EmailMessage, *, now: datetime | None = None) -> MimeMessage:
    """The MIME message SMTP sends for `message`."""
    mime = MimeMessage(policy=_POLICY)
    mime["Message-ID"] = message.message_id
    mime["Date"] = format_datetime(now or datetime.now(UTC))
    mime["From"] = _header_address(message.sender)
    mime["To"] = _header_address(message.to)
    mime["Subject"] = message.subject
    if message.reply_to is not None:
        mime["Reply-To"] = _header_address(message.reply_to)
    for name, value in message.headers.items():
        if value.isascii():
            mime.set_raw(name, value)
        else:
            mime[name] = value
    mime.set_content(message.text)
    mime.add_alternative(message.html, subtype="html")
    return mime


def flatten(mime: MimeMessage) -> bytes:
    return mime.as_bytes(policy=_POLICY)


class SmtpProvider:
    name = "smtp"

    def __init__(
        self,
        *,
        host: str,
        port: int,
        username: str | None = None,
        password: str | None = None,
        tls: str = "starttls",
        timeout: float = 30.0,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        """`tls`: `starttls` (upgrade required), `tls` (implicit TLS) or `none` (plain text, no
        upgrade even when offered). `tls_context`: the default verifies the server's certificate
        against the system's CAs; tests pass one trusting their own."""
        if tls not in TLS_MODES:
            raise ValueError(f"tls must be one of {', '.join(TLS_MODES)}, got {tls!r}")
        self.host = host
        self.port = port
        self.tls = tls
        self._username = username
        self._password = password
        self._timeout = timeout
        self._tls_context = tls_context

    def __repr__(self) -> str:
        return f"SmtpProvider(host={self.host!r}, port={self.port}, tls={self.tls!r})"  # never the password

    async def send(self, message: EmailMessage) -> SendResult:
        data = flatten(build_mime(message))
        try:
            errors, _ = await aiosmtplib.send(
                data,
                sender=message.sender.email,
                recipients=[message.to.email],
                hostname=self.host,
                port=self.port,
                username=self._username,
                password=self._password,
                use_tls=self.tls == "tls",
                start_tls=self.tls == "starttls",
                tls_context=self._tls_context,
                timeout=self._timeout,
            )
        except aiosmtplib.SMTPException as exc:
            raise _mapped(exc, self._where) from exc
        except OSError as exc:  # refused before aiosmtplib wrapped it, a TLS failure, ...
            raise TransientSendError(f"{self._where}: {type(exc).__name__}: {exc}") from exc
        # one recipient: had it been refused, aiosmtplib would have raised
        assert not errors, errors
        return SendResult(provider_message_id=None)

    async def aclose(self) -> None:
        """Nothing held between emails."""

    @property
    def _where(self) -> str:
        return f"smtp {self.host}:{self.port}"


def _mapped(exc: aiosmtplib.SMTPException, where: str) -> TransientSendError | PermanentSendError:
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        refused = exc.recipients
        detail = "; ".join(f"{r.recipient} refused: {r.code} {r.message}" for r in refused)
        if any(r.code >= 500 for r in refused):
            return PermanentSendError(f"{where}: {detail}")
        return TransientSendError(f"{where}: {detail}")
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return _by_code(exc.code, f"{where}: {exc.code} {exc.message}")
    if isinstance(exc, aiosmtplib.SMTPNotSupported):
        return PermanentSendError(f"{where}: {exc}")
    # disconnected, timed out, could not connect, no usable answer
    return TransientSendError(f"{where}: {type(exc).__name__}: {exc}")


def _by_code(code: int, detail: str) -> TransientSendError | PermanentSendError:
    return PermanentSendError(detail) if code >= 500 else TransientSendError(detail)
