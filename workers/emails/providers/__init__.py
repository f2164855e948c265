"""The email providers, and the one place that picks one from the settings.

    provider = make_provider(settings.emails)          # or make_provider(settings.emails, client)
    try:
        result = await provider.send(message)           # TransientSendError / PermanentSendError
    finally:
        await provider.aclose()

HTTP providers share one `httpx.AsyncClient` (explicit timeouts, a bounded pool): pass the
process's own to `make_provider`, or let it create one, which the provider's `aclose` closes.
"""

from __future__ import annotations

import uuid

import httpx

from luneo.core.settings import EmailSettings
from luneo.workers.emails.message import Address, EmailMessage
from luneo.workers.emails.providers.base import (
    EmailProvider,
    PermanentSendError,
    SendError,
    SendResult,
    TransientSendError,
)
from luneo.workers.emails.providers.brevo import BrevoProvider
from luneo.workers.emails.providers.console import ConsoleProvider
from luneo.workers.emails.providers.http import make_client
from luneo.workers.emails.providers.sendgrid import SendGridProvider
from luneo.workers.emails.providers.smtp import SmtpProvider

__all__ = [
    "EmailProvider",
    "PermanentSendError",
    "SendError",
    "SendResult",
    "TransientSendError",
    "build_test_message",
    "make_client",
    "make_provider",
    "send_test",
]


def make_provider(settings: EmailSettings, client: httpx.AsyncClient | None = None) -> EmailProvider:
    """The provider `settings.provider` names, configured from `settings` (which
    `EmailSettings.from_env` already checked). `client` is only used by HTTP providers."""
    if settings.provider == "smtp":
        assert settings.smtp_host is not None
        return SmtpProvider(
            host=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password,
            tls=settings.smtp_tls,
            timeout=settings.smtp_timeout,
        )
    if settings.provider == "brevo":
        assert settings.brevo_api_key is not None
        return BrevoProvider(
            api_key=settings.brevo_api_key,
            api_url=settings.brevo_api_url,
            client=client,
            timeout=settings.http_timeout,
        )
    if settings.provider == "sendgrid":
        assert settings.sendgrid_api_key is not None
        return SendGridProvider(
            api_key=settings.sendgrid_api_key,
            api_url=settings.sendgrid_api_url,
            client=client,
            timeout=settings.http_timeout,
        )
    if settings.provider == "console":
        return ConsoleProvider()
    raise ValueError(f"unknown email provider {settings.provider!r}")


def build_test_message(settings: EmailSettings, to: str) -> EmailMessage:
    """A small fixed email to `to`, from the configured sender: what `send_test` sends."""
    sender = Address(settings.sender, settings.sender_name)
    key = str(uuid.uuid4())
    return EmailMessage(
        sender=sender,
        to=Address(to),
        subject="Luneo test email",
        text=(
            "This is a test email from Luneo.\n\n"
            f"It went through the '{settings.provider}' provider: outgoing email works.\n"
        ),
        html=(
            "<p>This is a test email from Luneo.</p>"
            f"<p>It went through the <b>{settings.provider}</b> provider: outgoing email works.</p>"
        ),
        message_id=f"<{key}@{sender.domain}>",
        idempotency_key=key,
        reply_to=Address(settings.reply_to) if settings.reply_to else None,
        tags=("luneo-test",),
    )


async def send_test(settings: EmailSettings, to: str) -> SendResult:
    """Send `build_test_message` through the configured provider (its own client, closed after).
    Raises what the provider raises, and ValueError for an unusable `to`."""
    message = build_test_message(settings, to)
    provider = make_provider(settings)
    try:
        return await provider.send(message)
    finally:
        await provider.aclose()
