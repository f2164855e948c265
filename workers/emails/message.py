"""One email as every provider takes it: already rendered, addressed, and identified.

The caller (the emails worker) gives the `message_id` and the `idempotency_key` and keeps them
across retries of the same email, so that a retry is recognisable as the same message: by its
recipient's mail client (one Message-ID), and by the providers that deduplicate (Brevo's
`idempotencyKey`).

The only validation is the one that matters for safety: no CR, LF or NUL in anything that ends
up in a header. A line break in a subject or a name taken from user input would otherwise let
it add headers (Bcc: ...) of its own: header injection.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

_LINE_BREAKS = frozenset("\r\n\0")
_FIELD_NAME = re.compile(r"[!-9;-~]+")
"""RFC 5322 field-name: printable US-ASCII except the colon, no space."""
_MSG_ID = re.compile(r"<[^<>@\s]+@[^<>@\s]+>")

RESERVED_HEADERS = frozenset(
    {
        "from",
        "to",
        "cc",
        "bcc",
        "reply-to",
        "sender",
        "subject",
        "date",
        "message-id",
        "mime-version",
        "content-type",
        "content-transfer-encoding",
    }
)
"""Headers the message sets from its own fields (or the MIME structure sets): an extra header of
the same name would be a second, contradicting copy. SendGrid refuses most of them outright."""


def check_single_line(what: str, value: str) -> str:
    """`value` unchanged; ValueError when it holds a line break or a NUL (header injection)."""
    if any(c in _LINE_BREAKS for c in value):
        raise ValueError(f"{what} must not contain a line break (CR/LF) or NUL")
    return value


@dataclass(frozen=True)
class Address:
    email: str
    name: str | None = None
    """Display name; None (or empty) sends the bare address."""

    def __post_init__(self) -> None:
        check_single_line("an email address", self.email)
        if "@" not in self.email or any(c.isspace() for c in self.email):
            raise ValueError(f"not an email address: {self.email!r}")
        if self.name is not None:
            check_single_line("a display name", self.name)

    @property
    def domain(self) -> str:
        return self.email.rpartition("@")[2]


@dataclass(frozen=True)
class EmailMessage:
    sender: Address
    to: Address
    subject: str
    html: str
    text: str
    message_id: str
    """Full RFC 5322 msg-id, angle brackets included (`<uuid@domain>`), stable across retries."""
    idempotency_key: str
    """Same email, same key, every attempt: what lets a provider drop a retried duplicate."""
    headers: Mapping[str, str] = field(default_factory=dict)
    """Extra headers, such as `List-Unsubscribe` and `List-Unsubscribe-Post:
    List-Unsubscribe=One-Click` (RFC 8058). Not one of `RESERVED_HEADERS`."""
    reply_to: Address | None = None
    tags: tuple[str, ...] = ()
    """Labels the provider keeps with the message (the template name, ...): Brevo tags, SendGrid
    categories."""

    def __post_init__(self) -> None:
        check_single_line("the subject", self.subject)
        check_single_line("the message id", self.message_id)
        if not _MSG_ID.fullmatch(self.message_id):
            raise ValueError(f"the message id must look like <unique@domain>, got {self.message_id!r}")
        check_single_line("the idempotency key", self.idempotency_key)
        if not self.idempotency_key.strip():
            raise ValueError("the idempotency key must not be empty")
        for tag in self.tags:
            check_single_line("a tag", tag)
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            if not _FIELD_NAME.fullmatch(name):
                raise ValueError(f"not a header name: {name!r}")
            if name.lower() in RESERVED_HEADERS:
                raise ValueError(f"the {name} header comes from the message's own fields")
            if name.lower() in {h.lower() for h in headers}:
                raise ValueError(f"the {name} header is given twice")
            headers[name] = check_single_line(f"the {name} header", value)
        # frozen means frozen: a later change to the caller's dict must not change this message
        object.__setattr__(self, "headers", MappingProxyType(headers))
        object.__setattr__(self, "tags", tuple(self.tags))
