"""Development: the email is written out, never sent.

The default provider, so that a fresh checkout can run the emails worker without any account,
and a developer sees what would have gone out (the headers and the text part; the HTML only by
its length, which would drown the terminal). Production configures a real provider.
"""

from __future__ import annotations

import sys
import uuid
from typing import TextIO

from luneo.workers.emails.message import Address, EmailMessage
from luneo.workers.emails.providers.base import SendResult


def _shown(address: Address) -> str:
    return f"{address.name} <{address.email}>" if address.name else address.email


class ConsoleProvider:
    name = "console"

    def __init__(self, stream: TextIO | None = None) -> None:
        """`stream`: where emails are written; None is whatever `sys.stderr` is at send time."""
        self._stream = stream

    async def send(self, message: EmailMessage) -> SendResult:
        provider_id = f"console-{uuid.uuid4().hex}"
        lines = [
            f"----- email {provider_id} (console provider: not sent) -----",
            f"Message-ID: {message.message_id}",
            f"From: {_shown(message.sender)}",
            f"To: {_shown(message.to)}",
        ]
        if message.reply_to is not None:
            lines.append(f"Reply-To: {_shown(message.reply_to)}")
        lines.append(f"Subject: {message.subject}")
        lines += [f"{name}: {value}" for name, value in message.headers.items()]
        if message.tags:
            lines.append(f"Tags: {', '.join(message.tags)}")
        lines.append(f"Idempotency-Key: {message.idempotency_key}")
        lines += ["", message.text, "", f"[HTML part: {len(message.html)} characters]", "-----", ""]
        stream = self._stream if self._stream is not None else sys.stderr
        stream.write("\n".join(lines))
        stream.flush()
        return SendResult(provider_message_id=provider_id)

    async def aclose(self) -> None:
        """Nothing to release (the stream is the caller's)."""
