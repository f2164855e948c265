"""What every provider is, and the two ways a send can fail.

The worker decides everything from the kind of failure alone: a `TransientSendError` is tried
again later (not before `retry_after` seconds when the provider said so); a
`PermanentSendError` never is. The rule the providers follow: permanent when sending the same
message with the same configuration again cannot succeed (an address the server refuses, a
payload the API rejects, a key it does not accept), transient for everything else (no
connection, a timeout, a busy or failing server).

`detail` is short and safe to store and show: it names what failed and what the provider said,
never an API key or a password.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from luneo.workers.emails.message import EmailMessage

DETAIL_MAX = 300


def short(text: str, limit: int = DETAIL_MAX) -> str:
    """One line, at most `limit` characters: what a `detail` holds."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


@dataclass(frozen=True)
class SendResult:
    provider_message_id: str | None
    """The provider's id for the accepted message (SMTP: None, the server names none), what its
    deliverability events refer to."""


class SendError(Exception):
    """A send that did not go through; see the two subclasses."""

    def __init__(self, detail: str) -> None:
        self.detail = short(detail)
        super().__init__(self.detail)


class TransientSendError(SendError):
    """Try again later: the message may succeed as it is."""

    def __init__(self, detail: str, retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.retry_after = retry_after
        """Seconds the provider asked us to wait (a 429's Retry-After), when it said."""


class PermanentSendError(SendError):
    """Never retry: this message, as it is, will not be accepted."""


class EmailProvider(Protocol):
    name: str
    """`smtp`, `brevo`, `sendgrid`, `console`: what logs and the sent-email records name."""

    async def send(self, message: EmailMessage) -> SendResult:
        """Hand `message` to the provider. Raises `TransientSendError` or `PermanentSendError`."""
        ...

    async def aclose(self) -> None:
        """Release what the provider holds (its HTTP client, when it created it)."""
        ...
