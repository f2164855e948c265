"""A real SMTP server on loopback (aiosmtpd) that keeps what it accepts and answers as told."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage as MimeMessage
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes

    def parsed(self) -> MimeMessage:
        message = email.message_from_bytes(self.content, policy=email.policy.default)
        assert isinstance(message, MimeMessage)
        return message


class Mailbox:
    """An aiosmtpd handler: keeps every message it accepts; answers RCPT and DATA as told."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.rcpt_reply: str | None = None
        self.data_replies: list[str] = []
        """Answers to the next DATA commands, in order (the message is then not kept)."""
        self.message_ids: list[str] = []
        """The Message-ID of every message sent through DATA, refused ones included."""

    @property
    def data_seen(self) -> int:
        return len(self.message_ids)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.rcpt_reply is not None:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        received = Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
        self.message_ids.append(str(received.parsed()["Message-ID"]))
        if self.data_replies:
            return self.data_replies.pop(0)
        self.received.append(received)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def smtp_server(mailbox: Mailbox | None = None, **options: Any) -> Iterator[tuple[int, Mailbox]]:
    """A plain SMTP server on 127.0.0.1 for the block: its port and its mailbox."""
    mailbox = mailbox or Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port(), **options)
    controller.start()
    try:
        yield controller.port, mailbox
    finally:
        controller.stop()
